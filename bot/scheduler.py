"""The reminder loop. The database is the source of truth: each reminder is a row. One loop
wakes at the next due time (or when a turn adds a reminder), claims the due rows, asks the engine
what to say, sends it through the transport and marks the row. No per-reminder jobs in memory.

With an engine that keeps an outbox (Telegram), the nudge's message is written to the outbox
in the same transaction that marks the reminder sent, and the one sender delivers it (with the
same rate limits as every other message); a reminder still claimed at start-up never got that
far and is simply due again. Without one (the console), a row is claimed right before it is
sent, so a crash can never send it twice; a row found claimed at start-up may or may not have
reached the person and is not sent again (at most once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.storage import Storage
from dialogs import Engine, Reply
from dialogs.models import Reminder

log = logging.getLogger(__name__)

# A sleeping loop re-checks at least this often, in case the clock jumped.
MAX_SLEEP = timedelta(seconds=60)
MAX_ATTEMPTS = 5
# Nudges per second. Telegram allows about 30 messages/s in all; keeping nudges below that
# leaves room for people's conversations during a burst, and keeps the send queue short, so
# a reminder is claimed only when it can go out at once: after a crash only the few whose
# request was on the wire are in doubt.
DEFAULT_RATE = 25.0


class Pacer:
    """Spaces out calls to at most `rate` per second (a token bucket of one)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


class DeliveryBlocked(Exception):
    """The person blocked the bot: stop their reminders until they write again."""


class DeliveryRetry(Exception):
    """Try again later (Telegram's RetryAfter, or a passing network error)."""

    def __init__(self, after: float) -> None:
        super().__init__(f"retry after {after}s")
        self.after = after


Sender = Callable[[int, list[Reply]], Awaitable[int | None]]


class ReminderLoop:
    def __init__(
        self,
        storage: Storage,
        engine: Engine,
        send: Sender,
        clock: Callable[[], datetime] | None = None,
        batch: int = 100,
        concurrency: int = 8,
        rate: float = DEFAULT_RATE,
    ) -> None:
        self.storage = storage
        self.engine = engine
        self.send = send
        self.clock = clock or (lambda: datetime.now(UTC))
        self.batch = batch
        self.concurrency = concurrency
        self.pacer = Pacer(rate)
        self._wake = asyncio.Event()
        self._stopped = False
        storage.reminder_listeners.append(self.wake)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    async def start_up(self) -> None:
        if self.engine.settings.outbox:
            released = await self.storage.reconcile_claimed(release=True)
            if released:
                log.info("%d reminder(s) claimed before a stop are due again", len(released))
            return
        unknown = await self.storage.reconcile_claimed()
        if unknown:
            log.warning(
                "%d reminder(s) were being sent during a crash; not sending again", len(unknown)
            )

    async def run(self) -> None:
        await self.start_up()
        while not self._stopped:
            # Cleared before the work, so a wake-up (a new reminder, or stop) that comes while
            # delivering is not lost.
            self._wake.clear()
            try:
                await self.run_due()
                next_due = await self.storage.next_due_at()
            except Exception as exc:  # the loop must outlive any one bad reminder
                log.error("reminder loop error: %s", type(exc).__name__)
                next_due = None
            delay = MAX_SLEEP
            if next_due is not None:
                delay = min(MAX_SLEEP, max(timedelta(0), next_due - self.clock()))
            if delay > timedelta(0) and not self._stopped:
                try:
                    await asyncio.wait_for(self._wake.wait(), delay.total_seconds())
                except TimeoutError:
                    pass

    async def run_due(self) -> int:
        """Deliver everything due now, a few at a time (the rate limiter sets the pace).
        Returns how many reminders were handled."""
        handled = 0
        gate = asyncio.Semaphore(self.concurrency)
        while True:
            ids = await self.storage.due_ids(self.clock(), self.batch)
            if not ids:
                return handled
            results = await asyncio.gather(*(self._claim_and_deliver(i, gate) for i in ids))
            handled += sum(results)

    async def _claim_and_deliver(self, reminder_id: int, gate: asyncio.Semaphore) -> int:
        async with gate:
            await self.pacer.wait()
            reminder = await self.storage.claim(reminder_id, self.clock())
            if reminder is None:
                return 0
            await self._deliver(reminder)
            return 1

    async def _deliver(self, reminder: Reminder) -> None:
        result = await self.engine.nudge(reminder)
        now = self.clock()
        if result.defer_until is not None:
            await self.storage.release_reminder(reminder.id, result.defer_until)
            return
        if not result.replies:
            await self.storage.finish_reminder(reminder.id, "cancelled", now)
            return
        if result.stored:
            return  # in the outbox, and marked sent, in the nudge's own transaction
        try:
            message_id = await self.send(reminder.user_id, result.replies)
        except DeliveryBlocked:
            log.info("user %s blocked the bot; their reminders stop", reminder.user_id)
            await self.storage.finish_reminder(reminder.id, "failed", now)
            await self.storage.set_active(reminder.user_id, False)
            return
        except DeliveryRetry as retry:
            await self._retry(reminder, now + timedelta(seconds=retry.after))
            return
        except Exception as exc:
            log.warning("reminder %s failed: %s", reminder.id, type(exc).__name__)
            await self._retry(reminder, now + timedelta(seconds=2**reminder.attempts))
            return
        await self.storage.finish_reminder(reminder.id, "sent", now, message_id)

    async def _retry(self, reminder: Reminder, when: datetime) -> None:
        if reminder.attempts >= MAX_ATTEMPTS:
            await self.storage.finish_reminder(reminder.id, "failed", self.clock())
        else:
            await self.storage.release_reminder(reminder.id, when)
