"""The one sender: every message the bot sends goes out here, in order per chat, within
Telegram's limits, each outbox row marked with what became of it.

Policy (Telegram's published limits for bots):
- overall `overall_rate` (30) messages a second, counted as python-telegram-bot's
  AIORateLimiter counts them (a bucket of 30 that refills at 30 a second: a burst of 30 on top
  of the steady rate), of which other messages may never take the last `urgent_room` (5):
  crisis help always finds room at once;
- per chat at most `chat_rate` (1) a second after a burst of `chat_burst` (3): a turn's two or
  three replies go together, and nobody is sent a stream faster than Telegram allows;
- a 429 (RetryAfter) parks that chat alone until its retry time; everyone else goes on;
- crisis help first: a crisis answer made without storage, then urgent outbox rows, then the
  rest. Chats take turns: once a chat's message went, its next one waits behind the messages
  other chats are already waiting with, so under load everyone's first reply comes first;
- a request that surely did not arrive (connection refused, a 5xx answer) is tried again, with
  backoff from 0.5 s doubling to 30 s, for as long as its reply is younger than a day;
- a request whose outcome is not known (it was written, and no answer came: a timeout, a lost
  connection) is never sent again as it was. If it was crisis help, or the last thing said in
  its chat, it is sent once more, opening with "In case my last message didn't arrive:";
  otherwise it is marked `unknown` and what follows it says where things are. The same holds
  for the rows found claimed after a crash (see `DeliveryStore.open_outbox`): that is all that
  is at most once;
- a reply sent more than `late_after` after its turn opens with "Sorry for the delay.".

The sender also knows, per chat, whether the person can have seen the bot's last question
(`in_doubt`): after delivery trouble, a message written before the troubled reply arrived (a
smaller message id: Telegram numbers a private chat's messages in one sequence) is not an answer
to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dialogs import Reply
from dialogs.models import DeliveryStore, OutboxItem

log = logging.getLogger(__name__)

DIRECT, URGENT, NORMAL = 0, 1, 2
_OUTBOX, _DIRECT = "outbox", "direct"
CLEANUP_EVERY = 60.0
# how long a chat's delivery trouble is remembered for `in_doubt`
TROUBLE_MEMORY = 3600.0


class NotSent(Exception):
    """The request surely did not reach Telegram (refused connection, a 5xx answer)."""


class Flood(NotSent):
    """429: this chat may be sent to again after `after` seconds."""

    def __init__(self, after: float) -> None:
        super().__init__(f"retry after {after}s")
        self.after = after


class InDoubt(Exception):
    """The request was written and no answer came: it may or may not have arrived."""


class Refused(Exception):
    """Telegram refused it for good (a bad request); sending it again cannot help."""


class Blocked(Refused):
    """The person blocked the bot."""


class Wire(Protocol):
    """Sends one reply, with an optional short note in front; returns Telegram's message id.
    Raises NotSent, Flood, InDoubt, Refused or Blocked."""

    async def send(self, chat_id: int, reply: Reply, note: str | None) -> int: ...


@dataclass(frozen=True)
class Limits:
    # messages a second overall (0: no limit), in bursts of at most overall_burst
    overall_rate: float = 30.0
    overall_burst: int = 30
    # of those, kept for crisis help: other messages never take the last ones
    urgent_room: int = 5
    chat_rate: float = 1.0
    chat_burst: int = 3
    # requests on the wire at once (different chats; one chat has one at a time)
    concurrency: int = 16
    # a reply sent this long after its turn says sorry for the delay
    late_after: timedelta = timedelta(seconds=60)
    retry_first: float = 0.5
    retry_cap: float = 30.0
    give_up_after: timedelta = timedelta(days=1)
    # a crisis answer made without storage is tried for this long
    direct_give_up: float = 600.0


class Bucket:
    """A token bucket: `rate` a second, at most `burst` at once."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), now

    def _fill(self, now: float) -> None:
        if self.rate > 0:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait(self, now: float, keep: float = 0) -> float:
        """Seconds until a token is there (0: now), leaving `keep` tokens untouched."""
        if self.rate <= 0:
            return 0.0
        self._fill(now)
        need = 1 + min(keep, self.burst - 1)
        return 0.0 if self.tokens >= need else (need - self.tokens) / self.rate

    def take(self, now: float) -> None:
        if self.rate > 0:
            self._fill(now)
            self.tokens -= 1

    def full(self, now: float) -> bool:
        if self.rate <= 0:
            return True
        self._fill(now)
        return self.tokens >= self.burst


@dataclass(eq=False)
class Job:
    chat_id: int
    reply: Reply
    priority: int
    done: asyncio.Future
    created_at: datetime
    item: OutboxItem | None = None
    # a direct crisis answer: the (chat, seq) whose stored crisis answer it makes redundant
    answers: tuple[int, int] | None = None
    attempts: int = 0
    resend: bool = False
    # delivery trouble so far (or it was left over from before a restart)
    troubled: bool = False
    first_try: float | None = None
    mark: asyncio.Task | None = None


@dataclass(eq=False)
class _Lane:
    jobs: deque[Job] = field(default_factory=deque)
    busy: bool = False
    parked_until: float = 0.0
    entry: tuple | None = None


@dataclass(eq=False)
class _Chat:
    bucket: Bucket
    lanes: dict[str, _Lane] = field(default_factory=lambda: {_OUTBOX: _Lane(), _DIRECT: _Lane()})
    parked_until: float = 0.0
    # undelivered replies of this chat that had delivery trouble
    troubled: int = 0
    # the last thing said may not have arrived, and nothing was delivered since
    doubt: bool = False
    # message id of the last reply delivered after trouble: what was written before it (smaller
    # ids) was written without seeing it
    trouble_id: int | None = None
    trouble_at: float = -math.inf
    urgent_at: float = -math.inf
    late_noted_at: float = -math.inf

    def idle(self) -> bool:
        return not any(lane.jobs or lane.busy for lane in self.lanes.values())


class Sender:
    def __init__(
        self,
        store: DeliveryStore,
        wire: Wire,
        notes: dict[str, str],
        limits: Limits | None = None,
        on_blocked: Callable[[int], Awaitable[object]] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.wire = wire
        self.notes = notes  # "late", "resend": short texts put in front of a message
        self.limits = limits or Limits()
        self.on_blocked = on_blocked
        self.clock = clock or (lambda: datetime.now(UTC))
        self._chats: dict[int, _Chat] = {}
        self._ready: list[tuple] = []
        self._timers: list[tuple[float, int, int, str]] = []
        self._order = itertools.count()
        self._waiters: dict[int, asyncio.Future] = {}
        self._answered: dict[tuple[int, int], float] = {}
        self._inflight: set[asyncio.Task] = set()
        self._marks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._overall: Bucket | None = None
        self._cleaned_at = 0.0
        self.sent = 0

    # -- feeding ---------------------------------------------------------------------------------
    async def start(self) -> list[OutboxItem]:
        """Load what the outbox still holds (after a stop or a crash) and start sending."""
        loop = asyncio.get_running_loop()
        self._overall = Bucket(self.limits.overall_rate, self.limits.overall_burst, loop.time())
        items = await self.store.open_outbox()
        pending = [i for i in items if i.state == "pending"]
        for item in items:
            if item.state == "unknown" and item.resend:
                self._chat(item.chat_id).doubt = True  # even the labelled repeat may be lost
        self.add(pending, leftover=True)
        unknown = len(items) - len(pending)
        if items:
            log.info("outbox at start: %d to send (%d repeated as on the wire), %d unknown",
                     len(pending), sum(i.resend for i in pending), unknown)  # fmt: skip
        self._task = asyncio.create_task(self._run())
        return items

    def add(self, items: list[OutboxItem], leftover: bool = False) -> None:
        """Stored replies to deliver (the storage calls this once their transaction commits)."""
        for item in items:
            if item.id is None or item.id in self._waiters:
                continue
            done = asyncio.get_running_loop().create_future()
            self._waiters[item.id] = done
            job = Job(item.chat_id, item.reply, URGENT if item.urgent else NORMAL, done,
                      item.created_at or self.clock(), item=item, attempts=item.attempts,
                      resend=item.resend)  # fmt: skip
            self._queue(job, _OUTBOX, troubled=leftover)

    def send_direct(
        self,
        chat_id: int,
        replies: list[Reply],
        urgent: bool = True,
        answers: tuple[int, int] | None = None,
    ) -> list[asyncio.Future]:
        """Replies not in the outbox (a crisis answer or an apology made when the turn or the
        storage failed), sent ahead of the chat's stored ones. Nothing to claim or mark: they
        do not depend on storage."""
        futures = []
        replies = [r for r in replies if r.kind != "notice"]
        for number, reply in enumerate(replies, start=1):
            target = chat_id if reply.chat_id is None else reply.chat_id
            done = asyncio.get_running_loop().create_future()
            # the last one (the lines) arriving is what makes a stored crisis answer redundant
            last = number == len(replies) and target == chat_id
            job = Job(target, reply, DIRECT if urgent else NORMAL, done, self.clock(),
                      answers=answers if last else None)  # fmt: skip
            self._queue(job, _DIRECT)
            futures.append(done)
        return futures

    def settled(self, item_ids: list[int | None]) -> list[asyncio.Future]:
        """Futures done when these outbox rows are settled: the message id, or None."""
        out = []
        for item_id in item_ids:
            future = self._waiters.get(item_id) if item_id is not None else None
            if future is None:
                future = asyncio.get_running_loop().create_future()
                future.set_result(None)
            out.append(future)
        return out

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            now = asyncio.get_running_loop().time()
            chat = self._chats[chat_id] = _Chat(
                Bucket(self.limits.chat_rate, self.limits.chat_burst, now)
            )
        return chat

    def _queue(self, job: Job, lane_key: str, troubled: bool = False) -> None:
        chat = self._chat(job.chat_id)
        lane = chat.lanes[lane_key]
        if troubled:
            self._trouble(chat, job)
        if job.priority < NORMAL:
            # ahead of the chat's ordinary replies (but after one already on its way), behind
            # its other urgent ones
            first = 1 if lane.busy else 0
            index = next(
                (i for i in range(first, len(lane.jobs)) if lane.jobs[i].priority == NORMAL), None
            )
            if index is None:
                lane.jobs.append(job)
            else:
                lane.jobs.insert(index, job)
        else:
            lane.jobs.append(job)
        self._schedule(job.chat_id, lane_key)
        self._wake.set()

    # -- what the transport asks ---------------------------------------------------------------
    def in_doubt(self, chat_id: int, message_id: int) -> bool:
        """True when the person's message `message_id` was written without their having seen
        the bot's last reply, because its delivery had trouble: it is still undelivered, it
        may never have arrived, or it arrived after the message was written."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return False
        if chat.troubled or chat.doubt:
            return True
        return chat.trouble_id is not None and message_id < chat.trouble_id

    def urgent_delivered_since(self, chat_id: int, since: float) -> bool:
        chat = self._chats.get(chat_id)
        return chat is not None and chat.urgent_at >= since

    # -- the loop --------------------------------------------------------------------------------
    def _schedule(self, chat_id: int, lane_key: str) -> None:
        chat = self._chats.get(chat_id)
        if chat is None:
            return
        lane = chat.lanes[lane_key]
        if not lane.jobs or lane.busy:
            lane.entry = None
            return
        entry = (lane.jobs[0].priority, next(self._order), chat_id, lane_key)
        lane.entry = entry
        heapq.heappush(self._ready, entry)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            now = loop.time()
            next_at = self._dispatch(now)
            if now - self._cleaned_at > CLEANUP_EVERY:
                self._cleanup(now)
            if self._stopping and not self._pending_jobs():
                return
            timeout = None if next_at is None else max(0.0, next_at - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _pending_jobs(self) -> bool:
        return bool(self._inflight) or any(
            lane.jobs for chat in self._chats.values() for lane in chat.lanes.values()
        )

    def _dispatch(self, now: float) -> float | None:
        while self._timers and self._timers[0][0] <= now:
            _, _, chat_id, lane_key = heapq.heappop(self._timers)
            lane = self._chats[chat_id].lanes[lane_key] if chat_id in self._chats else None
            if lane is not None and lane.entry is None:
                self._schedule(chat_id, lane_key)
        assert self._overall is not None
        while self._ready:
            entry = self._ready[0]
            _, _, chat_id, lane_key = entry
            if lane_key == _OUTBOX and len(self._inflight) >= self.limits.concurrency:
                # stored replies wait for a free request; direct ones (made without storage,
                # maybe because it is stuck, holding requests in their claims) never do
                break
            chat = self._chats.get(chat_id)
            lane = chat.lanes[lane_key] if chat else None
            if lane is None or lane.entry != entry or lane.busy or not lane.jobs:
                heapq.heappop(self._ready)
                continue
            wait_until = max(lane.parked_until, chat.parked_until, now + chat.bucket.wait(now))
            if wait_until > now:
                heapq.heappop(self._ready)
                lane.entry = None
                heapq.heappush(self._timers, (wait_until, next(self._order), chat_id, lane_key))
                continue
            keep = self.limits.urgent_room if lane.jobs[0].priority == NORMAL else 0
            overall = self._overall.wait(now, keep)
            if overall > 0:
                return self._next_time(now + overall)
            heapq.heappop(self._ready)
            lane.entry = None
            self._overall.take(now)
            chat.bucket.take(now)
            lane.busy = True
            task = asyncio.create_task(self._attempt(chat_id, chat, lane_key, lane.jobs[0]))
            self._inflight.add(task)
            task.add_done_callback(self._done)
        return self._next_time(None)

    def _done(self, task: asyncio.Task) -> None:
        self._inflight.discard(task)
        self._wake.set()

    def _next_time(self, candidate: float | None) -> float | None:
        times = [t for t in (candidate, self._timers[0][0] if self._timers else None) if t]
        return min(times) if times else None

    def _cleanup(self, now: float) -> None:
        self._cleaned_at = now
        for chat_id in [
            cid
            for cid, chat in self._chats.items()
            if chat.idle()
            and not chat.troubled
            and not chat.doubt
            and now - chat.trouble_at > TROUBLE_MEMORY
            and now - chat.urgent_at > TROUBLE_MEMORY
            and chat.parked_until < now
            and chat.bucket.full(now)
        ]:
            del self._chats[chat_id]
        for key in [k for k, at in self._answered.items() if now - at > TROUBLE_MEMORY]:
            del self._answered[key]

    # -- one attempt -----------------------------------------------------------------------------
    async def _attempt(self, chat_id: int, chat: _Chat, lane_key: str, job: Job) -> None:
        lane = chat.lanes[lane_key]
        loop = asyncio.get_running_loop()
        try:
            await self._try(chat, lane, job, loop.time())
        except Exception as exc:  # a bug here must not stop this chat's deliveries
            log.error("sending failed: %s", type(exc).__name__)
            self._settle(chat, lane, job, None)
        finally:
            lane.busy = False
            self._schedule(chat_id, lane_key)
            self._wake.set()

    async def _try(self, chat: _Chat, lane: _Lane, job: Job, now: float) -> None:
        item = job.item
        if job.first_try is None:
            job.first_try = now
        if item is not None:
            if job.mark is not None:
                await job.mark  # the row is back to pending before it is claimed again
                job.mark = None
            if item.urgent and item.seq is not None and (job.chat_id, item.seq) in self._answered:
                # a direct crisis answer for the same message already arrived
                await self._mark(job, "superseded")
                self._settle(chat, lane, job, None)
                return
            try:
                claimed = await self.store.mark_outbox(
                    item.id, "sending", attempts=job.attempts + 1
                )
            except Exception as exc:
                log.warning("outbox claim failed (%s); trying again", type(exc).__name__)
                lane.parked_until = now + 1.0
                self._trouble(chat, job)
                return
            if not claimed:  # erased meanwhile (/delete) or settled elsewhere
                self._settle(chat, lane, job, None)
                return
        job.attempts += 1
        note = self._note(chat, job, now)
        try:
            message_id = await self.wire.send(job.chat_id, job.reply, note)
        except Flood as exc:
            chat.parked_until = asyncio.get_running_loop().time() + exc.after
            self._trouble(chat, job)
            await self._back_to_pending(job)
            return
        except NotSent as exc:
            self._trouble(chat, job)
            if self._gave_up(job, now):
                log.warning("giving up a reply to chat %s after %d tries (%s)", job.chat_id,
                            job.attempts, type(exc).__name__)  # fmt: skip
                await self._mark(job, "failed")
                self._lost(chat, lane, job)
                return
            delay = min(self.limits.retry_cap, self.limits.retry_first * 2 ** (job.attempts - 1))
            lane.parked_until = asyncio.get_running_loop().time() + delay
            await self._back_to_pending(job)
            return
        except Blocked:
            log.info("chat %s has blocked the bot; its replies are dropped", job.chat_id)
            await self._mark(job, "failed")
            self._settle(chat, lane, job, None)
            for other in list(lane.jobs):
                await self._mark(other, "failed")
                self._settle(chat, lane, other, None)
            if self.on_blocked is not None and item is not None:
                with contextlib.suppress(Exception):
                    await self.on_blocked(item.user_id)
            return
        except Refused as exc:
            log.error("Telegram refused a reply to chat %s: %s", job.chat_id, type(exc).__name__)
            await self._mark(job, "failed")
            self._lost(chat, lane, job)
            return
        except (InDoubt, Exception) as exc:
            self._trouble(chat, job)
            last = len(lane.jobs) == 1  # nothing said after it would show where things are
            if not job.resend and (job.priority < NORMAL or last):
                log.warning("a reply to chat %s may not have arrived (%s): sending it once more,"
                            " labelled", job.chat_id, type(exc).__name__)  # fmt: skip
                job.resend = True
                lane.parked_until = asyncio.get_running_loop().time() + 1.0
                await self._back_to_pending(job, resend=True)
                return
            log.warning("a reply to chat %s may not have arrived (%s); not sent again",
                        job.chat_id, type(exc).__name__)  # fmt: skip
            await self._mark(job, "unknown")
            self._lost(chat, lane, job)
            return
        self.sent += 1
        await self._mark(job, "sent", message_id=message_id)
        if job.troubled or chat.doubt:
            # what the person wrote before this arrived was written without seeing it
            chat.trouble_id = message_id
        chat.doubt = False
        if job.priority < NORMAL:
            chat.urgent_at = asyncio.get_running_loop().time()
        if job.answers is not None:
            self._answered[job.answers] = asyncio.get_running_loop().time()
        self._settle(chat, lane, job, message_id)

    def _note(self, chat: _Chat, job: Job, now: float) -> str | None:
        if job.resend:
            return self.notes.get("resend")
        if self.clock() - job.created_at > self.limits.late_after and now - chat.late_noted_at > 30:
            chat.late_noted_at = now
            return self.notes.get("late")
        return None

    def _gave_up(self, job: Job, now: float) -> bool:
        if job.item is None:
            return now - (job.first_try or now) > self.limits.direct_give_up
        return self.clock() - job.created_at > self.limits.give_up_after

    def _trouble(self, chat: _Chat, job: Job) -> None:
        chat.trouble_at = asyncio.get_running_loop().time()
        if not job.troubled:
            job.troubled = True
            chat.troubled += 1

    def _lost(self, chat: _Chat, lane: _Lane, job: Job) -> None:
        """Not delivered, for good: if nothing comes after it, the person may not see where
        things are, and their next message is not taken as an answer."""
        self._trouble(chat, job)
        if len(lane.jobs) == 1:
            chat.doubt = True
        self._settle(chat, lane, job, None)

    def _settle(self, chat: _Chat, lane: _Lane, job: Job, message_id: int | None) -> None:
        if lane.jobs and lane.jobs[0] is job:
            lane.jobs.popleft()
        elif job in lane.jobs:
            lane.jobs.remove(job)
        if job.troubled:
            chat.troubled -= 1
        if job.item is not None:
            self._waiters.pop(job.item.id, None)
        if not job.done.done():
            job.done.set_result(message_id)

    async def _back_to_pending(self, job: Job, resend: bool | None = None) -> None:
        if job.item is not None:
            await self._mark(job, "pending", attempts=job.attempts, resend=resend)

    async def _mark(self, job: Job, state: str, **values: object) -> None:
        """Record what became of a stored reply. If storage fails, keep trying in the
        background (a pending mark is awaited before the row is claimed again)."""
        if job.item is None:
            return
        try:
            await self.store.mark_outbox(job.item.id, state, **values)
        except Exception as exc:
            log.warning("outbox mark failed (%s); will retry", type(exc).__name__)
            task = asyncio.create_task(self._mark_later(job.item.id, state, values))
            self._marks.add(task)
            task.add_done_callback(self._marks.discard)
            if state == "pending":
                job.mark = task

    async def _mark_later(self, item_id: int, state: str, values: dict) -> None:
        delay = 0.5
        while True:
            await asyncio.sleep(delay)
            try:
                await self.store.mark_outbox(item_id, state, **values)
                return
            except Exception:
                delay = min(delay * 2, 10.0)

    # -- stopping --------------------------------------------------------------------------------
    async def stop(self, drain: float = 5.0) -> None:
        """Stop after sending what is queued, for at most `drain` seconds; what is left stays
        in the outbox for the next start. Requests already on the wire are let finish."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(self._task), drain)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=30)
        if self._marks:
            await asyncio.wait(list(self._marks), timeout=2)
        self._task = None
