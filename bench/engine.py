"""Engine turns per second and turn latency with SQLite persistence (and encryption), in one
process on one core: people walking whole thought records, every turn loaded and saved.

    taskset -c 0 .venv/bin/python bench/engine.py [--users 50] [--records 4]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.crypto import FieldCipher, new_key_text  # noqa: E402
from bot.storage import Storage  # noqa: E402
from dialogs import Button, Command, Engine, EngineSettings, Text, User  # noqa: E402

SITUATIONS = [
    "My manager ignored my idea in the team meeting this morning",
    "I forgot my friend's birthday and she seemed upset when I called",
    "The bus was late again and I missed the start of my shift",
    "I got a low mark on the essay I worked on all week",
]
THOUGHTS = [
    "I never get anything right and nobody ever listens to me",
    "I'm a terrible friend, I always let people down",
    "Everything goes wrong for me, it will never change",
    "I'm stupid, I should have done better",
]


def walk(i: int) -> list:
    """One whole thought record as events (typed answers; buttons resolved by typed labels)."""
    return [
        Command("new"), Text(SITUATIONS[i % 4]), Text(THOUGHTS[i % 4]), Text("sad"),
        Text("70"), Text("80"), Text("Let's look at it"),
        Text("Last month it went fine"), Command("skip"), Command("skip"), Command("skip"),
        Command("skip"), Text("This time it went badly, partly because I was tired"),
        Text("Keep it"), Text("40"), Text("35"), Text("Finish here"),
    ]  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--records", type=int, default=4)
    args = parser.parse_args()
    key = FieldCipher(base64.urlsafe_b64decode(new_key_text() + "=="))
    with tempfile.TemporaryDirectory() as tmp:
        async with Storage(Path(tmp) / "bench.sqlite3", key) as storage:
            engine = Engine(storage, EngineSettings(default_timezone="Europe/London"))
            engine.warm_up()
            users = [User(100 + u, f"U{u}") for u in range(args.users)]
            for user in users:  # onboarding is not part of the measurement
                await engine.handle(user, Command("start"))
                await engine.handle(user, Button("1:agree"))
                await engine.handle(user, Button("2:GB"))
            latencies: list[float] = []

            async def person(user: User) -> None:
                for r in range(args.records):
                    for event in walk(user.id + r):
                        start = time.perf_counter()
                        await engine.handle(user, event)
                        latencies.append(time.perf_counter() - start)

            start = time.perf_counter()
            await asyncio.gather(*(person(u) for u in users))
            elapsed = time.perf_counter() - start
            async with storage._read().execute("SELECT count(*) FROM thought_records") as cur:
                saved = (await cur.fetchone())[0]
    latencies.sort()
    turns = len(latencies)
    print(f"{turns} turns ({args.users} people x {args.records} records), {saved} records saved")
    print(f"throughput: {turns / elapsed:.0f} turns/s")
    print(f"latency (sequential per person, concurrent people): "
          f"p50 {statistics.median(latencies) * 1e3:.2f} ms, "
          f"p99 {latencies[int(turns * 0.99)] * 1e3:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
