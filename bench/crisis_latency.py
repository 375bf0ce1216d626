"""Message-to-reply latency of the real `python -m bot` with 200 people writing at once,
some of them in crisis, through the local Bot API stand-in.

    .venv/bin/python bench/crisis_latency.py [--people 200] [--crisis 20] [--runs 3]

Everyone is onboarded first (through the engine, straight into the database) and has started a
thought record (/new, not timed). Then all of them write at the same moment: most the situation,
`--crisis` of them "I am going to kill myself tonight". For each person the time from their
message reaching the stand-in to the first message the bot sends them is measured, and for the
people in crisis also to the message that holds the crisis lines. The bot runs as a separate
process with its production settings (rate limits included), so the numbers are what a person
would see, minus Telegram's own network time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from botapi_stub import FakeBotAPI  # noqa: E402

from bot.crypto import FieldCipher, load_key  # noqa: E402
from bot.storage import Storage  # noqa: E402
from dialogs import Button, Command, Engine, User  # noqa: E402

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
FIRST_ID = 20_000
CRISIS = "I am going to kill myself tonight"
SITUATION = "My flatmate left the kitchen in a mess again and I said nothing"
LINES_MARK = "116 123"  # Samaritans (Ireland), in the crisis lines message


class TimedAPI(FakeBotAPI):
    """The stand-in, noting when each message to a chat was accepted."""

    def __init__(self) -> None:
        super().__init__(long_poll_cap=1.0)
        self.sent_at: dict[int, list[tuple[float, str]]] = {}

    def _new_message(self, params, **content):
        result = super()._new_message(params, **content)
        chat = result["chat"]["id"]
        text = content.get("text") or content.get("caption") or ""
        self.sent_at.setdefault(chat, []).append((time.perf_counter(), text))
        return result


async def seed(db: Path, key_file: Path, people: int) -> None:
    key, _ = load_key(None, key_file)
    async with Storage(db, FieldCipher(key)) as storage:
        engine = Engine(storage)
        for i in range(people):
            user = User(FIRST_ID + i, f"P{i}")
            await engine.handle(user, Command("start"))
            await engine.handle(user, Button("1:agree"))
            await engine.handle(user, Button("2:IE"))


def most_in_a_second(times: list[float]) -> int:
    """The most messages accepted in any one-second window."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def one_run(people: int, crisis: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        db, key_file = Path(tmp) / "bot.sqlite3", Path(tmp) / "data.key"
        await seed(db, key_file, people)
        async with TimedAPI() as api:
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": api.base_url,
                "BOT_DB_PATH": str(db),
                "DATA_KEY_FILE": str(key_file),
                "LOG_LEVEL": "WARNING",
            }
            log = (Path(tmp) / "bot.log").open("wb")
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=ROOT, env=env, stdout=log, stderr=log
            )
            try:
                await api.wait_for(lambda: api.calls_of("getUpdates"), timeout=60)
                ids = [FIRST_ID + i for i in range(people)]
                for uid in ids:
                    api.push_text(uid, "/new")
                await api.wait_for(
                    lambda: all(api.sent_at.get(u) for u in ids), timeout=300, what="/new"
                )
                await asyncio.sleep(2)  # let the last replies out and the per-chat limits refill
                before = {u: len(api.sent_at[u]) for u in ids}
                in_crisis = set(ids[:: max(1, people // crisis)][:crisis])
                pushed: dict[int, float] = {}
                for uid in ids:
                    api.push_text(uid, CRISIS if uid in in_crisis else SITUATION)
                    pushed[uid] = time.perf_counter()
                await api.wait_for(
                    lambda: (
                        all(len(api.sent_at[u]) > before[u] for u in ids)
                        and all(
                            any(LINES_MARK in t for _, t in api.sent_at[u][before[u] :])
                            for u in in_crisis
                        )
                    ),
                    timeout=600,
                    what="every reply",
                )
            finally:
                proc.terminate()
                await proc.wait()
        result: dict[str, list[float]] = {"crisis_first": [], "crisis_lines": [], "others": []}
        everyone = sorted(t for u in ids for t, _ in api.sent_at[u][before[u] :])
        result["overall_per_s"] = [most_in_a_second(everyone)]
        result["chat_per_s"] = [max(most_in_a_second([t for t, _ in api.sent_at[u]]) for u in ids)]
        for uid in ids:
            new = api.sent_at[uid][before[uid] :]
            first = new[0][0] - pushed[uid]
            if uid in in_crisis:
                result["crisis_first"].append(first)
                lines = next(t for t, text in new if LINES_MARK in text)
                result["crisis_lines"].append(lines - pushed[uid])
            else:
                result["others"].append(first)
        return result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--crisis", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    merged: dict[str, list[float]] = {}
    for _ in range(args.runs):
        for name, values in (await one_run(args.people, args.crisis)).items():
            merged.setdefault(name, []).extend(values)
    print(f"people={args.people} in crisis={args.crisis} runs={args.runs} (production limits)")
    for name, label in (
        ("crisis_first", "crisis, first reply"),
        ("crisis_lines", "crisis, the lines"),
        ("others", "everyone else, first reply"),
    ):
        values = merged[name]
        print(
            f"{label:28s} p50 {statistics.median(values):6.2f} s   p99 {pct(values, 0.99):6.2f} s"
            f"   max {max(values):6.2f} s   (n={len(values)})"
        )
    print(
        f"most messages in any second: {max(merged['overall_per_s'])} overall, "
        f"{max(merged['chat_per_s'])} to one chat"
    )


if __name__ == "__main__":
    asyncio.run(main())
