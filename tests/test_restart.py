"""The bot process is killed (SIGKILL) in the middle of a thought record and started again:
the person continues where they were. Runs the real `python -m bot` against the stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from botapi_stub import FakeBotAPI
from tg_harness import TOKEN

from bot.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
USER = 801


async def start_bot(api: FakeBotAPI, db: Path) -> asyncio.subprocess.Process:
    # stderr goes to a file: a pipe nobody reads could fill up and stall the bot.
    log = (db.parent / "bot.log").open("ab")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "BOT_DB_PATH": str(db),
        "LOG_LEVEL": os.environ.get("TEST_BOT_LOG_LEVEL", "WARNING"),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )


def button(api: FakeBotAPI, label: str) -> tuple[str, int]:
    for msg in reversed(api.sent_to(USER)):
        for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
            for b in row:
                if label in b["text"] and "callback_data" in b:
                    return b["callback_data"], msg["message_id"]
    seen = [m.get("text", "")[:40] for m in api.sent_to(USER)]
    raise AssertionError(f"no button {label!r} in {seen}")


async def exchange(api: FakeBotAPI, push) -> None:
    """Push one update and wait until the bot has replied to it and confirmed it."""
    before = len(api.sent_to(USER))
    update = push()
    await api.wait_for(
        lambda: len(api.sent_to(USER)) > before,
        timeout=20,
        what=f"a reply to update {update['update_id']}",
    )
    await asyncio.sleep(0.2)  # let the turn's remaining replies go out


async def test_sigkill_mid_record_resumes_at_the_same_step(tmp_path):
    db = tmp_path / "bot.sqlite3"
    async with FakeBotAPI() as api:
        proc = await start_bot(api, db)
        try:
            await api.wait_for(
                lambda: api.calls_of("setMyCommands"), timeout=30, what="the bot to start"
            )
            await exchange(api, lambda: api.push_text(USER, "/start"))
            await exchange(api, lambda: api.push_callback(USER, *button(api, "I understand")))
            await exchange(api, lambda: api.push_callback(USER, *button(api, "Ireland")))
            await exchange(api, lambda: api.push_text(USER, "/new"))
            await exchange(api, lambda: api.push_text(USER, "My car broke down on the motorway"))
            await exchange(api, lambda: api.push_text(USER, "Things like this always happen to me"))
            assert "How did that thought make you feel" in api.last_message(USER)["text"]
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
        assert proc.returncode == -signal.SIGKILL

        proc = await start_bot(api, db)
        try:
            polls = len(api.calls_of("getUpdates"))
            await api.wait_for(
                lambda: len(api.calls_of("getUpdates")) > polls + 1,
                timeout=30,
                what="the restarted bot to poll",
            )
            # The emotion keyboard sent before the kill still belongs to the current step.
            await exchange(api, lambda: api.push_callback(USER, *button(api, "Anxious")))
            assert "0 (not at all) to 100" in api.last_message(USER)["text"]
            await exchange(api, lambda: api.push_text(USER, "80"))
            assert "Saved" in api.last_message(USER)["text"]
        finally:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
        assert proc.returncode == 0, (db.parent / "bot.log").read_text()

    async with Storage(db) as store:
        [record] = await store.thought_records(USER)
    assert record.situation == "My car broke down on the motorway"
    assert record.thought == "Things like this always happen to me"
    assert (record.emotion, record.intensity_before) == ("anxious", 80)
