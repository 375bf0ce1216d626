"""Start-up as a supervisor sees it: the real `python -m bot`, its exit status and its stderr."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botapi_stub import FakeBotAPI
from tg_harness import TOKEN

ROOT = Path(__file__).resolve().parent.parent


def run_bot(
    tmp_path: Path, db: Path, timeout: float = 30
) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if k != "DATA_KEY"}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        # Nothing listens there: the database must fail first, before any network.
        TELEGRAM_BASE_URL="http://127.0.0.1:9/bot",
        BOT_DB_PATH=str(db),
        DATA_KEY_FILE=str(tmp_path / "data.key"),
        LOG_LEVEL="INFO",
    )
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env, text=True,
                            capture_output=True, timeout=timeout)  # fmt: skip
    return result, time.monotonic() - start


def corrupt(db: Path) -> None:
    db.write_bytes(os.urandom(8192))


def migrated_then_broken(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version=1")  # the next migration adds a column that exists
        conn.execute("CREATE TABLE users (user_id INTEGER PRIMARY KEY, share_text INTEGER)")


def a_folder(db: Path) -> None:
    db.mkdir()  # a folder where the file should be: it cannot be opened as a database


@pytest.mark.parametrize("damage", [corrupt, migrated_then_broken, a_folder],
                         ids=lambda f: f.__name__)  # fmt: skip
def test_a_database_that_cannot_be_opened_is_one_line_and_exit_1(tmp_path, damage):
    db = tmp_path / "bot.sqlite3"
    damage(db)
    result, took = run_bot(tmp_path, db)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Cannot start: cannot open the database")
    assert str(db) in lines[0]
    assert took < 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def spawn(tmp_path: Path, base_url: str) -> tuple[asyncio.subprocess.Process, Path]:
    log = tmp_path / "bot.log"
    env = {k: v for k, v in os.environ.items() if k != "DATA_KEY"}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=base_url, LOG_LEVEL="INFO",
               BOT_DB_PATH=str(tmp_path / "bot.sqlite3"), DATA_KEY_FILE=str(tmp_path / "k"))  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=log.open("wb"),
    )  # fmt: skip
    return proc, log


async def lines_about(log: Path, count: int, within: float = 20) -> list[str]:
    for _ in range(int(within / 0.1)):
        found = [line for line in log.read_text().splitlines() if "not reachable" in line]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} retry lines in:\n{log.read_text()}")


async def test_an_unreachable_bot_api_is_retried_with_backoff_until_it_answers(tmp_path):
    port = free_port()
    proc, log = await spawn(tmp_path, f"http://127.0.0.1:{port}/bot")
    try:
        found = await lines_about(log, 2)
        assert "attempt 1;" in found[0] and "attempt 2;" in found[1]
        assert "in 1 s" in found[0] and "in 2 s" in found[1]  # backing off
        assert proc.returncode is None  # still there, for a supervisor
        async with FakeBotAPI(port=port) as api:
            await api.wait_for(lambda: api.calls_of("getUpdates"), timeout=30, what="polling")
            api.push_text(77, "/help")
            await api.wait_for_messages(77, 1, timeout=10)
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    text = log.read_text()
    assert "Traceback" not in text
    attempts = [line for line in text.splitlines() if "not reachable" in line]
    assert len(attempts) == len({line.split("attempt ")[1] for line in attempts})  # one each


async def test_sigterm_while_the_bot_api_is_unreachable_exits_cleanly(tmp_path):
    proc, log = await spawn(tmp_path, f"http://127.0.0.1:{free_port()}/bot")
    await lines_about(log, 1)
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 0 and "Traceback" not in log.read_text()
