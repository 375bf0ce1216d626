"""Telegram transport on python-telegram-bot 22: updates -> engine events, replies -> Bot API.

Updates are taken from PTB one at a time (its default), put on a per-user queue and processed by
one worker per user: one person's messages are handled strictly in order while different people
are served concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.config import Settings
from bot.logs import where
from bot.scheduler import DeliveryBlocked, DeliveryRetry
from dialogs import Button, Engine, Event, Reply, Unsupported, User, parse_text

log = logging.getLogger(__name__)

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
_DRAIN_TIMEOUT = 10.0
SEND_RETRY_DELAYS = (0.5, 1.5)


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


def _seconds(value: object) -> float:
    """RetryAfter.retry_after is an int in PTB 22 and a timedelta in later versions."""
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def to_event(message: Message) -> Event | None:
    if message.text is not None:
        return parse_text(message.text)
    for kind in _MEDIA_KINDS:
        if getattr(message, kind, None):
            return Unsupported(kind, caption=message.caption)
    return None


class TelegramTransport:
    def __init__(
        self, engine: Engine, settings: Settings, rate_limiter: AIORateLimiter | None = None
    ) -> None:
        if not settings.telegram_token:
            raise ValueError("TELEGRAM_BOT_TOKEN is required for the Telegram transport")
        self.engine = engine
        self.settings = settings
        self.app: Application = (
            Application.builder()
            .token(settings.telegram_token)
            .base_url(settings.telegram_base_url)
            .base_file_url(settings.telegram_base_file_url)
            # Telegram allows about 30 messages/s overall and 20/min per group: stay under both,
            # and retry a RetryAfter twice before giving up on a message.
            .rate_limiter(rate_limiter or AIORateLimiter(max_retries=2))
            .post_init(self._post_init)
            .build()
        )
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self._queues: dict[int, deque[Update]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        # user id -> update_id of the last update fully handled (lets tests wait for a turn)
        self.last_handled: dict[int, int] = {}
        self.updates_handled = 0

    async def _post_init(self, app: Application) -> None:
        await app.bot.set_my_commands([BotCommand(n, d) for n, d in self.engine.command_menu()])

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.updater.start_polling(
            allowed_updates=["message", "callback_query"], drop_pending_updates=False
        )
        await self.app.start()
        log.info("polling Telegram as @%s", self.app.bot.username)

    async def stop(self) -> None:
        if self.app.updater.running:
            await self.app.updater.stop()
        if self._workers:
            await asyncio.wait(list(self._workers.values()), timeout=_DRAIN_TIMEOUT)
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    # -- updates ---------------------------------------------------------------------------------
    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or user.is_bot:
            return
        queue = self._queues.setdefault(user.id, deque())
        queue.append(update)
        if user.id not in self._workers:
            self._workers[user.id] = asyncio.create_task(self._drain(user.id, queue))

    async def _drain(self, user_id: int, queue: deque[Update]) -> None:
        try:
            while queue:
                update = queue.popleft()
                try:
                    await self._process(update)
                except Forbidden:
                    log.info("user %s has blocked the bot; dropping replies", user_id)
                except Exception as exc:  # one bad update must not stop this user's queue
                    # The type and place only: an exception's message may quote what was written.
                    log.error("update %s failed: %s at %s", update.update_id,
                              type(exc).__name__, where(exc))  # fmt: skip
                    await self._apologise(update)
                self.last_handled[user_id] = update.update_id
                self.updates_handled += 1
        finally:
            self._workers.pop(user_id, None)
            if not queue:
                self._queues.pop(user_id, None)

    async def _process(self, update: Update) -> None:
        tg_user = update.effective_user
        user = User(
            tg_user.id, first_name=tg_user.first_name or "", language_code=tg_user.language_code
        )
        chat_id = update.effective_chat.id if update.effective_chat else tg_user.id
        query = update.callback_query
        if query is not None:
            replies = await self.engine.handle(user, Button(query.data or ""), update.update_id)
            notices = [r.text for r in replies if r.kind == "notice"]
            try:
                # The replies first: a press answered late ("query is too old") must not
                # cost the person what the turn says, crisis lines above all.
                await self.send_all(chat_id, replies)
            finally:
                with contextlib.suppress(TelegramError):
                    await query.answer(text=notices[0] if notices else None)
                with contextlib.suppress(TelegramError):
                    await self._consume_buttons(query.message)
            return
        elif update.message is not None:
            if update.effective_chat.type != "private":
                return
            event = to_event(update.message)
            if event is None:
                return
            replies = await self.engine.handle(user, event, update.update_id)
        else:
            return
        await self.send_all(chat_id, replies)

    async def send_all(self, chat_id: int, replies: list[Reply]) -> int | None:
        """Send a turn's replies in order; returns the id of the last message to the person.
        Messages for another chat (the support team's alert) go last and never stop the rest."""
        last_id = None
        try:
            for reply in replies:
                if reply.kind == "notice" or reply.chat_id is not None:
                    continue
                last_id = (await self._send_retrying(chat_id, reply)).message_id
        finally:
            # The support team's alert goes even when the person cannot be reached (they may
            # have blocked the bot, which is when it matters most).
            for reply in replies:
                if reply.chat_id is not None:
                    try:
                        await self._send_retrying(reply.chat_id, reply)
                    except TelegramError as exc:
                        log.error("alert to the support chat failed: %s", type(exc).__name__)
        return last_id

    async def _send_retrying(self, chat_id: int, reply: Reply) -> Message:
        """A passing network error is retried a few times; the rate limiter already retries
        RetryAfter, and a refused request (bad request, blocked) is not retried."""
        for delay in SEND_RETRY_DELAYS:
            try:
                return await self.send(chat_id, reply)
            except (BadRequest, Forbidden, RetryAfter):
                raise
            except NetworkError:
                await asyncio.sleep(delay)
        return await self.send(chat_id, reply)

    async def deliver(self, user_id: int, replies: list[Reply]) -> int | None:
        """The reminder loop's sender: Telegram errors become the loop's delivery outcomes."""
        try:
            return await self.send_all(user_id, replies)
        except Forbidden as exc:
            raise DeliveryBlocked() from exc
        except RetryAfter as exc:
            raise DeliveryRetry(_seconds(exc.retry_after)) from exc
        except NetworkError as exc:  # includes TimedOut; BadRequest is not retried below
            if isinstance(exc, BadRequest):
                raise
            raise DeliveryRetry(5) from exc

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

    async def send(self, chat_id: int, reply: Reply) -> Message:
        bot = self.app.bot
        markup = keyboard(reply)
        if reply.image is not None:
            return await bot.send_photo(
                chat_id,
                photo=reply.image.content,
                filename=reply.image.filename,
                caption=reply.text or None,
                reply_markup=markup,
            )
        if reply.document is not None:
            return await bot.send_document(
                chat_id,
                document=reply.document.content,
                filename=reply.document.filename,
                caption=reply.text or None,
                reply_markup=markup,
            )
        return await bot.send_message(chat_id, reply.text, reply_markup=markup)

    async def _apologise(self, update: Update) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        try:
            await self.app.bot.send_message(chat.id, self.engine.texts.get("error.internal"))
        except TelegramError:
            pass

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never log the update itself: it holds what the person wrote.
        log.error("telegram error: %s", type(context.error).__name__)
