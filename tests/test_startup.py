"""Start-up as a supervisor sees it: the real `python -m bot`, its exit status and its stderr."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
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
