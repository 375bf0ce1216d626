"""The bot process is killed (SIGKILL) in the middle of a thought record and started again:
the person continues where they were. Runs the real `python -m bot` against the stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from botapi_stub import FakeBotAPI
from tg_harness import TOKEN

from bot.crypto import FieldCipher, aad_for, load_key
from bot.storage import Storage

ROOT = Path(__file__).resolve().parent.parent
USER = 801
BALANCED = "This time the car broke down, partly because it is old, and I got home safely"


async def start_bot(api: FakeBotAPI, db: Path, **extra: str) -> asyncio.subprocess.Process:
    # stderr goes to a file: a pipe nobody reads could fill up and stall the bot.
    log = (db.parent / "bot.log").open("ab")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": api.base_url,
        "BOT_DB_PATH": str(db),
        "DATA_KEY_FILE": str(db.parent / "data.key"),
        "LOG_LEVEL": os.environ.get("TEST_BOT_LOG_LEVEL", "WARNING"),
        **extra,
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
        # A person answering at once, faster than one message a second: no limits here.
        proc = await start_bot(api, db, SEND_RATE_LIMITS="off")
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

        proc = await start_bot(api, db, SEND_RATE_LIMITS="off")
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
            await exchange(api, lambda: api.push_text(USER, "75"))  # belief
            await exchange(api, lambda: api.push_callback(USER, *button(api, "Let's look")))
            while "Question" in api.last_message(USER)["text"]:
                await exchange(api, lambda: api.push_text(USER, "It broke down once in years"))
            await exchange(api, lambda: api.push_text(USER, BALANCED))
            if "Keep it" in str(api.last_message(USER).get("reply_markup")):
                await exchange(api, lambda: api.push_callback(USER, *button(api, "Keep it")))
            await exchange(api, lambda: api.push_text(USER, "30"))
            await exchange(api, lambda: api.push_text(USER, "20"))
            await exchange(api, lambda: api.push_callback(USER, *button(api, "Finish here")))
            assert "saved" in api.last_message(USER)["text"]
        finally:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
        assert proc.returncode == 0, (db.parent / "bot.log").read_text()

    key, _ = load_key(None, db.parent / "data.key")
    async with Storage(db, FieldCipher(key)) as store:
        [record] = await store.thought_records(USER)
    assert record.situation == "My car broke down on the motorway"
    assert record.thought == "Things like this always happen to me"
    assert (record.emotion, record.intensity_before, record.belief_before) == ("anxious", 80, 75)
    assert (record.belief_after, record.intensity_after) == (30, 20)
    assert record.balanced_thought == BALANCED


# A whole thought record in the console, with the state the bot must be in after each line.
CONSOLE_WALK = [
    ("/start", "welcome"),
    ("1", "country"),
    ("Ireland", None),
    ("/new", "situation"),
    ("The bus didn't come and I was late for my shift", "thought"),
    ("I always ruin everything", "emotion"),
    ("Anxious", "intensity"),
    ("60", "belief"),
    ("70", "noticed"),
    ("Skip to a balanced thought", "balanced"),
    ("This time the bus was late, which was not up to me", ("balanced_check", "rerate_belief")),
    ("40", "rerate_intensity"),
    ("30", "next_step"),
    ("Finish here", None),
]
KILL_AT = [i for i, (_, state) in enumerate(CONSOLE_WALK) if i >= 4 and state is not None]


async def _console(db: Path, lines: list[str]) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(
        BOT_DB_PATH=str(db),
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
        DATA_KEY_FILE=str(db.parent / "data.key"),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=db.parent, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    proc.stdin.write("".join(f"{line}\n" for line in lines).encode())
    await proc.stdin.drain()
    return proc


def _dialog(db: Path) -> tuple[str | None, dict] | None:
    import json
    import sqlite3

    if not db.exists():
        return None
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            row = conn.execute("SELECT state, slots, last_seq FROM dialog_state").fetchone()
            count = conn.execute("SELECT count(*) FROM thought_records").fetchone()[0]
    except sqlite3.OperationalError:
        return None
    if not row:
        return None
    key, _ = load_key(None, db.parent / "data.key")
    slots = FieldCipher(key).decrypt(row[1], aad_for("dialog_state", "slots", 1))
    return (row[0], json.loads(slots), count)


@pytest.mark.parametrize("kill_at", KILL_AT, ids=lambda i: str(CONSOLE_WALK[i][1]))
async def test_sigkill_at_any_step_resumes_there_with_the_slots(tmp_path, kill_at):
    db = tmp_path / "bot.sqlite3"
    lines = [line for line, _ in CONSOLE_WALK]
    expected = CONSOLE_WALK[kill_at][1]
    expected = expected if isinstance(expected, tuple) else (expected,)
    proc = await _console(db, lines[: kill_at + 1])  # stdin stays open: the bot waits
    try:
        for _ in range(600):
            state = _dialog(db)
            if state and state[0] in expected:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"never reached {expected}: {_dialog(db)}")
    finally:
        proc.kill()  # SIGKILL
        await proc.wait()
    state_before, slots_before, _ = _dialog(db)
    assert slots_before.get("situation") == "The bus didn't come and I was late for my shift"

    proc = await _console(db, lines[kill_at + 1 :])
    proc.stdin.close()
    await asyncio.wait_for(proc.wait(), 60)
    _, _, records = _dialog(db)
    assert records == 1, f"the walk did not finish after a kill in {state_before}"
