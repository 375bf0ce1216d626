"""The context of one turn: who is talking, their state, and what the turn says and writes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dialogs.events import Choice, Reply, User
from dialogs.models import DialogState, SafetyPlan, TurnWrites, UserProfile
from dialogs.texts import Catalogue

GLOBAL_PREFIX = "g:"
CHOICES_SLOT = "_choices"


@dataclass
class Turn:
    user: User
    profile: UserProfile
    dialog: DialogState
    now: datetime
    texts: Catalogue
    rng: random.Random
    escalation_enabled: bool = False
    default_timezone: str = "UTC"
    safety_plan: SafetyPlan | None = None
    writes: TurnWrites = field(default_factory=TurnWrites)
    replies: list[Reply] = field(default_factory=list)
    # Set by a flow when the person confirms they are at risk; the engine then runs the crisis
    # response (which flows cannot do themselves: it pauses nudges and may alert the team).
    crisis_confirmed: bool = False
    # the person answered no to the direct question: go on with what it interrupted
    answered_no: bool = False
    # The analysis of this turn's message, made once by the risk check and reused by flows.
    analysis: Any = None
    # A flow that just finished can hand over to another one (the thought record to planning).
    next_flow: str | None = None
    next_slots: dict = field(default_factory=dict)
    activation_available: bool = False
    # thought records read for /journal
    records: list = field(default_factory=list)
    # tasks read for /tasks or for a task button
    tasks: list = field(default_factory=list)
    # other reads a command needed (progress numbers and picture, export, stats)
    extra: dict = field(default_factory=dict)
    # a risk answer (crisis or concern, or help asked for): sent ahead of everything else
    urgent: bool = False
    # the transport could not deliver the bot's last question before this message was written:
    # a typed message is then not taken as the answer to it
    delivery_in_doubt: bool = False
    # ask() without moving the step on: a restatement whose buttons are the same as the
    # (maybe undelivered) original's, so a press on either one counts
    keep_step: bool = False

    def t(self, key: str, **values: object) -> str:
        return self.texts.get(key, self.rng, **values)

    def say(self, text: str, buttons: tuple[tuple[Choice, ...], ...] = ()) -> None:
        self.replies.append(Reply(text=text, buttons=buttons))

    def notice(self, text: str) -> None:
        self.replies.append(Reply(text=text, kind="notice"))

    def ask(self, text: str, options: list[list[tuple[str, str]]] | list[tuple[str, str]]) -> None:
        """Ask with choice buttons bound to this step of the flow: presses of older buttons are
        then recognisable as stale. `options` is rows of (label, value) or one flat row."""
        if not self.keep_step:
            self.dialog.step += 1
        rows = options if options and isinstance(options[0], list) else [options]
        buttons = tuple(
            tuple(Choice(label, data=f"{self.dialog.step}:{value}") for label, value in row)
            for row in rows
        )
        self.replies.append(Reply(text=text, buttons=buttons))
        # Typing a button's label counts as pressing it (and survives a lost screen).
        self.dialog.slots[CHOICES_SLOT] = {
            label.casefold(): value for row in rows for label, value in row
        }

    def typed_choice(self, text: str) -> str | None:
        """The value of the current question's button whose label was typed, if any."""
        return self.dialog.slots.get(CHOICES_SLOT, {}).get(text.strip().casefold())

    def global_choice(self, label: str, action: str) -> Choice:
        """A button that works whatever the user is doing (crisis resources, help)."""
        return Choice(label, data=GLOBAL_PREFIX + action)

    def save_profile(self) -> None:
        self.writes.profile = self.profile

    def clip(self, text: str, limit: int) -> str:
        """`text` as it can be kept here: all of it, or, when longer than `limit` characters,
        the start of it up to a word boundary, and the person is told where it stops."""
        if len(text) <= limit:
            return text
        kept = text[:limit]
        if not text[limit].isspace() and " " in kept.strip():
            kept = kept.rsplit(" ", 1)[0]
        kept = kept.rstrip()
        end = " ".join(kept.split()[-4:])
        self.say(self.t("input.clipped", limit=f"{limit:,}", end=end))
        return kept
