"""Runs the real bot (PTB Application, engine, SQLite) against the local Bot API stand-in."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from botapi_stub import FakeBotAPI

from bot.app import build_engine, open_storage
from bot.config import load_settings
from bot.crypto import FieldCipher, load_key
from bot.scheduler import ReminderLoop
from bot.sender import Limits
from bot.storage import Storage
from bot.telegram import TelegramTransport
from dialogs import Button, Command, Engine, User

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


def settings_for(api: FakeBotAPI, db_path: Path, **env: str):
    return load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BASE_URL": api.base_url,
            "BOT_DB_PATH": str(db_path),
            "DATA_KEY_FILE": str(db_path.parent / "data.key"),
            **env,
        },
        dotenv=None,
    )


# Conversations in these tests answer at once, faster than Telegram's one message a second per
# chat would let the replies out; the limits have tests of their own (PRODUCTION for those).
UNLIMITED = Limits(overall_rate=0, chat_rate=0)
PRODUCTION = Limits()


class RunningBot:
    def __init__(
        self, api: FakeBotAPI, db_path: Path, limits: Limits = UNLIMITED, **env: str
    ) -> None:
        self.api = api
        self.limits = limits
        self.settings = settings_for(api, db_path, **env)
        self.storage = open_storage(self.settings)
        self.transport: TelegramTransport | None = None

    async def __aenter__(self) -> RunningBot:
        await self.storage.open()
        self.engine = build_engine(self.storage, self.settings)
        self.transport = TelegramTransport(self.engine, self.settings, self.storage, self.limits)
        self.reminders = ReminderLoop(self.storage, self.engine, self.transport.deliver)
        await self.transport.start()
        self._loop_task = asyncio.create_task(self.reminders.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.reminders.stop()
        await self._loop_task
        await self.transport.stop()
        await self.storage.close()

    def with_settings(self, **changes):
        self.settings = replace(self.settings, **changes)
        return self


class TgUser:
    """One person in a private chat with the bot."""

    def __init__(self, api: FakeBotAPI, bot: RunningBot, user_id: int, name: str = "Ann") -> None:
        self.api, self.bot, self.id, self.name = api, bot, user_id, name

    async def _handled(self, update: dict) -> None:
        uid = update["update_id"]
        await self.api.wait_for(
            lambda: self.bot.transport.last_handled.get(self.id, 0) >= uid,
            what=f"update {uid} of user {self.id} to be handled",
        )

    def _count(self) -> int:
        return len(self.api.sent_to(self.id))

    async def say(self, text: str) -> list[dict]:
        before = self._count()
        await self._handled(self.api.push_text(self.id, text, first_name=self.name))
        return self.api.sent_to(self.id)[before:]

    async def send(self, kind: str, **kw) -> list[dict]:
        before = self._count()
        push = getattr(self.api, f"push_{kind}")
        await self._handled(push(self.id, **kw))
        return self.api.sent_to(self.id)[before:]

    def find_button(self, label: str, message: dict | None = None) -> tuple[int, str]:
        messages = [message] if message else reversed(self.api.sent_to(self.id))
        for msg in messages:
            markup = msg.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label.casefold() in button["text"].casefold() and "callback_data" in button:
                        return msg["message_id"], button["callback_data"]
        raise AssertionError(f"no button {label!r} in messages to {self.id}")

    async def press(self, label: str, message: dict | None = None) -> list[dict]:
        message_id, data = self.find_button(label, message)
        return await self.press_data(message_id, data)

    async def press_data(self, message_id: int, data: str) -> list[dict]:
        before = self._count()
        await self._handled(self.api.push_callback(self.id, data, message_id))
        return self.api.sent_to(self.id)[before:]


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in messages)


def last_labels(api: FakeBotAPI, user_id: int) -> list[str]:
    last = api.last_message(user_id) or {}
    return [b["text"] for row in (last.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row]  # fmt: skip


async def full_record(
    user: TgUser,
    situation: str,
    thought: str,
    emotion: str,
    intensity: str,
    balanced: str = "This time it went badly, partly because of things outside my control",
) -> None:
    """A whole thought record through Telegram, answering every question."""
    await user.say("/new")
    await user.say(situation)
    if "Use it" in last_labels(user.api, user.id):
        await user.press("I'll write it")
    await user.say(thought)
    await user.press(emotion)
    await user.press(intensity)
    await user.press("90")  # belief
    await user.press("Let's look at it")
    while "Question" in (user.api.last_message(user.id) or {}).get("text", ""):
        await user.say("One answer to this question")
    await user.say(balanced)
    if "Keep it" in last_labels(user.api, user.id):
        await user.press("Keep it")
    await user.press("30")  # belief now
    await user.press("10")  # feeling now
    await user.press("Finish here")


async def seed(db: Path, ids: list[int], country: str = "IE", start_record: bool = False) -> None:
    """People onboarded (and, with `start_record`, at the first question of /new), written
    straight into the database a bot will be started on, through the engine."""
    key, _ = load_key(None, db.parent / "data.key")
    async with Storage(db, FieldCipher(key)) as storage:
        engine = Engine(storage)
        for uid in ids:
            user = User(uid, f"P{uid}")
            await engine.handle(user, Command("start"))
            await engine.handle(user, Button("1:agree"))
            await engine.handle(user, Button(f"2:{country}"))
            if start_record:
                await engine.handle(user, Command("new"))
