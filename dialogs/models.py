"""What the dialogs read and write, independent of how it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass
class UserProfile:
    user_id: int
    first_name: str = ""
    language: str | None = None
    country: str | None = None
    timezone: str | None = None
    consented_at: datetime | None = None
    share_alerts: bool = False
    # Whether an alert to the support team may quote the message that raised it.
    share_text: bool = False
    created_at: datetime | None = None
    # After a crisis, no nudges until then.
    nudges_paused_until: datetime | None = None
    last_alert_at: datetime | None = None
    # False once Telegram says the person blocked the bot; true again when they write.
    active: bool = True

    @property
    def onboarded(self) -> bool:
        return self.consented_at is not None and self.timezone is not None


@dataclass
class DialogState:
    """Where one user is: the flow, the state inside it, and the answers so far.

    `step` grows by one every time the bot asks something with buttons; a button carries the step
    it was issued at, so a press from an older message can be recognised as stale.
    `suspended` keeps a flow that a crisis or another flow interrupted, to resume later.
    """

    flow: str | None = None
    state: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    step: int = 0
    updated_at: datetime | None = None
    suspended: dict[str, Any] | None = None
    # The transport's sequence number of the last event handled (Telegram's update_id): an update
    # delivered again after a crash is recognised and not handled twice.
    last_seq: int | None = None

    @property
    def active(self) -> bool:
        return self.flow is not None


@dataclass
class ThoughtRecord:
    user_id: int
    created_at: datetime
    situation: str
    thought: str
    emotion: str
    intensity_before: int
    belief_before: int | None = None
    intensity_after: int | None = None
    belief_after: int | None = None
    balanced_thought: str | None = None
    findings: dict[str, Any] = field(default_factory=dict)
    answers: list[dict[str, Any]] = field(default_factory=list)
    id: int | None = None


SAFETY_PLAN_STEPS = (
    "warning_signs",
    "coping",
    "distractions",
    "people",
    "professionals",
    "environment",
)


@dataclass
class SafetyPlan:
    """The six steps of the Stanley-Brown safety plan, in the person's own words."""

    user_id: int
    steps: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass
class Reminder:
    """A message the bot will send later: a task nudge or a check-in. The database row is the
    truth; the reminder loop holds no per-reminder objects."""

    user_id: int
    kind: str
    due_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    state: str = "pending"
    id: int | None = None
    # how many times delivery was tried (counted when claimed)
    attempts: int = 0


@dataclass
class TurnWrites:
    """Everything one turn changes, committed in a single transaction with the dialog state."""

    profile: UserProfile | None = None
    thought_records: list[ThoughtRecord] = field(default_factory=list)
    risk_events: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    safety_plan: SafetyPlan | None = None
    reminders: list[Reminder] = field(default_factory=list)
    # kinds of this user's pending reminders to cancel before adding the new ones
    cancel_reminders: list[str] = field(default_factory=list)


class Store(Protocol):
    """The storage the engine needs. `bot.storage.Storage` implements it on SQLite."""

    async def load_profile(self, user_id: int) -> UserProfile | None: ...

    async def load_dialog(self, user_id: int) -> DialogState: ...

    async def commit_turn(self, user_id: int, dialog: DialogState, writes: TurnWrites) -> None: ...

    async def thought_records(self, user_id: int, limit: int = 10) -> list[ThoughtRecord]: ...

    async def load_safety_plan(self, user_id: int) -> SafetyPlan | None: ...

    async def thought_record(self, user_id: int, record_id: int) -> ThoughtRecord | None: ...
