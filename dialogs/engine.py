"""The turn logic: one event in, replies out. Transport-free; storage is injected."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import nlp_models
from dialogs import crisis
from dialogs.events import Button, Command, Event, Reply, Text, Unsupported, User
from dialogs.flows.base import Flow
from dialogs.flows.profile import Onboarding, Settings
from dialogs.flows.thought_record import ThoughtRecordFlow
from dialogs.models import DialogState, Store, UserProfile
from dialogs.texts import catalogue
from dialogs.turn import GLOBAL_PREFIX, Turn

log = logging.getLogger(__name__)

# Telegram's own limit for one message; longer input is asked to be split, nothing is stored.
MAX_TEXT_CHARS = 4096

FLOWS: dict[str, Flow] = {f.name: f for f in (Onboarding(), Settings(), ThoughtRecordFlow())}
# Commands that start a flow, and the flow they start.
FLOW_COMMANDS = {"start": "onboarding", "settings": "settings", "new": "thought_record"}
# The menu a transport shows (Telegram's setMyCommands): command -> catalogue key of its summary.
COMMAND_MENU = {
    "new": "cmd.new",
    "help": "cmd.help",
    "settings": "cmd.settings",
    "cancel": "cmd.cancel",
    "start": "cmd.start",
}


@dataclass(frozen=True)
class EngineSettings:
    default_timezone: str = "UTC"
    escalation_enabled: bool = False
    language: str = "en"


class Engine:
    def __init__(
        self,
        store: Store,
        settings: EngineSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or EngineSettings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self.texts = catalogue(self.settings.language)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    def warm_up(self) -> None:
        """Load the language pipeline now, so the first person to write does not wait for it."""
        nlp_models.analyze("warming up")

    def command_menu(self) -> list[tuple[str, str]]:
        return [(name, self.texts.get(key)) for name, key in COMMAND_MENU.items()]

    async def handle(self, user: User, event: Event, seq: int | None = None) -> list[Reply]:
        """One turn for one user. Turns of the same user run strictly one after another.
        `seq`, when the transport has one, makes a redelivered event a no-op."""
        lock = self._locks.setdefault(user.id, asyncio.Lock())
        self._waiting[user.id] = self._waiting.get(user.id, 0) + 1
        try:
            async with lock:
                return await self._turn(user, event, seq)
        finally:
            self._waiting[user.id] -= 1
            if not self._waiting[user.id]:
                del self._waiting[user.id]
                self._locks.pop(user.id, None)

    async def _turn(self, user: User, event: Event, seq: int | None) -> list[Reply]:
        now = self.clock()
        dialog = await self.store.load_dialog(user.id)
        if seq is not None and dialog.last_seq is not None and seq <= dialog.last_seq:
            log.info("skipping event %s for user %s: already handled", seq, user.id)
            return []
        profile = await self.store.load_profile(user.id)
        if profile is None:
            profile = UserProfile(
                user.id, first_name=user.first_name, language=user.language_code, created_at=now
            )
        turn = Turn(
            user=user,
            profile=profile,
            dialog=dialog,
            now=now,
            texts=self.texts,
            rng=self.rng,
            escalation_enabled=self.settings.escalation_enabled,
            default_timezone=self.settings.default_timezone,
        )
        self._dispatch(turn, event)
        turn.dialog.updated_at = now
        if seq is not None:
            turn.dialog.last_seq = seq
        await self.store.commit_turn(user.id, turn.dialog, turn.writes)
        return turn.replies

    # -- dispatch ------------------------------------------------------------------------------
    def _dispatch(self, turn: Turn, event: Event) -> None:
        if isinstance(event, Text):
            self._on_text(turn, event)
        elif isinstance(event, Command):
            self._on_command(turn, event)
        elif isinstance(event, Button):
            self._on_button(turn, event)
        elif isinstance(event, Unsupported):
            if event.caption and self._risk_first(turn, event.caption):
                return
            turn.say(turn.t("input.unsupported"))
            self._reprompt(turn)

    def _on_text(self, turn: Turn, event: Text) -> None:
        text = event.text
        if self._risk_first(turn, text):
            return
        if not text.strip():
            turn.say(turn.t("input.empty"))
            self._reprompt(turn)
            return
        if len(text) > MAX_TEXT_CHARS:
            turn.say(turn.t("input.too_long", limit=MAX_TEXT_CHARS))
            self._reprompt(turn)
            return
        flow = self._flow(turn)
        if flow is not None:
            trigger = flow.handle(turn, event, None)
            if trigger:
                flow.fire(turn, trigger)
            return
        if not turn.profile.onboarded:
            turn.say(turn.t("idle.not_onboarded"))
        else:
            turn.say(
                turn.t("idle.onboarded"),
                (
                    (
                        turn.global_choice(turn.t("menu.new"), "new"),
                        turn.global_choice(turn.t("menu.help"), "help"),
                    ),
                ),
            )

    def _risk_first(self, turn: Turn, text: str) -> bool:
        """Check for risk before anything else, in every state and whatever the size of the
        message. A risky message gets the crisis response and nothing else."""
        analysis = nlp_models.analyze(text[: MAX_TEXT_CHARS * 4])
        if analysis.risk == "none":
            return False
        turn.writes.risk_events.append((analysis.risk, analysis.risk_rules))
        log.info("risk detected: level=%s rules=%s", analysis.risk, ",".join(analysis.risk_rules))
        if analysis.risk == "crisis":
            crisis.crisis_response(turn)
        else:
            crisis.concern_response(turn)
        return True

    def _on_command(self, turn: Turn, event: Command) -> None:
        name = event.name
        if name == "help":
            turn.say(turn.t("help"))
            self._reprompt(turn)
        elif name == "cancel":
            self._cancel(turn)
        elif name in FLOW_COMMANDS:
            self._start_flow(turn, FLOW_COMMANDS[name])
        elif name in ("skip", "back"):
            turn.say(turn.t(f"input.no_{name}"))
            self._reprompt(turn)
        else:
            turn.say(turn.t("input.unknown_command", command=name))
            self._reprompt(turn)

    def _on_button(self, turn: Turn, event: Button) -> None:
        data = event.data
        if data.startswith(GLOBAL_PREFIX):
            self._global_action(turn, data[len(GLOBAL_PREFIX) :])
            return
        step, _, value = data.partition(":")
        flow = self._flow(turn)
        if flow is None or not step.isdigit() or int(step) != turn.dialog.step:
            turn.notice(turn.t("input.stale_button"))
            self._reprompt(turn)
            return
        trigger = flow.handle(turn, event, value)
        if trigger:
            flow.fire(turn, trigger)

    def _global_action(self, turn: Turn, action: str) -> None:
        verb, _, arg = action.partition(":")
        if verb == "new":
            self._start_flow(turn, "thought_record")
        elif verb == "help":
            turn.say(turn.t("help"))
            self._reprompt(turn)
        elif verb == "lines" or verb == "risk_yes":
            crisis.crisis_response(turn)
        elif verb == "more":
            crisis.more_resources(turn)
        elif verb in ("safe", "risk_no"):
            turn.say(turn.t("crisis.safe_reply" if verb == "safe" else "concern.no_reply"))
            self._offer_resume(turn)
        elif verb == "resume":
            self._resume(turn)
        elif verb == "fresh":
            turn.dialog.suspended = None
            turn.say(turn.t("resume.dropped"))
        elif verb == "switch" and arg in FLOWS:
            self._leave_flow(turn)
            self._start_flow(turn, arg)
        elif verb == "stay":
            self._reprompt(turn)
        else:
            turn.notice(turn.t("input.stale_button"))

    # -- flows -----------------------------------------------------------------------------------
    def _flow(self, turn: Turn) -> Flow | None:
        return FLOWS.get(turn.dialog.flow) if turn.dialog.flow else None

    def _start_flow(self, turn: Turn, name: str) -> None:
        current = self._flow(turn)
        if current is not None:
            same = current.name == name
            key = "flow.restart_ask" if same else "flow.leave_ask"
            turn.say(
                turn.t(key, current=turn.t(f"flow.{current.name}"), new=turn.t(f"flow.{name}")),
                (
                    (
                        turn.global_choice(
                            turn.t("flow.restart_yes" if same else "flow.leave_yes"),
                            f"switch:{name}",
                        ),
                        turn.global_choice(turn.t("flow.leave_no"), "stay"),
                    ),
                ),
            )
            return
        if name != "onboarding" and not turn.profile.onboarded:
            turn.say(turn.t("idle.not_onboarded"))
            return
        if name == "onboarding" and turn.profile.onboarded:
            turn.say(
                turn.t("onboarding.welcome_back", name=turn.user.first_name or turn.t("friend")),
                (
                    (
                        turn.global_choice(turn.t("menu.new"), "new"),
                        turn.global_choice(turn.t("menu.help"), "help"),
                    ),
                ),
            )
            return
        FLOWS[name].start(turn)

    def _leave_flow(self, turn: Turn) -> None:
        turn.dialog.flow = turn.dialog.state = None
        turn.dialog.slots = {}

    def _cancel(self, turn: Turn) -> None:
        if turn.dialog.active:
            name = turn.t(f"flow.{turn.dialog.flow}")
            self._leave_flow(turn)
            turn.say(turn.t("flow.cancelled", flow=name))
        else:
            turn.say(turn.t("flow.nothing_to_cancel"))

    def _reprompt(self, turn: Turn) -> None:
        """Repeat the current question so the person knows what the bot is waiting for."""
        flow = self._flow(turn)
        if flow is not None and turn.dialog.state:
            flow.enter(turn, turn.dialog.state)

    def _offer_resume(self, turn: Turn) -> None:
        suspended = turn.dialog.suspended
        if suspended and suspended.get("flow") in FLOWS:
            turn.say(
                turn.t("resume.ask", flow=turn.t(f"flow.{suspended['flow']}")),
                (
                    (
                        turn.global_choice(turn.t("resume.yes"), "resume"),
                        turn.global_choice(turn.t("resume.no"), "fresh"),
                    ),
                ),
            )

    def _resume(self, turn: Turn) -> None:
        suspended = turn.dialog.suspended
        if not suspended or suspended.get("flow") not in FLOWS:
            turn.notice(turn.t("input.stale_button"))
            return
        turn.dialog = DialogState(
            flow=suspended["flow"],
            state=suspended["state"],
            slots=suspended["slots"],
            step=turn.dialog.step,
            suspended=None,
            last_seq=turn.dialog.last_seq,
        )
        FLOWS[suspended["flow"]].enter(turn, suspended["state"])
