"""Telegram transport on python-telegram-bot 22: updates -> engine turns, outbox -> Bot API.

Nothing is lost between Telegram and the database, in either direction:

- Receiving: the bot polls getUpdates itself. A batch of updates is written to the inbox (one
  short transaction, encrypted: it holds what people wrote) before the next poll acknowledges
  it; if that write fails the batch is simply not acknowledged and comes again. One worker per
  person takes their updates in order; the turn's transaction marks the update handled and
  stores the replies. After a restart, the inbox's unhandled updates are handled first.
- Sending: one `Sender` (bot/sender.py) delivers the outbox within Telegram's limits, crisis
  help first, and marks each reply with its message id.
- A message at risk is answered whatever else fails: the turn's own fallback (any exception)
  sends the crisis answer directly, and a watchdog sends it directly too if no crisis help has
  reached that chat within `CRISIS_DEADLINE` of the message being seen (storage locked, the
  turn stuck, the queue slow).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import warnings
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.config import ConfigError, Settings
from bot.logs import where
from bot.scheduler import DeliveryRetry
from bot.sender import Blocked, Flood, InDoubt, Limits, NotSent, Refused, Sender
from bot.storage import TRANSIT_KEEP, Storage
from dialogs import Button, Edited, Engine, Event, Reply, Text, Unsupported, User, parse_text
from dialogs.models import InboxEntry

log = logging.getLogger(__name__)
# PTB 22 warns about RetryAfter.retry_after becoming a timedelta every time it builds one (in
# its own constructor); `_seconds` reads both forms.
warnings.filterwarnings("ignore", ".*`retry_after`.*", PTBDeprecationWarning)

_MEDIA_KINDS = (
    "sticker",
    "photo",
    "voice",
    "video",
    "video_note",
    "audio",
    "animation",
    "document",
    "location",
    "contact",
    "poll",
    "dice",
    "venue",
)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# Seconds a getUpdates long poll is held open by Telegram.
POLL_TIMEOUT = 10
# A send may take this long before its outcome counts as unknown: a slow answer (10 s and more)
# still completes normally, and is not sent twice.
SEND_TIMEOUT = 30.0
# A message at risk whose crisis help has not reached the chat by then gets it directly.
CRISIS_DEADLINE = 2.0
# Turns worked on at once; waiting turns of people at risk go first.
TURN_SLOTS = 4
_DRAIN_TIMEOUT = 10.0
MAINTENANCE_EVERY = 2.0
PURGE_EVERY = 3600.0
CONNECT_BACKOFF_CAP = 60.0


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(c.label, url=c.url)
                if c.url
                else InlineKeyboardButton(c.label, callback_data=c.data)
                for c in row
            ]
            for row in reply.buttons
        ]
    )


def _seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int in PTB 22 (deprecated, with a warning) and a timedelta
    in later versions."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def to_event(message: Message, edited: bool = False) -> Event | None:
    if edited:
        text = message.text if message.text is not None else message.caption
        return Edited(text) if text else None
    if message.text is not None:
        return parse_text(message.text)
    for kind in _MEDIA_KINDS:
        if getattr(message, kind, None):
            return Unsupported(kind, caption=message.caption)
    return None


class TelegramWire:
    """One reply to one chat through the Bot API, its failures in the sender's terms."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply, note: str | None) -> int:
        text = reply.text
        if note:
            text = f"{note}\n\n{text}" if text else note
        try:
            return (await self._send(chat_id, reply, text)).message_id
        except RetryAfter as exc:
            raise Flood(_seconds(exc)) from exc
        except Forbidden as exc:
            raise Blocked(str(type(exc).__name__)) from exc
        except (BadRequest, InvalidToken) as exc:
            raise Refused(type(exc).__name__) from exc
        except NetworkError as exc:  # TimedOut too
            cause = exc.__cause__
            if cause is None and not isinstance(exc, TimedOut):
                raise NotSent("the Bot API answered with an error") from exc  # 5xx
            if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
                raise NotSent(type(cause).__name__) from exc  # never left this machine
            raise InDoubt(type(cause or exc).__name__) from exc
        except TelegramError as exc:  # an answer that could not be read
            raise InDoubt(type(exc).__name__) from exc

    async def _send(self, chat_id: int, reply: Reply, text: str) -> Message:
        markup = keyboard(reply)
        if reply.image is not None:
            return await self.bot.send_photo(
                chat_id,
                photo=reply.image.content,
                filename=reply.image.filename,
                caption=text or None,
                reply_markup=markup,
            )
        if reply.document is not None:
            return await self.bot.send_document(
                chat_id,
                document=reply.document.content,
                filename=reply.document.filename,
                caption=text or None,
                reply_markup=markup,
            )
        return await self.bot.send_message(chat_id, text, reply_markup=markup)


class TurnGate:
    """At most `slots` turns at once; a waiting urgent turn goes before ordinary ones."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: list[tuple[int, int, asyncio.Future]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, urgent: bool) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            future = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (0 if urgent else 1, next(self._order), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release()  # it was handed a slot it will not use
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)  # the slot passes on
                return
        self._free += 1


class TelegramTransport:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        storage: Storage,
        limits: Limits | None = None,
    ) -> None:
        if not settings.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is required for the Telegram transport")
        self.engine = engine
        self.settings = settings
        self.storage = storage
        self.bot = Bot(
            settings.telegram_token,
            base_url=settings.telegram_base_url,
            base_file_url=settings.telegram_base_file_url,
            request=HTTPXRequest(
                connection_pool_size=64,
                read_timeout=SEND_TIMEOUT,
                write_timeout=SEND_TIMEOUT,
                media_write_timeout=SEND_TIMEOUT,
                connect_timeout=10.0,
                pool_timeout=10.0,
            ),
            get_updates_request=HTTPXRequest(
                connection_pool_size=1, read_timeout=10.0, connect_timeout=10.0
            ),
        )
        notes = {"late": engine.texts.get("delivery.late"),
                 "resend": engine.texts.get("delivery.resend")}  # fmt: skip
        self.sender = Sender(
            storage,
            TelegramWire(self.bot),
            notes,
            limits,
            on_blocked=lambda user_id: storage.set_active(user_id, False),
        )
        storage.outbox_listeners.append(self.sender.add)
        self.gate = TurnGate(TURN_SLOTS)
        self._queues: dict[int, deque[tuple[InboxEntry, Update]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._watchdogs: dict[int, asyncio.Task] = {}
        self._to_close: list[tuple[int, str]] = []
        self._connected = False
        self._poller: asyncio.Task | None = None
        self._maintainer: asyncio.Task | None = None
        # user id -> update_id of the last update handled with its replies settled (tests wait)
        self.last_handled: dict[int, int] = {}
        self.updates_handled = 0

    # -- lifecycle -------------------------------------------------------------------------------
    async def connect(self, stop: asyncio.Event | None = None) -> bool:
        """Reach the Bot API (getMe, the command menu), retrying with backoff while it cannot
        be reached, one log line per attempt. False if `stop` was set first."""
        delay, attempt = 1.0, 0
        while stop is None or not stop.is_set():
            attempt += 1
            try:
                await self.bot.initialize()
                await self.bot.set_my_commands(
                    [BotCommand(n, d) for n, d in self.engine.command_menu()]
                )
                self._connected = True
                return True
            except InvalidToken as exc:
                raise ConfigError("TELEGRAM_BOT_TOKEN was refused by the Bot API") from exc
            except (NetworkError, RetryAfter) as exc:
                if isinstance(exc, RetryAfter):
                    delay = max(delay, _seconds(exc))
                log.warning("Bot API not reachable (%s), attempt %d; trying again in %.0f s",
                            type(exc).__name__, attempt, delay)  # fmt: skip
            if stop is None:
                await asyncio.sleep(delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, CONNECT_BACKOFF_CAP)
        return False

    async def start(self) -> None:
        if not self._connected:
            await self.connect()
        with contextlib.suppress(Exception):
            await self.storage.purge_delivered(datetime.now(UTC) - TRANSIT_KEEP)
        await self.sender.start()
        for entry in await self.storage.open_inbox():
            try:
                update = Update.de_json(entry.payload, self.bot)
            except Exception as exc:  # one unreadable row must not stop every start
                log.error("inbox row %s unreadable: %s", entry.id, type(exc).__name__)
                await self.storage.close_inbox(entry.id, "failed")
                continue
            self._watch(update)
            self._enqueue(entry, update)
        self._poller = asyncio.create_task(self._poll())
        self._maintainer = asyncio.create_task(self._maintain())
        log.info("polling Telegram as @%s", self.bot.username)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        for task in self._watchdogs.values():
            task.cancel()
        if self._workers:
            await asyncio.wait(list(self._workers.values()), timeout=_DRAIN_TIMEOUT)
        await self.sender.stop()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=1.0)
        if self._maintainer is not None:
            self._maintainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintainer
        await self._catch_up()
        with contextlib.suppress(Exception):
            await self.bot.shutdown()

    # -- receiving -------------------------------------------------------------------------------
    async def _poll(self) -> None:
        offset: int | None = None  # the first poll takes whatever Telegram has not had confirmed
        failures = 0
        unstored: dict[int, Update] = {}
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=0 if unstored else POLL_TIMEOUT,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc))
                continue
            except TelegramError as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures - 1, 6))
                log.warning("getUpdates failed (%s), attempt %d; trying again in %.1f s",
                            type(exc).__name__, failures, delay)  # fmt: skip
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                if update.update_id not in unstored:
                    unstored[update.update_id] = update
                    self._watch(update)
            if not unstored:
                continue
            batch = [unstored[k] for k in sorted(unstored)]
            entries = [
                InboxEntry(u.update_id, u.effective_user.id, u.to_dict(), datetime.now(UTC))
                for u in batch
                if u.effective_user is not None and not u.effective_user.is_bot
            ]
            try:
                if entries:
                    await self.storage.store_inbox(entries)
            except Exception as exc:
                # Not acknowledged: Telegram keeps them and the next poll brings them again.
                log.warning("could not store %d update(s) (%s); not acknowledged yet",
                            len(entries), type(exc).__name__)  # fmt: skip
                await asyncio.sleep(1.0)
                continue
            offset = batch[-1].update_id + 1
            unstored.clear()
            by_id = {u.update_id: u for u in batch}
            for entry in entries:
                if entry.id is None:  # stored before (a redelivery): already handled or queued
                    watchdog = self._watchdogs.pop(entry.update_id, None)
                    if watchdog is not None:
                        watchdog.cancel()
                    continue
                self._enqueue(entry, by_id[entry.update_id])

    def _enqueue(self, entry: InboxEntry, update: Update) -> None:
        queue = self._queues.setdefault(entry.user_id, deque())
        queue.append((entry, update))
        if entry.user_id not in self._workers:
            self._workers[entry.user_id] = asyncio.create_task(self._drain(entry.user_id, queue))

    async def _drain(self, user_id: int, queue: deque[tuple[InboxEntry, Update]]) -> None:
        try:
            while queue:
                entry, update = queue.popleft()
                try:
                    await self._process(entry, update)
                except Exception as exc:  # one bad update must not stop this person's queue
                    # The type and place only: an exception's message may quote what was written.
                    log.error("update %s failed: %s at %s", update.update_id,
                              type(exc).__name__, where(exc))  # fmt: skip
                    self._close_later(entry.id)
                    self._handled(user_id, update.update_id)
        finally:
            self._workers.pop(user_id, None)
            if not queue:
                self._queues.pop(user_id, None)

    def _parse(self, update: Update) -> tuple[User, int, Event] | None:
        tg_user = update.effective_user
        if tg_user is None or tg_user.is_bot:
            return None
        user = User(
            tg_user.id, first_name=tg_user.first_name or "", language_code=tg_user.language_code
        )
        chat = update.effective_chat
        chat_id = chat.id if chat else tg_user.id
        if update.callback_query is not None:
            return user, chat_id, Button(update.callback_query.data or "")
        message = update.message or update.edited_message
        if message is None or chat is None or chat.type != "private":
            return None
        event = to_event(message, edited=update.message is None)
        return (user, chat_id, event) if event is not None else None

    async def _process(self, entry: InboxEntry, update: Update) -> None:
        parsed = self._parse(update)
        if parsed is None:
            self._close_later(entry.id, "ignored")
            self._handled(entry.user_id, update.update_id)
            return
        user, chat_id, event = parsed
        unseen = (
            isinstance(event, Text)
            and update.message is not None
            and self.sender.in_doubt(chat_id, update.message.message_id)
        )
        async with self.gate.slot(urgent=self.engine.risk_of(event) is not None):
            result = await self.engine.turn(
                user, event, update.update_id, inbox_id=entry.id, unseen=unseen
            )
        if result.stored:
            futures = self.sender.settled([item.id for item in result.outbox])
        else:  # the turn failed: its crisis answer or apology goes without storage
            answers = (chat_id, update.update_id) if result.urgent else None
            futures = self.sender.send_direct(chat_id, result.replies, result.urgent, answers)
            await self._close(entry.id)
        query = update.callback_query
        if query is not None:
            notices = [r.text for r in result.replies if r.kind == "notice"]
            with contextlib.suppress(TelegramError):
                await query.answer(text=notices[0] if notices else None)
        self._spawn(self._settle(user.id, update, futures))

    async def _settle(self, user_id: int, update: Update, futures: list) -> None:
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)
        query = update.callback_query
        if query is not None:
            with contextlib.suppress(TelegramError):
                await self._consume_buttons(query.message)
        self._handled(user_id, update.update_id)

    def _handled(self, user_id: int, update_id: int) -> None:
        self.last_handled[user_id] = max(self.last_handled.get(user_id, 0), update_id)
        self.updates_handled += 1

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _consume_buttons(self, message: Message | None) -> None:
        """A pressed keyboard is spent: remove its buttons, but keep links (crisis lines stay
        one tap away)."""
        if message is None or not isinstance(message, Message) or message.reply_markup is None:
            return
        links = [[b for b in row if b.url] for row in message.reply_markup.inline_keyboard]
        links = [row for row in links if row]
        try:
            await message.edit_reply_markup(InlineKeyboardMarkup(links) if links else None)
        except BadRequest:
            pass  # already edited, or too old to edit: nothing to do

    # -- a crisis answer that depends on nothing else ------------------------------------------
    def _watch(self, update: Update) -> None:
        if update.update_id in self._watchdogs:
            return
        parsed = self._parse(update)
        if parsed is None:
            return
        user, chat_id, event = parsed
        if self.engine.risk_of(event) not in ("crisis", "concern"):
            return
        seen = asyncio.get_running_loop().time()
        task = asyncio.create_task(self._watchdog(update.update_id, user, chat_id, seen))
        self._watchdogs[update.update_id] = task
        task.add_done_callback(lambda _: self._watchdogs.pop(update.update_id, None))

    async def _watchdog(self, update_id: int, user: User, chat_id: int, seen: float) -> None:
        await asyncio.sleep(CRISIS_DEADLINE)
        if self.sender.urgent_delivered_since(chat_id, seen):
            return
        log.warning("crisis help for user %s not delivered after %.0f s: sending it directly",
                    user.id, CRISIS_DEADLINE)  # fmt: skip
        replies = await self.engine.crisis_fallback(user)
        self.sender.send_direct(chat_id, replies, urgent=True, answers=(chat_id, update_id))

    # -- upkeep ----------------------------------------------------------------------------------
    async def _close(self, inbox_id: int | None, state: str = "failed") -> None:
        """Mark an event handled at once if storage answers quickly, so that it is not handled
        again after a restart (the person was told to send it again); else as soon as it can."""
        if inbox_id is None:
            return
        try:
            await asyncio.wait_for(self.storage.close_inbox(inbox_id, state), 1.0)
        except Exception:
            self._close_later(inbox_id, state)

    def _close_later(self, inbox_id: int | None, state: str = "failed") -> None:
        if inbox_id is not None:
            self._to_close.append((inbox_id, state))

    async def _maintain(self) -> None:
        loop = asyncio.get_running_loop()
        purged = loop.time()
        while True:
            await asyncio.sleep(MAINTENANCE_EVERY)
            await self._catch_up()
            if loop.time() - purged > PURGE_EVERY:
                purged = loop.time()
                with contextlib.suppress(Exception):
                    await self.storage.purge_delivered(datetime.now(UTC) - TRANSIT_KEEP)

    async def _catch_up(self) -> None:
        """Once storage works again: mark the events of failed turns handled, write the audit
        rows those turns could not."""
        while self._to_close:
            inbox_id, state = self._to_close[0]
            try:
                await self.storage.close_inbox(inbox_id, state)
            except Exception:
                return
            self._to_close.pop(0)
        with contextlib.suppress(Exception):
            await self.engine.catch_up()

    # -- the reminder loop's sender (only used without the outbox) ----------------------------
    async def deliver(self, user_id: int, replies: list[Reply]) -> int | None:
        futures = self.sender.send_direct(user_id, replies, urgent=False)
        ids = await asyncio.gather(*futures)
        if any(i is None for i in ids):
            raise DeliveryRetry(5)
        return ids[-1] if ids else None
