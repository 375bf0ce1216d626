"""The turn logic: one event in, replies out. Transport-free; storage is injected."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import nlp_models
from dialogs import crisis, crisis_lines, journal, longtext, my_data, nudges, progress
from dialogs.events import (
    Attachment,
    Button,
    Command,
    Edited,
    Event,
    Reply,
    Text,
    Unsupported,
    User,
)
from dialogs.flows.activation import ActivationFlow
from dialogs.flows.base import Flow
from dialogs.flows.outcome import OutcomeFlow
from dialogs.flows.profile import Onboarding, Settings
from dialogs.flows.safety import SafetyCheck, SafetyPlanFlow, show_plan
from dialogs.flows.thought_record import ThoughtRecordFlow
from dialogs.models import DialogState, OutboxItem, Reminder, Store, TurnWrites, UserProfile
from dialogs.texts import catalogue
from dialogs.turn import GLOBAL_PREFIX, Turn

log = logging.getLogger(__name__)

# A flow left alone longer than this is not silently continued: the person is asked.
IDLE_AFTER = timedelta(hours=24)
JOURNAL_SIZE = 8
# how far back an update id may be and still count as a redelivered one
REDELIVERY_WINDOW = 1000
TASKS_SIZE = 10
# A crisis answer given without the turn (it failed) waits at most this long for a read of the
# person's country and safety plan; storage may be what failed.
FALLBACK_READ_TIMEOUT = 0.5
# Audit rows of failed turns kept until storage is back (a bound, should it never come back).
BACKLOG_LIMIT = 10_000
COUNTRY_MEMORY = 100_000
ANALYSIS_MEMORY = 256
# Buttons that ask for crisis help: a failed turn still answers them with the lines.
_CRISIS_BUTTONS = frozenset({"risk_yes", "followup_bad", "danger_unsafe"})
_HELP_BUTTONS = frozenset({"lines", "more"})
_T = TypeVar("_T")


def _iso(value: datetime) -> str:
    return value.isoformat()


# Telegram's own limit for one message; longer input is asked to be split, nothing is stored.
MAX_TEXT_CHARS = 4096

FLOWS: dict[str, Flow] = {
    f.name: f
    for f in (
        Onboarding(),
        Settings(),
        ThoughtRecordFlow(),
        ActivationFlow(),
        OutcomeFlow(),
        SafetyPlanFlow(),
        SafetyCheck(),
    )
}
# Commands that start a flow, and the flow they start.
FLOW_COMMANDS = {
    "start": "onboarding",
    "settings": "settings",
    "new": "thought_record",
    "plan": "activation",
    "safetyplan": "safety_plan",
}
# The menu a transport shows (Telegram's setMyCommands): command -> catalogue key of its summary.
COMMAND_MENU = {
    "new": "cmd.new",
    "help": "cmd.help",
    "settings": "cmd.settings",
    "plan": "cmd.plan",
    "tasks": "cmd.tasks",
    "journal": "cmd.journal",
    "progress": "cmd.progress",
    "safetyplan": "cmd.safetyplan",
    "cancel": "cmd.cancel",
    "export": "cmd.export",
    "delete": "cmd.delete",
    "start": "cmd.start",
}


# Buttons by which a person says they are safe, and what the bot answers.
_CALM_REPLIES = {
    "safe": "crisis.safe_reply",
    "followup_ok": "followup.ok_reply",
}
# the digests of messages the person answered "no" to the direct question about, in a record
RISK_CHECKED_SLOT = "_risk_checked"


@dataclass(frozen=True)
class EngineSettings:
    default_timezone: str = "UTC"
    # the support team's chat; None: no alerts, and nobody is asked about them
    escalation_chat_id: int | None = None
    language: str = "en"
    # after a crisis: no nudges for this long, and one gentle check-in after this long
    crisis_pause: timedelta = timedelta(hours=24)
    followup_after: timedelta = timedelta(hours=24)
    # at most one alert per person in this interval
    alert_interval: timedelta = timedelta(hours=1)
    # a task nudge later than this (the bot was down) is not sent: the task is marked missed
    max_late: timedelta = timedelta(hours=2)
    # one gentle follow-up when a nudge gets no answer
    task_followup_after: timedelta = timedelta(hours=3)
    # Telegram user ids allowed to see /stats
    admin_ids: frozenset[int] = frozenset()
    # Store the replies with the turn, in the same transaction, for a sender to deliver (the
    # Telegram transport). Off: the replies are only returned (the console prints them).
    outbox: bool = False

    @property
    def escalation_enabled(self) -> bool:
        return self.escalation_chat_id is not None


@dataclass
class NudgeResult:
    """What to do with a due reminder: send `replies`, or wait until `defer_until`.
    `stored`: the replies are in the outbox and the reminder is marked sent with them."""

    replies: list[Reply]
    defer_until: datetime | None = None
    stored: bool = False


@dataclass
class TurnResult:
    """What one turn said. `stored`: the replies are in the outbox, committed with the turn
    (`outbox` has their rows), for the sender to deliver. Otherwise the transport sends
    `replies` itself: the console always, and any transport when the turn `failed` (these are
    then the crisis answer or an apology, made without the storage that may have failed)."""

    replies: list[Reply]
    stored: bool = False
    outbox: list[OutboxItem] = field(default_factory=list)
    # a risk answer: to be sent ahead of everything else
    urgent: bool = False
    failed: bool = False


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame: enough to find a bug, never the exception's message
    (which may quote what the person wrote)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _text_of(event: Event) -> str:
    if isinstance(event, Text | Edited):
        return event.text
    if isinstance(event, Command):
        return event.args
    if isinstance(event, Unsupported):
        return event.caption or ""
    return ""


def country_hint(language_code: str | None) -> str | None:
    """A country from a language tag's region ("en-GB" -> "GB"), when there are lines for it.
    A bare language ("en", "es") says nothing reliable about where someone is."""
    if not language_code:
        return None
    _, _, region = language_code.replace("_", "-").partition("-")
    return crisis_lines.find_country(region) if len(region) == 2 else None


class Engine:
    def __init__(
        self,
        store: Store,
        settings: EngineSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        renderer: Callable[[progress.ProgressData, datetime, str], bytes] | None = None,
    ) -> None:
        self.store = store
        # draws the /progress picture (the process layer owns the plotting library)
        self.renderer = renderer
        self.settings = settings or EngineSettings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self.texts = catalogue(self.settings.language)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        # audit rows of failed turns: (user id, level, rules, time), written once storage works
        self._backlog: list[tuple[int, str, tuple[str, ...], datetime]] = []
        # the last country each person was seen with, for a crisis answer made without storage
        self._countries: dict[int, str | None] = {}
        # the last few analyses: a transport's risk check and the turn read the same message
        self._analyses: dict[str, nlp_models.Analysis] = {}

    def warm_up(self) -> None:
        """Load the language pipeline and the crisis lines now, so the first person to write
        does not wait for them (and a crisis answer never depends on loading a file)."""
        nlp_models.analyze("warming up")
        crisis_lines.lines_for(None)
        crisis_lines.lines_for(None, "danger")

    def command_menu(self) -> list[tuple[str, str]]:
        return [(name, self.texts.get(key)) for name, key in COMMAND_MENU.items()]

    async def handle(self, user: User, event: Event, seq: int | None = None) -> list[Reply]:
        """One turn for one user, its replies. See `turn`."""
        return (await self.turn(user, event, seq)).replies

    async def turn(
        self,
        user: User,
        event: Event,
        seq: int | None = None,
        *,
        inbox_id: int | None = None,
        unseen: bool = False,
    ) -> TurnResult:
        """One turn for one user. Turns of the same user run strictly one after another.
        `seq`, when the transport has one, makes a redelivered event a no-op; `inbox_id` is
        the stored event, marked handled with the turn. `unseen`: the bot's last question to
        this person was not delivered before they wrote, so a typed message is not taken as
        its answer (the question is restated instead).

        A turn that fails, for any reason, still answers: a message at risk gets the crisis
        lines (its audit row is written when storage works again), anything else an apology
        that repeats the question the person is at."""
        try:
            async with self._person(user.id):
                return await self._turn(user, event, seq, inbox_id, unseen)
        except Exception as exc:
            log.error("turn of user %s failed: %s at %s", user.id, type(exc).__name__,
                      _where(exc))  # fmt: skip
            return await self._fallback(user, event)

    @contextlib.asynccontextmanager
    async def _person(self, user_id: int) -> AsyncIterator[None]:
        """One person's turns and nudges run one after another; the lock is dropped when
        nobody waits for it, so idle people cost no memory."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        self._waiting[user_id] = self._waiting.get(user_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[user_id] -= 1
            if not self._waiting[user_id]:
                del self._waiting[user_id]
                self._locks.pop(user_id, None)

    async def _turn(
        self, user: User, event: Event, seq: int | None, inbox_id: int | None, unseen: bool
    ) -> TurnResult:
        now = self.clock()
        dialog = await self.store.load_dialog(user.id)
        if seq is not None and self._seen(dialog, seq, now):
            log.info("skipping event %s for user %s: already handled", seq, user.id)
            if self.settings.outbox and inbox_id is not None:
                await self.store.commit_turn(user.id, dialog, TurnWrites(inbox_id=inbox_id))
            return TurnResult([], stored=self.settings.outbox)
        profile = await self.store.load_profile(user.id)
        if profile is None:
            profile = UserProfile(
                user.id, first_name=user.first_name, language=user.language_code, created_at=now
            )
        changed = not profile.active or (user.first_name and profile.first_name != user.first_name)
        profile.active = True  # they wrote: nudges may go to them again
        profile.first_name = user.first_name or profile.first_name
        self._remember_country(user.id, profile.country)
        turn = await self._new_turn(user, profile, dialog, now)
        turn.delivery_in_doubt = unseen
        if changed:
            turn.save_profile()
        await self._prefetch(turn, event)
        self._dispatch(turn, event)
        turn.dialog.updated_at = now
        if seq is not None:
            turn.dialog.last_seq = seq
        result = await self._commit(turn, seq=seq, inbox_id=inbox_id)
        self._remember_country(user.id, turn.profile.country)
        return result

    async def _commit(
        self,
        turn: Turn,
        seq: int | None = None,
        inbox_id: int | None = None,
        reminder_id: int | None = None,
    ) -> TurnResult:
        """Fit the replies to a message's size and commit the turn; with the outbox, the
        replies, the handled event and the sent reminder go in the same transaction."""
        turn.replies = longtext.fit(turn.replies)
        outbox: list[OutboxItem] = []
        if self.settings.outbox:
            outbox = [
                OutboxItem(
                    chat_id=turn.user.id if reply.chat_id is None else reply.chat_id,
                    user_id=turn.user.id,
                    reply=reply,
                    urgent=turn.urgent,
                    seq=seq,
                    forget=turn.writes.delete_user,
                    created_at=turn.now,
                )
                for reply in turn.replies
                if reply.kind != "notice"
            ]
            turn.writes.outbox = outbox
            turn.writes.inbox_id = inbox_id
            turn.writes.sent_reminder = reminder_id
        await self.store.commit_turn(turn.user.id, turn.dialog, turn.writes, at=turn.now)
        if self._backlog:
            await self.catch_up()
        return TurnResult(turn.replies, self.settings.outbox, outbox, urgent=turn.urgent)

    def _analyze(self, text: str) -> nlp_models.Analysis:
        text = text[: MAX_TEXT_CHARS * 4]
        analysis = self._analyses.get(text)
        if analysis is None:
            analysis = self._analyses[text] = nlp_models.analyze(text)
            if len(self._analyses) > ANALYSIS_MEMORY:
                del self._analyses[next(iter(self._analyses))]
        return analysis

    def _remember_country(self, user_id: int, country: str | None) -> None:
        self._countries.pop(user_id, None)
        self._countries[user_id] = country
        if len(self._countries) > COUNTRY_MEMORY:
            del self._countries[next(iter(self._countries))]

    # -- when a turn fails -----------------------------------------------------------------------
    def risk_of(self, event: Event) -> str | None:
        """Whether an event needs the crisis answer even if its turn cannot run: "crisis" or
        "concern" (what the analyzer says of its text), "help" (a press asking for the lines),
        or None. Pure: no storage. If the analyzer itself fails, "help": the lines are shown
        rather than risk a crisis going unanswered."""
        if isinstance(event, Button):
            if not event.data.startswith(GLOBAL_PREFIX):
                return None
            verb = event.data[len(GLOBAL_PREFIX) :].partition(":")[0]
            if verb in _CRISIS_BUTTONS:
                return "crisis"
            return "help" if verb in _HELP_BUTTONS else None
        text = _text_of(event)
        if not text.strip():
            return None
        try:
            risk = self._analyze(text).risk
        except Exception as exc:
            log.error("risk check failed: %s at %s", type(exc).__name__, _where(exc))
            return "help"
        return None if risk == "none" else risk

    async def _fallback(self, user: User, event: Event) -> TurnResult:
        level = self.risk_of(event)
        if level is None:
            return TurnResult(await self.apology(user), failed=True)
        if level in ("crisis", "concern"):
            rules: tuple[str, ...] = ()
            with contextlib.suppress(Exception):
                rules = tuple(self._analyze(_text_of(event)).risk_rules)
            if len(self._backlog) < BACKLOG_LIMIT:
                self._backlog.append((user.id, level, rules, self.clock()))
            log.info("risk detected (turn failed): level=%s rules=%s", level, ",".join(rules))
        return TurnResult(await self.crisis_fallback(user, level), urgent=True, failed=True)

    async def crisis_fallback(self, user: User, level: str = "crisis") -> list[Reply]:
        """The crisis answer straight from the lines data, for when the turn cannot give it
        (it failed, or is stuck): the lines for the person's country (from their profile if
        it can be read at once, else the last one seen, else their language tag's region,
        else the international lines), their safety plan if it can be read. "help": the
        lines alone."""
        profile = await self._soon(self.store.load_profile, user.id)
        plan = await self._soon(self.store.load_safety_plan, user.id)
        if profile is None:
            country = self._countries.get(user.id) or country_hint(user.language_code)
            profile = UserProfile(user.id, first_name=user.first_name, country=country)
        turn = self._bare_turn(user, profile, DialogState())
        turn.safety_plan = plan
        try:
            if level == "help":
                crisis.lines_only(turn)
            else:
                crisis.crisis_response(turn)
        except Exception as exc:  # then at least the lines, without the plan or the words
            log.error("crisis answer failed: %s at %s", type(exc).__name__, _where(exc))
            turn.safety_plan, turn.replies = None, []
            crisis.lines_only(turn)
        return longtext.fit(turn.replies)

    async def apology(self, user: User) -> list[Reply]:
        """Sorry, and the question the person is at, when their state can be read: the next
        message then answers what they can see. Nothing is written."""
        dialog = await self._soon(self.store.load_dialog, user.id)
        profile = await self._soon(self.store.load_profile, user.id)
        turn = self._bare_turn(user, profile or UserProfile(user.id), dialog or DialogState())
        turn.keep_step = True
        lines = ((turn.global_choice(turn.t("crisis.lines_button"), "lines"),),)
        try:
            self._reprompt(turn)
        except Exception as exc:
            log.error("restating failed: %s at %s", type(exc).__name__, _where(exc))
            turn.replies = []
        if turn.replies:
            turn.replies.insert(0, Reply(turn.t("error.internal_restate"), lines))
        else:
            turn.replies = [Reply(turn.t("error.internal"), lines)]
        return longtext.fit(turn.replies)

    def _bare_turn(self, user: User, profile: UserProfile, dialog: DialogState) -> Turn:
        return Turn(
            user=user,
            profile=profile,
            dialog=dialog,
            now=self.clock(),
            texts=self.texts,
            rng=self.rng,
            default_timezone=self.settings.default_timezone,
            activation_available="activation" in FLOWS,
        )

    @staticmethod
    async def _soon(read: Callable[..., Awaitable[_T]], *args: object) -> _T | None:
        """A read that may not come (storage locked or broken): None after a short wait."""
        try:
            return await asyncio.wait_for(read(*args), FALLBACK_READ_TIMEOUT)
        except Exception:
            return None

    async def catch_up(self) -> int:
        """Write the audit rows of failed turns, now that storage may work again. Returns how
        many are still waiting."""
        while self._backlog:
            user_id, level, rules, at = self._backlog[0]
            try:
                await self.store.record_risk(user_id, level, rules, at)
            except Exception as exc:
                log.warning("audit rows still waiting: %d (%s)", len(self._backlog),
                            type(exc).__name__)  # fmt: skip
                break
            self._backlog.pop(0)
        return len(self._backlog)

    @staticmethod
    def _seen(dialog: DialogState, seq: int, now: datetime) -> bool:
        """A redelivery after a crash repeats recent updates within minutes. Telegram's update
        ids may restart at random after a quiet week, so only a recent, close, not-newer id is
        taken as a repeat; a silent drop of a real message (maybe a crisis) would be worse."""
        last, updated = dialog.last_seq, dialog.updated_at
        return (
            last is not None
            and updated is not None
            and 0 <= last - seq < REDELIVERY_WINDOW
            and now - updated < timedelta(days=1)
        )

    async def _new_turn(
        self, user: User, profile: UserProfile, dialog: DialogState, now: datetime
    ) -> Turn:
        return Turn(
            user=user,
            profile=profile,
            dialog=dialog,
            now=now,
            texts=self.texts,
            rng=self.rng,
            escalation_enabled=self.settings.escalation_enabled,
            default_timezone=self.settings.default_timezone,
            safety_plan=await self.store.load_safety_plan(user.id),
            activation_available="activation" in FLOWS,
        )

    async def _prefetch(self, turn: Turn, event: Event) -> None:
        """Reads a turn needs beyond the person's state (turn logic itself stays synchronous)."""
        command = event.name if isinstance(event, Command) else None
        uid = turn.user.id
        if command == "progress":
            since = turn.now - timedelta(days=progress.DAYS + 1)
            tasks = await self.store.tasks_since(uid, since)
            data = my_data.progress_data(await self.store.records_since(uid, since), tasks)
            tz = turn.profile.timezone or self.settings.default_timezone
            numbers = progress.summarize(data, turn.now, tz)
            picture = None
            if self.renderer is not None and not numbers.empty:
                picture = await asyncio.to_thread(self.renderer, data, turn.now, tz)
            turn.extra["progress"] = (numbers, {t.id: t.title for t in tasks}, picture)
        elif command == "export":
            turn.extra["export"] = await self.store.export_user(uid)
        elif command == "stats" and uid in self.settings.admin_ids:
            turn.extra["stats"] = await self.store.stats(turn.now)
        if isinstance(event, Command) and event.name == "tasks":
            turn.tasks = await self.store.upcoming_tasks(turn.user.id, TASKS_SIZE)
        if isinstance(event, Button) and event.data.startswith(GLOBAL_PREFIX + "task:"):
            task_id = event.data.split(":")[2]
            if task_id.isdigit():
                task = await self.store.task(turn.user.id, int(task_id))
                turn.tasks = [task] if task else []
        wants_journal = isinstance(event, Command) and event.name == "journal"
        opens_record = isinstance(event, Button) and event.data.startswith(GLOBAL_PREFIX + "rec:")
        if wants_journal or opens_record:
            turn.records = await self.store.thought_records(turn.user.id, JOURNAL_SIZE)
            if opens_record and not any(
                GLOBAL_PREFIX + f"rec:{r.id}" == event.data for r in turn.records
            ):
                record_id = event.data.rpartition(":")[2]
                if record_id.isdigit():
                    record = await self.store.thought_record(turn.user.id, int(record_id))
                    turn.records += [record] if record else []

    async def nudge(self, reminder: Reminder) -> NudgeResult:
        """Build the message for a due reminder, under the same per-user lock as turns."""
        async with self._person(reminder.user_id):
            return await self._nudge(reminder)

    async def _nudge(self, reminder: Reminder) -> NudgeResult:
        now = self.clock()
        profile = await self.store.load_profile(reminder.user_id)
        if profile is None or not profile.active:
            return NudgeResult([])
        task = None
        if reminder.task_id is not None:
            task = await self.store.task(reminder.user_id, reminder.task_id)
            if task is None or task.status not in ("planned", "nudged"):
                return NudgeResult([])  # done, skipped or cancelled meanwhile
        is_task = reminder.kind in ("task", "task_followup")
        paused = profile.nudges_paused_until
        if is_task and paused is not None and paused > now:
            return NudgeResult([], defer_until=paused)  # no nudges after a crisis
        quiet_end = nudges.quiet_until(profile, now, self.settings.default_timezone)
        if quiet_end is not None:
            return NudgeResult([], defer_until=quiet_end)
        dialog = await self.store.load_dialog(reminder.user_id)
        user = User(reminder.user_id, profile.first_name, profile.language)
        turn = await self._new_turn(user, profile, dialog, now)
        if reminder.kind == "followup":
            crisis.followup_checkin(turn)
        elif reminder.kind == "task" and task is not None:
            if now - reminder.due_at > self.settings.max_late:
                nudges.missed(turn, task)  # the bot was down when it was due
            else:
                held_back = now - task.due_at > self.settings.max_late
                nudges.nudge(turn, task, self.settings.task_followup_after, held_back)
            nudges.plan_next_occurrence(turn, task)
        elif reminder.kind == "task_followup" and task is not None and task.status == "nudged":
            nudges.follow_up(turn, task)
        else:
            return NudgeResult([])
        result = await self._commit(turn, reminder_id=reminder.id)
        return NudgeResult(result.replies, stored=result.stored)

    # -- dispatch ------------------------------------------------------------------------------
    def _dispatch(self, turn: Turn, event: Event) -> None:
        if isinstance(event, Text):
            self._on_text(turn, event)
        elif isinstance(event, Command):
            # Words typed after a command ("/new I can't go on") are checked like any message.
            if event.args and self._risk_first(turn, event.args):
                return
            self._on_command(turn, event)
        elif isinstance(event, Button):
            self._on_button(turn, event)
        elif isinstance(event, Unsupported):
            if event.caption and self._risk_first(turn, event.caption):
                return
            # A voice message or sticker cannot be read for risk: help stays one tap away.
            turn.say(turn.t("input.unsupported"),
                     ((turn.global_choice(turn.t("crisis.lines_button"), "lines"),),))  # fmt: skip
            self._reprompt(turn)
        elif isinstance(event, Edited):
            # An edit is read for risk like a new message; it changes no answer already taken.
            if self._risk_first(turn, event.text):
                return
            turn.say(turn.t("input.edited"))

    def _on_text(self, turn: Turn, event: Text) -> None:
        text = event.text
        if self._risk_first(turn, text):
            return
        if turn.delivery_in_doubt and self._flow(turn) is not None and turn.dialog.state:
            # The person could not see the question this would answer: ask it again, with
            # the same buttons, instead of filing their words under it.
            turn.say(turn.t("delivery.restate"))
            turn.keep_step = True
            self._reprompt(turn)
            return
        if turn.analysis.language != "en":
            # The detectors read English only: say so kindly, and keep help one tap away
            # (a crisis in another language cannot be recognised).
            turn.say(turn.t("input.other_language"),
                     ((turn.global_choice(turn.t("crisis.lines_button"), "lines"),),))  # fmt: skip
            self._reprompt(turn)
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
            updated = turn.dialog.updated_at
            if updated is not None and turn.now - updated > IDLE_AFTER:
                self._ask_after_idle(turn, flow)
                return
            self._step(turn, flow, event, turn.typed_choice(text))
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

    def _step(self, turn: Turn, flow: Flow, event: Event, choice: str | None) -> None:
        trigger = flow.handle(turn, event, choice)
        self._fire(turn, flow, trigger)

    def _fire(self, turn: Turn, flow: Flow, trigger: str | None) -> None:
        """Move the flow on, then do what its end asks for: the crisis response, a hand-over
        to the next flow, or an offer to resume what an interruption set aside."""
        if trigger:
            flow.fire(turn, trigger)
        if turn.crisis_confirmed:
            self._on_crisis(turn, None)
        elif turn.answered_no:
            self._after_no(turn)
        elif turn.next_flow in FLOWS and not turn.dialog.active:
            FLOWS[turn.next_flow].start(turn, turn.next_slots)
        elif flow.name == "outcome" and not turn.dialog.active:
            crisis.offer_resume(turn)

    def _risk_first(self, turn: Turn, text: str) -> bool:
        """Check for risk before anything else, in every state and whatever the size of the
        message. A risky message gets the crisis response and nothing else."""
        analysis = self._analyze(text)
        turn.analysis = analysis
        if analysis.risk == "none":
            return False
        if analysis.risk == "concern" and crisis.checked_digest(text) in turn.dialog.slots.get(
            RISK_CHECKED_SLOT, ()
        ):
            return False  # the person already answered the direct question about these words
        turn.urgent = True
        turn.writes.risk_events.append((analysis.risk, analysis.risk_rules))
        log.info("risk detected: level=%s rules=%s", analysis.risk, ",".join(analysis.risk_rules))
        if analysis.risk == "danger":
            crisis.danger_response(turn)
        elif analysis.risk == "crisis" or turn.dialog.flow == "safety_check":
            # A second worrying message in answer to the direct question is taken as a yes.
            self._on_crisis(turn, text)
        else:
            crisis.concern_response(turn, pending=text)
        return True

    def _after_no(self, turn: Turn) -> None:
        """No to the direct question: go on with the flow it interrupted, with the words the
        person had written (they are not asked about again in this record); with nothing
        interrupted, a kind word and the lines."""
        turn.answered_no = False
        if turn.dialog.flow == "safety_check":
            self._leave_flow(turn)
        suspended = turn.dialog.suspended
        pending = suspended.get("pending") if suspended else None
        if pending is None or suspended.get("flow") not in FLOWS:
            turn.say(turn.t("concern.no_reply"))
            crisis.offer_resume(turn)
            return
        turn.say(turn.t("concern.no_continue"))
        flow = FLOWS[suspended["flow"]]
        slots = dict(suspended["slots"])
        slots[RISK_CHECKED_SLOT] = [
            *slots.get(RISK_CHECKED_SLOT, []),
            crisis.checked_digest(pending),
        ]
        turn.dialog = DialogState(
            flow=suspended["flow"],
            state=suspended["state"],
            slots=slots,
            step=turn.dialog.step,
            suspended=None,
            last_seq=turn.dialog.last_seq,
        )
        self._step(turn, flow, Text(pending), turn.typed_choice(pending))

    def _on_crisis(self, turn: Turn, text: str | None) -> None:
        """Lines first; then pause nudges, plan one gentle check-in, and alert the team if the
        person agreed to that."""
        turn.urgent = True
        crisis.crisis_response(turn)
        settings = self.settings
        turn.profile.nudges_paused_until = turn.now + settings.crisis_pause
        turn.writes.cancel_reminders.append("followup")
        turn.writes.reminders.append(
            Reminder(turn.user.id, "followup", turn.now + settings.followup_after)
        )
        last = turn.profile.last_alert_at
        if (
            settings.escalation_chat_id is not None
            and turn.profile.share_alerts
            and (last is None or turn.now - last >= settings.alert_interval)
        ):
            turn.profile.last_alert_at = turn.now
            turn.replies.append(
                Reply(crisis.alert_text(turn, "crisis", text), chat_id=settings.escalation_chat_id)
            )
        turn.save_profile()

    def _on_command(self, turn: Turn, event: Command) -> None:
        name = event.name
        if name == "help":
            self._help(turn)
        elif name == "cancel":
            self._cancel(turn)
        elif name == "progress" and "progress" in turn.extra:
            numbers, titles, picture = turn.extra["progress"]
            text = my_data.progress_text(turn, numbers, titles)
            if picture is not None:
                turn.replies.append(Reply(image=Attachment("progress.png", picture, "image/png")))
            turn.say(text)
            self._reprompt(turn)
        elif name == "export":
            turn.say(turn.t("export.intro"))
            turn.replies.extend(my_data.export_files(turn.user.id, turn.extra["export"], turn.now))
            self._reprompt(turn)
        elif name == "delete":
            my_data.ask_delete(turn)
        elif name == "stats" and "stats" in turn.extra:
            turn.say(my_data.stats_text(turn, turn.extra["stats"]))
        elif name == "journal":
            journal.show_list(turn)
            self._reprompt(turn)
        elif name == "tasks":
            nudges.show_tasks(turn)
            self._reprompt(turn)
        elif name == "safetyplan" and turn.safety_plan and not turn.dialog.active:
            show_plan(turn)  # its Edit button starts the flow
        elif name in FLOW_COMMANDS:
            self._start_flow(turn, FLOW_COMMANDS[name])
        elif name == "skip":
            flow = self._flow(turn)
            if flow is not None and turn.dialog.state in flow.optional:
                self._fire(turn, flow, flow.skip(turn))
            else:
                turn.say(turn.t("input.no_skip"))
                self._reprompt(turn)
        elif name == "back":
            flow = self._flow(turn)
            trigger = flow.back(turn) if flow is not None else None
            if trigger:
                self._fire(turn, flow, trigger)
            else:
                turn.say(turn.t("input.no_back"))
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
        self._step(turn, flow, event, value)

    def _global_action(self, turn: Turn, action: str) -> None:
        """Buttons that work whatever the person is doing: crisis help above all."""
        verb, _, arg = action.partition(":")
        if verb in _HELP_BUTTONS or verb in _CRISIS_BUTTONS:
            turn.urgent = True
        if verb == "new":
            self._start_flow(turn, "thought_record")
        elif verb == "help":
            self._help(turn)
        elif verb == "lines":
            crisis.lines_only(turn)
        elif verb == "risk_yes":
            self._on_crisis(turn, None)
        elif verb == "risk_no":
            self._after_no(turn)
        elif verb == "calm":
            crisis.calming(turn)
        elif verb == "danger_safe":
            turn.say(turn.t("danger.safe_reply"))
            crisis.after_danger(turn)
        elif verb == "danger_unsafe":
            crisis.danger_unsafe(turn)
        elif verb == "danger_lines":
            crisis.danger_lines_only(turn)
        elif verb == "discreet_on":
            turn.profile.discreet = True
            turn.save_profile()
            turn.say(turn.t("discreet.on_reply"))
        elif verb == "later":
            crisis.come_back_later(turn)
        elif verb == "more":
            crisis.more_resources(turn)
        elif verb in _CALM_REPLIES:
            if turn.dialog.flow == "safety_check":
                self._leave_flow(turn)
            turn.say(turn.t(_CALM_REPLIES[verb]))
            crisis.after_crisis(turn)
        elif verb == "followup_bad":
            turn.say(turn.t("followup.bad_reply"))
            crisis.lines_only(turn)
            if turn.safety_plan:
                show_plan(turn)
        elif verb == "plan":
            if turn.safety_plan:
                show_plan(turn)
            else:
                self._start_flow(turn, "safety_plan")
        elif verb == "plan_edit":
            self._start_flow(turn, "safety_plan")
        elif verb == "resume":
            self._resume(turn)
        elif verb == "fresh":
            turn.dialog.suspended = None
            if arg in FLOWS:
                self._start_flow(turn, arg, fresh=True)
            else:
                turn.say(turn.t("resume.dropped"))
        elif verb == "switch" and arg in FLOWS:
            self._leave_flow(turn)
            self._start_flow(turn, arg, fresh=True)
        elif verb == "stay":
            self._reprompt(turn)
        elif verb == "drop":
            self._drop(turn, keep=arg == "keep")
        elif verb == "task":
            self._task_action(turn, arg)
        elif verb == "delete":
            my_data.confirm_delete(turn, arg)
        elif verb == "rec" and arg.isdigit():
            self._open_record(turn, int(arg))
        elif verb == "idle":
            self._after_idle(turn, arg)
        else:
            turn.notice(turn.t("input.stale_button"))

    # -- flows -----------------------------------------------------------------------------------
    def _flow(self, turn: Turn) -> Flow | None:
        return FLOWS.get(turn.dialog.flow) if turn.dialog.flow else None

    def _start_flow(self, turn: Turn, name: str, fresh: bool = False) -> None:
        current = self._flow(turn)
        if current is not None and current.name == "safety_check":
            self._leave_flow(turn)  # an unanswered check-in is no flow to keep
            current = None
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
        if name not in ("onboarding", "safety_plan") and not turn.profile.onboarded:
            turn.say(turn.t("idle.not_onboarded"))
            return
        suspended = turn.dialog.suspended
        if suspended and suspended.get("flow") == name and not fresh:
            turn.say(
                turn.t("resume.draft_ask", flow=turn.t(f"flow.{name}")),
                (
                    (
                        turn.global_choice(turn.t("resume.yes"), "resume"),
                        turn.global_choice(turn.t("resume.fresh"), f"fresh:{name}"),
                    ),
                ),
            )
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

    def _ask_after_idle(self, turn: Turn, flow: Flow) -> None:
        turn.say(
            turn.t("idle.continue_ask", flow=turn.t(f"flow.{flow.name}")),
            (
                (
                    turn.global_choice(turn.t("idle.continue"), "idle:continue"),
                    turn.global_choice(turn.t("idle.fresh"), f"idle:{flow.name}"),
                ),
            ),
        )

    def _after_idle(self, turn: Turn, arg: str) -> None:
        name = turn.dialog.flow
        # Only a flow a command can start again can start fresh (an outcome or a check-in
        # needs what it was started with); a button about another flow than the current
        # one is stale.
        if arg == "continue" or arg != name or name not in FLOW_COMMANDS.values():
            self._reprompt(turn)
            return
        self._leave_flow(turn)
        if name == FLOW_COMMANDS["start"]:
            FLOWS[name].start(turn)
        else:
            self._start_flow(turn, name, fresh=True)

    def _task_action(self, turn: Turn, arg: str) -> None:
        """Buttons on a nudge or in /tasks: done, snooze, skip, reschedule, cancel."""
        task_id, _, verb = arg.partition(":")
        task = next((t for t in turn.tasks if str(t.id) == task_id), None)
        open_states = (
            ("planned", "nudged", "missed") if verb == "resched" else ("planned", "nudged")
        )
        if task is None or task.status not in open_states:
            turn.notice(turn.t("task.gone"))
            return
        if verb == "show":
            turn.say(nudges.details(turn, task))
        elif verb == "done":
            self._interrupt_with(turn, "outcome", {"task": task.to_slots()})
        elif verb == "resched":
            self._interrupt_with(turn, "activation", {"task": task.to_slots()})
        elif verb in nudges.SNOOZES:
            nudges.snooze(turn, task, verb)
        elif verb in ("skip", "cancel"):
            task.status = "skipped" if verb == "skip" else "cancelled"
            turn.writes.tasks.append(task)
            turn.writes.cancel_task_reminders.append(task.id)
            turn.say(
                turn.t("task.skipped" if verb == "skip" else "task.cancelled", title=task.title)
            )
        else:
            turn.notice(turn.t("input.stale_button"))

    def _interrupt_with(self, turn: Turn, name: str, slots: dict) -> None:
        """Start `name` now, keeping whatever the person was in the middle of to resume."""
        d = turn.dialog
        if d.active and d.flow not in ("safety_check", name):
            d.suspended = {"flow": d.flow, "state": d.state, "slots": d.slots}
        self._leave_flow(turn)
        FLOWS[name].start(turn, slots)

    def _open_record(self, turn: Turn, record_id: int) -> None:
        record = next((r for r in turn.records if r.id == record_id), None)
        if record is None:
            turn.notice(turn.t("journal.not_found"))
            return
        journal.show_record(turn, record)

    def _help(self, turn: Turn) -> None:
        turn.say(turn.t("help"), ((turn.global_choice(turn.t("crisis.lines_button"), "lines"),),))
        self._reprompt(turn)

    def _leave_flow(self, turn: Turn) -> None:
        turn.dialog.flow = turn.dialog.state = None
        turn.dialog.slots = {}

    def _cancel(self, turn: Turn) -> None:
        flow = self._flow(turn)
        if flow is None:
            turn.say(turn.t("flow.nothing_to_cancel"))
            return
        name = turn.t(f"flow.{flow.name}")
        if flow.draftable and turn.dialog.state != flow.initial:
            turn.say(
                turn.t("flow.keep_draft_ask", flow=name),
                (
                    (
                        turn.global_choice(turn.t("flow.keep_draft"), "drop:keep"),
                        turn.global_choice(turn.t("flow.discard_draft"), "drop:discard"),
                    ),
                ),
            )
            return
        self._leave_flow(turn)
        turn.say(turn.t("flow.cancelled", flow=name))

    def _drop(self, turn: Turn, keep: bool) -> None:
        """The answer to /cancel's question: keep the answers so far as a draft, or not."""
        flow = self._flow(turn)
        if flow is None:
            turn.notice(turn.t("input.stale_button"))
            return
        if keep:
            d = turn.dialog
            d.suspended = {"flow": d.flow, "state": d.state, "slots": d.slots, "at": _iso(turn.now)}
        self._leave_flow(turn)
        turn.say(
            turn.t(
                "flow.draft_kept" if keep else "flow.cancelled", flow=turn.t(f"flow.{flow.name}")
            )
        )

    def _reprompt(self, turn: Turn) -> None:
        """Repeat the current question so the person knows what the bot is waiting for."""
        flow = self._flow(turn)
        if flow is not None and turn.dialog.state:
            flow.show(turn, turn.dialog.state)

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
        FLOWS[suspended["flow"]].show(turn, suspended["state"])
