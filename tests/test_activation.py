"""Behavioural activation with a controllable clock: planning, nudges, outcomes. No test sleeps
for real minutes: the clock is moved by hand and the reminder loop is run when a test says so."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from engine_driver import Chat, Clock, full_record, onboard

from bot.scheduler import ReminderLoop
from dialogs import Engine, EngineSettings, User
from dialogs.models import DialogState, Task, TurnWrites

LONDON = ZoneInfo("Europe/London")


class Outbox:
    def __init__(self):
        self.sent = []

    async def __call__(self, user_id, replies):
        self.sent.append((user_id, replies))
        return len(self.sent)

    def texts(self):
        return [r.text for _, replies in self.sent for r in replies]


@pytest.fixture
def clock():
    # Monday 2 March 2026, 10:00 in London (UTC+0 then).
    return Clock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))


@pytest.fixture
def engine(storage, clock):
    return Engine(storage, EngineSettings(default_timezone="Europe/London"), clock=clock,
                  rng=random.Random(5))  # fmt: skip


@pytest.fixture
def loop(storage, engine, clock):
    outbox = Outbox()
    return ReminderLoop(storage, engine, outbox, clock=clock), outbox


async def plan(
    chat: Chat,
    when_label: str | None = "In 1 hour",
    typed: str | None = None,
    repeat: str = "Just once",
    enjoy: str = "3",
    achieve: str = "4",
) -> None:
    await chat.send("/plan")
    await chat.press("Other ideas")
    await chat.press("Moving your body")
    await chat.press("Walk")
    if typed:
        await chat.send(typed)
    else:
        await chat.press(when_label)
    await chat.press("Yes")
    await chat.press(repeat)
    await chat.press(enjoy)
    await chat.press(achieve)


async def test_plan_an_activity_with_a_quick_button(chat, storage, clock):
    await onboard(chat)
    await chat.send("/plan")
    assert "Other ideas" in chat.labels() and "My own idea" in chat.labels()
    await chat.press("Other ideas")
    await chat.press("Moving your body")
    await chat.press("Walk")
    assert "When will you do it" in chat.text
    assert {"In 1 hour", "This evening", "Tomorrow morning"} <= set(chat.labels())
    await chat.press("In 1 hour")
    assert "Monday 2 March, 11:00" in chat.text
    await chat.press("Yes")
    await chat.press("Just once")
    assert "expect to enjoy" in chat.text
    await chat.press("3")
    await chat.press("4")
    assert "Planned" in chat.text and "Monday 2 March, 11:00" in chat.text
    [task] = await storage.upcoming_tasks(1001)
    assert task.due_at == clock.now + timedelta(hours=1)
    assert (task.expected_enjoyment, task.expected_achievement) == (3, 4)
    assert task.kind == "physical" and task.first_step
    [reminder] = await storage.reminders(1001)
    assert reminder.kind == "task" and reminder.task_id == task.id
    assert reminder.due_at == task.due_at


@pytest.mark.parametrize(("typed", "expected"), [
    ("tomorrow 9am", "Tuesday 3 March, 09:00"),
    ("Friday 18:30", "Friday 6 March, 18:30"),
    ("in 2 hours", "Monday 2 March, 12:00"),
    ("at 7", "Monday 2 March, 19:00"),
    ("tonight", "Monday 2 March, 20:00"),
])  # fmt: skip
async def test_natural_times_are_confirmed_in_local_time(chat, storage, typed, expected):
    await onboard(chat)
    await chat.send("/plan")
    await chat.send("Call my aunt")  # typed straight away: my own idea
    await chat.send("/skip")  # no first step
    await chat.send(typed)
    assert expected in chat.text and "Is that right" in chat.text


async def test_time_zone_of_the_person_is_used(storage, clock):
    engine = Engine(storage, EngineSettings(), clock=clock)
    chat = Chat(engine, User(7, "Kai"))
    await onboard(chat, "United States")
    await chat.press("New York")
    await chat.send("/plan")
    await chat.send("Stretch for five minutes")
    await chat.send("/skip")
    await chat.send("tomorrow 9am")
    await chat.press("Yes")
    await chat.press("Just once")
    await chat.press("5")
    await chat.press("5")
    [task] = await storage.upcoming_tasks(7)
    assert task.due_at == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # 09:00 EST


@pytest.mark.parametrize(("typed", "reply"), [
    ("yesterday 5pm", "already passed"),
    ("today 8am", "already passed"),
    ("whenever I feel like it", "couldn't read that time"),
    ("7 or 8", "not sure which time"),
])  # fmt: skip
async def test_past_or_unreadable_times_are_asked_again(chat, storage, typed, reply):
    await onboard(chat)
    await chat.send("/plan")
    await chat.send("Water the plants")
    await chat.send("/skip")
    await chat.send(typed)
    assert reply in chat.text
    assert "When will you do it" in chat.text
    assert (await storage.load_dialog(1001)).state == "when"


async def test_changing_the_time_at_the_confirmation(chat, storage):
    await onboard(chat)
    await chat.send("/plan")
    await chat.send("Water the plants")
    await chat.send("Fill the watering can")
    await chat.send("tomorrow 9am")
    await chat.press("Change it")
    await chat.send("tomorrow 10am")
    assert "Tuesday 3 March, 10:00" in chat.text
    assert (await storage.load_dialog(1001)).slots["task"]["first_step"] == "Fill the watering can"


async def test_thought_record_hands_off_to_planning_with_matched_ideas(chat, storage):
    await onboard(chat)
    await full_record(
        chat,
        situation="My boss criticised my report at work",
        thought="I'm useless at my job",
        finish="Plan a small action",
    )
    assert "turn this into one small action" in chat.text
    assert (await storage.load_dialog(1001)).flow == "activation"
    await chat.press(chat.labels()[0])  # the first suggestion
    await chat.press("In 1 hour")
    await chat.press("Yes")
    await chat.press("Just once")
    await chat.press("2")
    await chat.press("6")
    [record] = await storage.thought_records(1001)
    [task] = await storage.upcoming_tasks(1001)
    assert task.thought_record_id == record.id


async def test_nudge_on_time_and_done_records_the_outcome(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat, enjoy="3", achieve="4")
    assert await loop.run_due() == 0
    clock.advance(hours=1)
    assert await loop.run_due() == 1
    [(user_id, [nudge])] = outbox.sent
    assert user_id == 1001 and "planned action" in nudge.text
    labels = [c.label for c in nudge.choices()]
    assert labels == ["Done ✓", "In 15 min", "In 1 hour", "Tomorrow", "Skip this time",
                      "Find another time"]  # fmt: skip
    await chat.press("Done", replies=[nudge])
    assert "actually enjoy" in chat.text
    await chat.press("7")
    await chat.press("6")
    await chat.send("Felt lighter after, the sun was out")
    assert "you expected 3/10, it was 7/10" in chat.text
    assert "better than you predicted" in chat.text
    [task] = await storage.tasks(1001)
    assert task.status == "done" and task.done_at == clock.now
    assert (task.actual_enjoyment, task.actual_achievement) == (7, 6)
    assert task.note == "Felt lighter after, the sun was out"
    clock.advance(hours=4)
    assert await loop.run_due() == 0  # the follow-up was cancelled by the answer


async def test_no_answer_gets_one_gentle_follow_up_then_nothing(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    clock.advance(hours=1)
    await loop.run_due()
    clock.advance(hours=3)
    await loop.run_due()
    assert "Just checking in" in outbox.texts()[-1]
    clock.advance(days=2)
    await loop.run_due()
    assert len(outbox.sent) == 2


async def test_snooze_moves_the_nudge_and_it_is_sent_once_more(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    clock.advance(hours=1)
    await loop.run_due()
    await chat.press("In 15 min", replies=outbox.sent[-1][1])
    assert "remind you again Monday 2 March, 11:15" in chat.text
    clock.advance(minutes=14)
    assert await loop.run_due() == 0
    clock.advance(minutes=1)
    await loop.run_due()
    nudges = [t for t in outbox.texts() if "planned action" in t]
    assert len(nudges) == 2


async def test_snooze_until_tomorrow_keeps_the_planned_local_time(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    clock.advance(hours=1)
    await loop.run_due()
    await chat.press("Tomorrow", replies=outbox.sent[-1][1])
    [task] = await storage.upcoming_tasks(1001)
    assert task.due_at.astimezone(LONDON) == datetime(2026, 3, 3, 11, 0, tzinfo=LONDON)


async def test_skip_and_stale_task_buttons(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    clock.advance(hours=1)
    await loop.run_due()
    nudge = outbox.sent[-1][1]
    await chat.press("Skip this time", replies=nudge)
    assert "That's okay" in chat.text
    await chat.press("Done", replies=nudge)  # an old button on the same nudge
    assert "isn't planned any more" in chat.text
    [task] = await storage.tasks(1001)
    assert task.status == "skipped"


async def test_quiet_hours_move_a_nudge_to_their_end(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat, typed="today 23:30")
    clock.now = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    assert await loop.run_due() == 1
    assert outbox.sent == []
    clock.now = datetime(2026, 3, 3, 7, 59, tzinfo=UTC)
    await loop.run_due()
    assert outbox.sent == []
    clock.now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    await loop.run_due()
    assert len(outbox.sent) == 1


async def test_quiet_hours_can_be_changed_in_settings(chat, storage):
    await onboard(chat)
    await chat.send("/settings")
    await chat.press("Quiet hours")
    await chat.press("none")
    profile = await storage.load_profile(1001)
    assert profile.quiet_start == profile.quiet_end


async def test_daily_reminder_stays_at_nine_local_across_the_clock_change(
    storage, engine, clock, loop
):
    loop, outbox = loop
    chat = Chat(engine, User(1001, "Ann"))
    await onboard(chat)
    clock.now = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)  # Friday; clocks go forward on Sunday
    await plan(chat, typed="tomorrow 9am", repeat="Every day")
    dues = []
    for _ in range(4):
        [task] = await storage.upcoming_tasks(1001)
        dues.append(task.due_at.astimezone(LONDON))
        clock.now = task.due_at
        await loop.run_due()
        await chat.press("Skip this time", replies=outbox.sent[-1][1])
    assert [d.strftime("%a %H:%M %Z") for d in dues] == [
        "Sat 09:00 GMT",
        "Sun 09:00 BST",
        "Mon 09:00 BST",
        "Tue 09:00 BST",
    ]
    assert dues[0].astimezone(UTC).hour == 9 and dues[1].astimezone(UTC).hour == 8


async def test_weekday_repeat_skips_the_weekend(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    clock.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # Thursday
    await plan(chat, typed="tomorrow 8am", repeat="Weekdays")
    [task] = await storage.upcoming_tasks(1001)
    clock.now = task.due_at
    await loop.run_due()
    upcoming = await storage.upcoming_tasks(1001)
    assert upcoming[-1].due_at.astimezone(LONDON).strftime("%a %d %H:%M") == "Mon 09 08:00"


async def test_reminder_due_while_down_is_sent_if_under_two_hours_late(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    clock.advance(hours=2, minutes=59)  # due at +1h: 1h59 late
    await loop.run_due()
    assert "planned action" in outbox.texts()[-1]


async def test_reminder_missed_while_down_offers_to_reschedule(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    clock.advance(hours=3, minutes=1)  # 2h01 late
    await loop.run_due()
    [(_, [message])] = outbox.sent
    assert "because I was offline" in message.text
    [task] = await storage.tasks(1001)
    assert task.status == "missed"
    await chat.press("Find another time", replies=[message])
    assert "When will you do it" in chat.text
    await chat.send("tomorrow 6pm")
    await chat.press("Yes")
    assert "Planned" in chat.text
    [task] = await storage.upcoming_tasks(1001)
    assert task.status == "planned"
    assert task.due_at.astimezone(LONDON).strftime("%d %H:%M") == "03 18:00"
    assert len(await storage.reminders(1001)) == 1


async def test_no_nudges_during_the_pause_after_a_crisis(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    await chat.send("I want to kill myself")
    clock.advance(hours=1)
    await loop.run_due()
    assert outbox.sent == []
    clock.advance(hours=23)  # the follow-up check-in and the deferred nudge are both due now
    await loop.run_due()
    texts = outbox.texts()
    assert any("check in" in t for t in texts) and any("You had planned" in t for t in texts)


async def test_tasks_lists_upcoming_with_cancel_buttons(chat, storage, clock):
    await onboard(chat)
    await chat.send("/tasks")
    assert "no planned actions" in chat.text
    await plan(chat)
    await plan(chat, typed="tomorrow 9am", repeat="Every week")
    await chat.send("/tasks")
    assert "1. Monday 2 March, 11:00" in chat.text
    assert "Tuesday 3 March, 09:00 (Every week)" in chat.text
    await chat.press("Cancel 1")
    assert "Cancelled" in chat.text
    [remaining] = await storage.upcoming_tasks(1001)
    assert remaining.repeat == "weekly"
    assert len(await storage.reminders(1001)) == 1


async def test_done_in_the_middle_of_another_flow_comes_back_to_it(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)
    await chat.send("/new")
    await chat.send("The printer jammed again")
    clock.advance(hours=1)
    await loop.run_due()
    await chat.press("Done", replies=outbox.sent[-1][1])
    await chat.press("5")
    await chat.press("5")
    await chat.send("/skip")
    assert "go back to your thought record" in chat.text
    await chat.press("Yes, continue")
    assert (await storage.load_dialog(1001)).state == "thought"


async def test_tasks_of_someone_else_cannot_be_touched(engine, storage, clock):
    ann, bob = Chat(engine, User(1, "Ann")), Chat(engine, User(2, "Bob"))
    await onboard(ann)
    await onboard(bob)
    await plan(ann)
    [task] = await storage.upcoming_tasks(1)
    from dialogs import Button

    await bob.event(Button(f"g:task:{task.id}:cancel"))
    assert "isn't planned" in bob.text
    assert (await storage.task(1, task.id)).status == "planned"


async def test_a_task_row_written_directly_is_nudged(storage, engine, clock, loop):
    """The database is the source of truth: a row is enough for a nudge."""
    loop, outbox = loop
    await onboard(Chat(engine, User(9, "Mo")))
    task = Task(user_id=9, title="Read one page", due_at=clock.now, created_at=clock.now)
    from dialogs.flows.activation import task_reminder

    await storage.commit_turn(
        9,
        DialogState(updated_at=clock.now),
        TurnWrites(tasks=[task], reminders=[task_reminder(task)]),
    )
    await loop.run_due()
    assert "Read one page" in outbox.texts()[0]


async def test_a_retried_nudge_gets_one_follow_up_only(chat, storage, clock):
    from bot.scheduler import DeliveryRetry

    await onboard(chat)
    await plan(chat)
    sent = []
    failures = [DeliveryRetry(1)]

    async def send(user_id, replies):
        if failures:
            raise failures.pop()
        sent.append(replies)
        return 1

    loop = ReminderLoop(storage, chat.engine, send, clock=clock)
    clock.advance(hours=1)
    await loop.run_due()
    clock.advance(seconds=1)
    await loop.run_due()
    clock.advance(hours=3, seconds=1)
    await loop.run_due()
    assert sum("Just checking in" in r.text for replies in sent for r in replies) == 1


async def test_a_nudge_held_back_by_the_crisis_pause_says_when_it_was_planned(
    chat, storage, clock, loop
):
    loop, outbox = loop
    await onboard(chat)
    await plan(chat)  # at 11:00
    await chat.send("I want to kill myself")
    clock.advance(hours=1)
    await loop.run_due()  # due, but held back until the pause ends
    clock.advance(hours=23)
    await loop.run_due()
    [nudge] = [t for t in outbox.texts() if "planned" in t]
    assert "You had planned" in nudge and "11:00" in nudge
    assert "It's time" not in nudge


async def test_discreet_reminders_name_nothing_until_tapped(chat, storage, clock, loop):
    loop, outbox = loop
    await onboard(chat)
    await chat.send("/settings")
    await chat.press("Discreet reminders: off")
    await chat.press("Done")
    await plan(chat)
    clock.advance(hours=1)
    assert await loop.run_due() == 1
    [(_, [nudge])] = outbox.sent
    assert nudge.text == "A reminder from your planner."
    assert "Walk" not in nudge.text
    assert [c.label for c in nudge.choices()][:2] == ["Show details", "Done ✓"]
    await chat.press("Show details", replies=[nudge])
    assert "Walk" in chat.text and "planned action" in chat.text
    clock.advance(hours=3)
    await loop.run_due()  # the one follow-up says nothing either
    assert outbox.texts()[-1] == "A reminder from your planner."
