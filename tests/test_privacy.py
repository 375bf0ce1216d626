"""What people write never reaches the logs, at any log level, on any path."""

from __future__ import annotations

import logging

import pytest
from botapi_stub import FakeBotAPI
from engine_driver import full_record, onboard
from tg_harness import RunningBot, TgUser

from bot.config import configure_logging

SECRETS = ["my sister's wedding speech", "nobody could ever love me",
           "I am going to kill myself tonight", "Lemon-verbena-private-note"]  # fmt: skip


def leaked(caplog) -> list[str]:
    text = "\n".join(r.getMessage() + str(r.args) + str(r.exc_text or "") for r in caplog.records)
    return [s for s in SECRETS if s.lower() in text.lower()]


async def test_engine_logs_no_user_text(chat, caplog):
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    await onboard(chat)
    await full_record(chat, situation=SECRETS[0], thought=SECRETS[1])
    await chat.send(SECRETS[2])
    await chat.send("/plan")
    await chat.send(SECRETS[3])
    assert any("risk detected" in r.getMessage() for r in caplog.records)  # logged, not the words
    assert leaked(caplog) == []


@pytest.fixture
async def api():
    async with FakeBotAPI() as api:
        yield api


async def test_telegram_path_at_debug_level_logs_no_user_text(api, tmp_path, caplog):
    configure_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    async with RunningBot(api, tmp_path / "bot.sqlite3", LOG_LEVEL="DEBUG") as bot:
        ann = TgUser(api, bot, 950)
        await ann.say("/start")
        await ann.press("I understand")
        await ann.press("Ireland")
        await ann.say("/new")
        await ann.say(SECRETS[0])
        await ann.say(SECRETS[1])
        await ann.say(SECRETS[2])
        await ann.send("photo", caption=SECRETS[3])
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("risk detected: level=crisis") for m in messages)  # logging works
    assert leaked(caplog) == []
