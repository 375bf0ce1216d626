# ruff: noqa: ASYNC221  (a benchmark driver: blocking waits on its own subprocesses are fine)
"""Reminder loop benchmarks (run by hand, numbers for the closing note; not a test):

1. 100,000 pending reminders in the database: start-up time of the loop (open the database,
   reconcile, find the next due time) and resident memory of that process.
2. 2,000 reminders due at the same moment, sent through the real Telegram transport and the
   production rate limiter to the local Bot API stand-in: all delivered, none twice, lateness.
3. The same with `kill -9` of the bot process in the middle of the delivery and a restart:
   none twice; how many (if any) are lost in the crash window.

    .venv/bin/python bench/reminders.py [--due 2000] [--pending 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from botapi_stub import FakeBotAPI  # noqa: E402

from bot.storage import Storage  # noqa: E402

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def make_db(path: Path, users: int, reminders_per_user: int, due: datetime,
                  spread: timedelta = timedelta(0)) -> None:  # fmt: skip
    """Users (onboarded, no quiet hours) with tasks and their pending reminders, written
    directly as rows: the database is the source of truth."""
    async with Storage(path):
        pass  # creates the schema
    now = iso(datetime.now(UTC))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO users (user_id, first_name, country, timezone, consented_at, created_at,"
            " updated_at, quiet_start, quiet_end) VALUES (?, 'U', 'GB', 'Europe/London', ?, ?, ?,"
            " 0, 0)",
            [(10_000 + u, now, now, now) for u in range(users)],
        )
        rows = []
        for u in range(users):
            for r in range(reminders_per_user):
                rows.append((10_000 + u, iso(due + spread * (r + 1)), now))
        db.executemany(
            "INSERT INTO tasks (user_id, title, kind, due_at, created_at) "
            "VALUES (?, 'Walk 5 minutes', 'physical', ?, ?)",
            rows,
        )
        db.execute(
            "INSERT INTO reminders (user_id, kind, due_at, state, payload, created_at, task_id) "
            "SELECT user_id, 'task', due_at, 'pending', '{}', created_at, id FROM tasks"
        )


STARTUP_PROBE = """
import asyncio, json, sys, time
t0 = time.perf_counter()
from bot.scheduler import ReminderLoop
from bot.storage import Storage
from dialogs import Engine
async def main():
    async with Storage(sys.argv[1]) as storage:
        loop = ReminderLoop(storage, Engine(storage), send=None)
        await loop.start_up()
        nxt = await storage.next_due_at()
        ready = time.perf_counter() - t0
        rss = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')][0]
        print(json.dumps({"ready_s": ready, "rss_mb": rss / 1024, "next": str(nxt)}))
asyncio.run(main())
"""


async def bench_startup(pending: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bot.sqlite3"
        start = datetime.now(UTC) + timedelta(days=1)
        await make_db(db, users=pending // 10, reminders_per_user=10, due=start,
                      spread=timedelta(hours=1))  # fmt: skip
        runs = []
        for _ in range(3):
            out = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(db)], cwd=ROOT,
                                 capture_output=True, text=True, check=True)  # fmt: skip
            runs.append(json.loads(out.stdout))
        with sqlite3.connect(db) as conn:
            count = conn.execute("SELECT count(*) FROM reminders WHERE state='pending'").fetchone()
        return {"pending": count[0], "runs": runs}


def start_bot(api: FakeBotAPI, db: Path, log) -> subprocess.Popen:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": api.base_url,
           "BOT_DB_PATH": str(db), "LOG_LEVEL": "WARNING",
           "DATA_KEY_FILE": str(db.parent / "data.key")}  # fmt: skip
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log,
                            stderr=log)  # fmt: skip


def nudges(api: FakeBotAPI) -> dict[int, list[float]]:
    """chat id -> arrival times (stub clock) of the nudges it received."""
    got: dict[int, list[float]] = {}
    for method, params in api.calls:
        if method == "sendMessage" and "planned action" in str(params.get("text", "")):
            got.setdefault(int(params["chat_id"]), []).append(params["_received"])
    return got


async def bench_burst(due_count: int, kill_after: int | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bot.sqlite3"
        async with FakeBotAPI() as api:
            _stamp_calls(api)
            due = datetime.now(UTC) + timedelta(seconds=8)  # after the bot has started
            await make_db(db, users=due_count, reminders_per_user=1, due=due)
            log = (Path(tmp) / "bot.log").open("ab")
            proc = start_bot(api, db, log)
            killed_at = None
            try:
                if kill_after is not None:
                    await api.wait_for(lambda: len(nudges(api)) >= kill_after, timeout=600)
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                    killed_at = len(nudges(api))
                    with sqlite3.connect(db) as conn:
                        in_flight = conn.execute(
                            "SELECT count(*) FROM reminders WHERE state='sending'"
                        ).fetchone()[0]
                    proc = start_bot(api, db, log)
                deadline = time.monotonic() + 900
                while time.monotonic() < deadline:
                    with sqlite3.connect(db) as conn:
                        left = conn.execute(
                            "SELECT count(*) FROM reminders WHERE kind='task' AND state IN"
                            " ('pending', 'sending')"
                        ).fetchone()[0]
                    if left == 0:
                        break
                    await asyncio.sleep(0.5)
                await asyncio.sleep(1)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=30)
            got = nudges(api)
            with sqlite3.connect(db) as conn:
                states = dict(
                    conn.execute(
                        "SELECT state, count(*) FROM reminders WHERE kind='task' GROUP BY state"
                    )
                )
                unknown_users = [
                    r[0]
                    for r in conn.execute(
                        "SELECT user_id FROM reminders WHERE kind='task' AND state='unknown'"
                    )
                ]
            late = sorted(times[0] - due.timestamp() for times in got.values())
            result = {
                "due": due_count,
                "delivered": len(got),
                "twice": sum(1 for t in got.values() if len(t) > 1),
                "lost": due_count - len(got),
                "states": states,
                "lateness_p50_s": statistics.median(late) if late else None,
                "lateness_p99_s": late[int(len(late) * 0.99) - 1] if late else None,
                "send_rate_per_s": len(late) / (late[-1] - late[0]) if len(late) > 1 else None,
            }
            if kill_after is not None:
                result.update(killed_after=killed_at, in_flight_at_kill=in_flight,
                              unknown_delivered=sum(1 for u in unknown_users if u in got))  # fmt: skip
            return result


def _stamp_calls(api: FakeBotAPI) -> None:
    """Record the arrival time of each call at the stand-in, for lateness."""
    original = api.calls.append

    class Stamped(list):
        def append(self, item):
            method, params = item
            params["_received"] = time.time()
            super().append((method, params))

    api.calls = Stamped(api.calls)
    del original


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=2_000)
    parser.add_argument("--skip", nargs="*", default=[])
    args = parser.parse_args()
    if "startup" not in args.skip:
        startup = await bench_startup(args.pending)
        best = min(r["ready_s"] for r in startup["runs"])
        rss = max(r["rss_mb"] for r in startup["runs"])
        print(f"{startup['pending']} pending reminders: loop ready in {best:.2f} s (best of 3),"
              f" RSS {rss:.1f} MB")  # fmt: skip
    if "burst" not in args.skip:
        burst = await bench_burst(args.due, kill_after=None)
        print("burst:", json.dumps(burst))
    if "kill" not in args.skip:
        killed = await bench_burst(args.due, kill_after=args.due // 3)
        print("burst with kill -9:", json.dumps(killed))


if __name__ == "__main__":
    asyncio.run(main())
