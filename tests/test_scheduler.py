"""The reminder loop with a controllable clock: nothing sleeps for real minutes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from engine_driver import Chat, onboard

from bot.scheduler import DeliveryBlocked, DeliveryRetry, ReminderLoop
from dialogs import Engine, User
from dialogs.models import DialogState, Reminder, TurnWrites


class Outbox:
    def __init__(self, fail=None):
        self.sent = []
        self.fail = list(fail or [])

    async def __call__(self, user_id, replies):
        if self.fail:
            raise self.fail.pop(0)
        self.sent.append((user_id, replies))
        return 1000 + len(self.sent)


async def add_followup(storage, clock, user_id=7, after=timedelta(minutes=5)):
    reminder = Reminder(user_id, "followup", clock.now + after)
    await storage.commit_turn(
        user_id, DialogState(updated_at=clock.now), TurnWrites(reminders=[reminder])
    )
    return reminder


async def onboarded(engine, user_id=7):
    await onboard(Chat(engine, User(user_id, "Ann")))


async def test_due_reminder_is_sent_once_and_marked(engine, storage, clock):
    await onboarded(engine)
    reminder = await add_followup(storage, clock)
    outbox = Outbox()
    loop = ReminderLoop(storage, engine, outbox, clock=clock)
    assert await loop.run_due() == 0
    clock.advance(minutes=5)
    assert await loop.run_due() == 1
    assert await loop.run_due() == 0
    assert len(outbox.sent) == 1
    async with storage._read().execute(
        "SELECT state, message_id FROM reminders WHERE id=?", (reminder.id,)
    ) as cur:
        assert tuple(await cur.fetchone()) == ("sent", 1001)


async def test_blocked_user_is_marked_inactive_until_they_write(engine, storage, clock):
    await onboarded(engine)
    await add_followup(storage, clock, after=timedelta(0))
    loop = ReminderLoop(storage, engine, Outbox(fail=[DeliveryBlocked()]), clock=clock)
    await loop.run_due()
    assert (await storage.load_profile(7)).active is False
    await add_followup(storage, clock, after=timedelta(0))
    outbox = Outbox()
    loop.send = outbox
    await loop.run_due()
    assert outbox.sent == []  # nothing goes to someone who blocked the bot
    await Chat(engine, User(7, "Ann")).send("hi again")
    assert (await storage.load_profile(7)).active is True


async def test_retry_after_puts_the_reminder_back_with_the_delay(engine, storage, clock):
    await onboarded(engine)
    await add_followup(storage, clock, after=timedelta(0))
    outbox = Outbox(fail=[DeliveryRetry(30)])
    loop = ReminderLoop(storage, engine, outbox, clock=clock)
    await loop.run_due()
    [pending] = await storage.reminders(7)
    assert pending.due_at == clock.now + timedelta(seconds=30)
    clock.advance(seconds=30)
    await loop.run_due()
    assert len(outbox.sent) == 1


async def test_other_errors_back_off_then_fail_for_good(engine, storage, clock):
    await onboarded(engine)
    await add_followup(storage, clock, after=timedelta(0))
    outbox = Outbox(fail=[RuntimeError("network")] * 10)
    loop = ReminderLoop(storage, engine, outbox, clock=clock)
    for _ in range(10):
        await loop.run_due()
        clock.advance(minutes=5)
    assert await storage.reminders(7) == []
    assert len(await storage.reminders(7, ("failed",))) == 1
    assert outbox.sent == []


async def test_crash_between_claim_and_mark_never_sends_twice(tmp_path, clock):
    from bot.storage import Storage

    path = tmp_path / "bot.sqlite3"
    async with Storage(path) as storage:
        engine = Engine(storage, clock=clock)
        await onboarded(engine)
        await add_followup(storage, clock, after=timedelta(0))
        # The process dies after claiming, before the send is marked.
        [reminder_id] = await storage.due_ids(clock.now)
        assert await storage.claim(reminder_id, clock.now) is not None
        assert await storage.claim(reminder_id, clock.now) is None  # claimed once only
    async with Storage(path) as storage:
        outbox = Outbox()
        loop = ReminderLoop(storage, Engine(storage, clock=clock), outbox, clock=clock)
        await loop.start_up()
        await loop.run_due()
        assert outbox.sent == []
        assert len(await storage.reminders(7, ("unknown",))) == 1


async def test_the_loop_wakes_when_a_turn_adds_a_reminder(engine, storage, clock):
    await onboarded(engine)
    outbox = Outbox()
    loop = ReminderLoop(storage, engine, outbox, clock=clock)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.05)
    await add_followup(storage, clock, after=timedelta(0))
    for _ in range(100):
        if outbox.sent:
            break
        await asyncio.sleep(0.01)
    loop.stop()
    await asyncio.wait_for(task, 5)
    assert len(outbox.sent) == 1
