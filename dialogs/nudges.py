"""What a task nudge says and does: on time, late, snoozed, followed up, repeated; and /tasks."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialogs import when
from dialogs.flows.activation import task_reminder
from dialogs.models import Reminder, Task, UserProfile
from dialogs.turn import Turn

SNOOZES = {"s15": timedelta(minutes=15), "s60": timedelta(hours=1), "stom": None}


def quiet_until(profile: UserProfile, now: datetime, default_tz: str) -> datetime | None:
    """The end of the person's quiet hours if `now` falls inside them (local time), else None.
    Quiet hours may span midnight (22-8); equal start and end mean none."""
    start, end = profile.quiet_start, profile.quiet_end
    if start == end:
        return None
    zone = ZoneInfo(profile.timezone or default_tz)
    local = now.astimezone(zone)
    hour = local.hour
    inside = start <= hour < end if start < end else hour >= start or hour < end
    if not inside:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    end_local = datetime.combine(day, time(end), tzinfo=zone)
    return end_local.astimezone(now.tzinfo)


def _zone(turn: Turn) -> str:
    return turn.profile.timezone or turn.default_timezone


def _buttons(turn: Turn, task: Task, full: bool = True):
    def b(label_key: str, verb: str):
        return turn.global_choice(turn.t(label_key), f"task:{task.id}:{verb}")

    rows = [(b("task.done", "done"),)]
    if turn.profile.discreet:
        rows.insert(0, (b("task.show", "show"),))
    if full:
        rows.append((b("task.s15", "s15"), b("task.s60", "s60"), b("task.stom", "stom")))
        rows.append((b("task.skip", "skip"), b("task.resched", "resched")))
    else:
        rows.append((b("task.skip", "skip"),))
    return tuple(rows)


def nudge(turn: Turn, task: Task, follow_up_after: timedelta, held_back: bool = False) -> None:
    """The nudge. `held_back`: it waited out quiet hours or the pause after a crisis, so it
    says when the action was planned instead of "it's time"."""
    text = turn.t("task.discreet") if turn.profile.discreet else details(turn, task, held_back)
    turn.say(text, _buttons(turn, task))
    task.status = "nudged"
    turn.writes.tasks.append(task)
    # A retried send runs this again: one follow-up per nudge, not one per attempt.
    turn.writes.cancel_task_reminders.append(task.id)
    turn.writes.reminders.append(
        Reminder(task.user_id, "task_followup", turn.now + follow_up_after, task_id=task.id)
    )


def details(turn: Turn, task: Task, held_back: bool = False) -> str:
    """What the nudge says of the task (shown at once, or on "Show details" when discreet)."""
    step = turn.t("task.first_step", step=task.first_step) if task.first_step else ""
    if held_back:
        planned = when.format_local(task.due_at, _zone(turn), turn.now)
        return turn.t("task.nudge_held", title=task.title, step=step, when=planned)
    return turn.t("task.nudge", title=task.title, step=step)


def follow_up(turn: Turn, task: Task) -> None:
    """One gentle follow-up when a nudge got no answer; after that, nothing more."""
    if turn.profile.discreet:
        text = turn.t("task.discreet")
    else:
        text = turn.t("task.followup", title=task.title)
    turn.say(text, _buttons(turn, task, full=False))


def missed(turn: Turn, task: Task) -> None:
    """The bot was down when this was due: no stale nudge, an offer to find a new time."""
    task.status = "missed"
    turn.writes.tasks.append(task)
    local = when.format_local(task.due_at, _zone(turn), turn.now)
    turn.say(
        turn.t("task.missed", title=task.title, when=local),
        ((turn.global_choice(turn.t("task.resched"), f"task:{task.id}:resched"),),),
    )


def plan_next_occurrence(turn: Turn, task: Task) -> None:
    """A repeating task gets its next occurrence as a new task, at the same local time."""
    if task.repeat in (None, "", "none"):
        return
    at = time.fromisoformat(task.local_time) if task.local_time else None
    due = when.next_occurrence(task.due_at, task.repeat, _zone(turn), at=at, after=turn.now)
    if due is None:
        return
    nxt = Task(
        user_id=task.user_id, title=task.title, due_at=due, first_step=task.first_step,
        kind=task.kind, activity_id=task.activity_id, repeat=task.repeat,
        local_time=task.local_time, expected_enjoyment=task.expected_enjoyment,
        expected_achievement=task.expected_achievement, created_at=turn.now,
    )  # fmt: skip
    task.repeat = "none"  # the series continues in the new row
    turn.writes.tasks.append(nxt)
    turn.writes.reminders.append(task_reminder(nxt))


def snooze(turn: Turn, task: Task, verb: str) -> None:
    delay = SNOOZES[verb]
    if delay is None:
        zone = ZoneInfo(_zone(turn))
        local = turn.now.astimezone(zone)
        at = time.fromisoformat(task.local_time) if task.local_time else time(9)
        due = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    else:
        due = turn.now + delay
    task.due_at = due.astimezone(turn.now.tzinfo)
    task.status = "planned"
    turn.writes.tasks.append(task)
    turn.writes.cancel_task_reminders.append(task.id)
    turn.writes.reminders.append(task_reminder(task))
    turn.say(turn.t("task.snoozed", when=when.format_local(task.due_at, _zone(turn), turn.now)))


def show_tasks(turn: Turn) -> None:
    if not turn.tasks:
        turn.say(turn.t("tasks.empty"))
        return
    lines = [turn.t("tasks.title")]
    rows = []
    for number, task in enumerate(turn.tasks, start=1):
        local = when.format_local(task.due_at, _zone(turn), turn.now)
        repeat = f" ({turn.t(f'repeat.{task.repeat}')})" if task.repeat != "none" else ""
        lines.append(f"{number}. {local}{repeat}: {task.title}")
        rows.append(
            (turn.global_choice(turn.t("tasks.cancel", number=number), f"task:{task.id}:cancel"),)
        )
    turn.say("\n".join(lines), tuple(rows))
