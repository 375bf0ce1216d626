"""What the dialogs read and write, independent of how it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from dialogs.events import Reply


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
    # Nudges due in these local hours wait until the end (start == end: no quiet hours).
    quiet_start: int = 22
    quiet_end: int = 8
    # nudges say only "A reminder from your planner", the details one tap away (for someone
    # whose phone another person may read)
    discreet: bool = False

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
class Task:
    """One planned occurrence of an activity, and what actually happened.
    A repeating task gets a new row for each occurrence, so each has its own outcome."""

    user_id: int
    title: str
    due_at: datetime
    first_step: str = ""
    kind: str = "own"
    activity_id: str | None = None
    repeat: str = "none"
    # the intended local wall-clock time, "HH:MM", so repeats stay at it across clock changes
    local_time: str | None = None
    expected_enjoyment: int | None = None
    expected_achievement: int | None = None
    actual_enjoyment: int | None = None
    actual_achievement: int | None = None
    note: str | None = None
    # planned -> nudged -> done / skipped / missed / cancelled
    status: str = "planned"
    thought_record_id: int | None = None
    created_at: datetime | None = None
    done_at: datetime | None = None
    id: int | None = None
    # when planned right after a thought record: its time, which the storage turns into its id
    thought_record_at: datetime | None = field(default=None, compare=False, repr=False)

    def to_slots(self) -> dict[str, Any]:
        """The task as plain JSON data, to carry in a flow's slots."""
        data = {k: v for k, v in self.__dict__.items() if k != "thought_record_at"}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


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
    task_id: int | None = None
    # a task written in the same turn, whose id the storage fills in
    task: Task | None = field(default=None, compare=False, repr=False)


@dataclass
class OutboxItem:
    """One reply that a turn decided, stored with the turn until a sender delivers it.

    States: pending -> sending (claimed right before the request) -> sent (with Telegram's
    message id); or unknown (the request was on the wire when the process died or timed out:
    it may have arrived, so it is never sent again as it was), failed (refused, or given up),
    superseded (a direct crisis answer already went out for the same message)."""

    chat_id: int
    user_id: int
    reply: Reply
    # a risk answer: sent ahead of everything else
    urgent: bool = False
    # the transport's id of the event the turn answered (Telegram's update_id)
    seq: int | None = None
    # erase the row once sent (the answer to /delete, which must leave nothing behind)
    forget: bool = False
    created_at: datetime | None = None
    state: str = "pending"
    attempts: int = 0
    # 1: this is the one labelled resend of a request that was on the wire
    resend: bool = False
    id: int | None = None


@dataclass
class InboxEntry:
    """One event as the transport received it, stored before it is acknowledged, so that a
    crash between receiving and handling it loses nothing. `payload` is the transport's own
    JSON (it holds what the person wrote: encrypted at rest, cleared once handled)."""

    update_id: int
    user_id: int
    payload: dict[str, Any]
    received_at: datetime
    id: int | None = None


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
    # tasks to insert (id None) or update; their pending reminders to cancel, by task id
    tasks: list[Task] = field(default_factory=list)
    cancel_task_reminders: list[int] = field(default_factory=list)
    # erase every row of this person (and write nothing else but the replies)
    delete_user: bool = False
    # the replies to deliver, stored in the same transaction (durable delivery)
    outbox: list[OutboxItem] = field(default_factory=list)
    # the received event this turn handled: marked done in the same transaction
    inbox_id: int | None = None
    # the due reminder whose message these replies are: marked sent in the same transaction
    sent_reminder: int | None = None


class Store(Protocol):
    """The storage the engine needs. `bot.storage.Storage` implements it on SQLite."""

    async def load_profile(self, user_id: int) -> UserProfile | None: ...

    async def load_dialog(self, user_id: int) -> DialogState: ...

    async def commit_turn(
        self, user_id: int, dialog: DialogState, writes: TurnWrites, at: datetime | None = None
    ) -> None: ...

    async def thought_records(self, user_id: int, limit: int = 10) -> list[ThoughtRecord]: ...

    async def load_safety_plan(self, user_id: int) -> SafetyPlan | None: ...

    async def thought_record(self, user_id: int, record_id: int) -> ThoughtRecord | None: ...

    async def task(self, user_id: int, task_id: int) -> Task | None: ...

    async def upcoming_tasks(self, user_id: int, limit: int = 10) -> list[Task]: ...

    async def records_since(self, user_id: int, since: datetime) -> list[ThoughtRecord]: ...

    async def tasks_since(self, user_id: int, since: datetime) -> list[Task]: ...

    async def export_user(self, user_id: int) -> dict[str, list[dict]]: ...

    async def stats(self, now: datetime, weeks: int = 8) -> dict: ...

    async def record_risk(
        self, user_id: int, level: str, rules: tuple[str, ...], at: datetime
    ) -> None:
        """An audit row written outside a turn: for a turn that failed, once storage is back."""
        ...


class DeliveryStore(Protocol):
    """What a transport needs to receive and send without losing anything: an inbox written
    before an event is acknowledged, an outbox written with the turn. `bot.storage.Storage`
    implements it on SQLite."""

    async def store_inbox(self, entries: list[InboxEntry]) -> None:
        """Keep received events (one transaction). Each entry's id is set; None for one
        already stored (a redelivery)."""
        ...

    async def open_inbox(self) -> list[InboxEntry]:
        """Events received and not yet handled, oldest first."""
        ...

    async def close_inbox(self, inbox_id: int, state: str = "failed") -> None:
        """Mark an event handled outside a turn (its turn failed, or it needs no turn)."""
        ...

    async def open_outbox(self) -> list[OutboxItem]:
        """At start: replies still to send, in order, and the ones found on the wire (claimed,
        not marked) after a crash. Those come back as `unknown`, or, when they were crisis
        help or the last thing said in their chat, as `pending` with `resend` set: sent once
        more, labelled as a repeat. Nothing is ever sent twice unlabelled."""
        ...

    async def mark_outbox(
        self,
        item_id: int,
        state: str,
        message_id: int | None = None,
        attempts: int | None = None,
        resend: bool | None = None,
    ) -> bool:
        """Move a reply on: `sending` claims it (False if it is gone or already settled),
        `sent` (erased if it was to be forgotten), `pending` (back to wait; with `resend`,
        as the one labelled repeat of a request that was on the wire), `unknown`, `failed`,
        `superseded`."""
        ...

    async def purge_delivered(self, before: datetime) -> int:
        """Forget handled events and settled replies older than `before`."""
        ...
