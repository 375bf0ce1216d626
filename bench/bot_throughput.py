"""Whole-bot turn throughput against the local Bot API stand-in, next to a bare
python-telegram-bot echo bot measured in the same run; start-up time to first poll and resident
memory of `python -m bot`.

    .venv/bin/python bench/bot_throughput.py [--users 20] [--turns 2000]

Both bots run in this process against the same stand-in with the same rate limits, so the ratio
is the cost of the engine, the NLP pipeline and SQLite per turn (and, for the whole bot, of the
inbox and outbox writes that make every update and reply durable). `--limiter prod` uses the
production limits (the echo bot PTB's AIORateLimiter, the whole bot its own sender: about 30
messages/s overall, and for the whole bot one a second per chat), which pins both at Telegram's
pace; the default disables them to measure processing cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from botapi_stub import FakeBotAPI  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import AIORateLimiter, Application, MessageHandler, filters  # noqa: E402

from bot.app import build_engine, open_storage  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.sender import Limits  # noqa: E402
from bot.telegram import TelegramTransport  # noqa: E402
from dialogs import Button, Command, Engine, User  # noqa: E402

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
# One cycle of a thought record: every line is one turn.
CYCLE = [
    "/new",
    "My flatmate left the kitchen in a mess again and I said nothing",
    "I never stand up for myself and nothing will ever change",
    "sad",
    "60",
]


def limiter(kind: str) -> AIORateLimiter:
    return (
        AIORateLimiter(max_retries=2)
        if kind == "prod"
        else AIORateLimiter(overall_max_rate=0, group_max_rate=0)
    )


async def drive(api: FakeBotAPI, users: int, turns: int, handled) -> float:
    """Push `turns` text updates spread over `users`, each user's in order; time until handled."""
    per_user = turns // users
    start = time.perf_counter()
    for i in range(per_user):
        for u in range(users):
            api.push_text(10_000 + u, CYCLE[i % len(CYCLE)], first_name=f"U{u}")
    await api.wait_for(lambda: handled() >= per_user * users, timeout=600)
    return per_user * users / (time.perf_counter() - start)


async def echo_bot(users: int, turns: int, kind: str) -> float:
    async with FakeBotAPI() as api:
        count = 0

        async def echo(update: Update, context) -> None:
            nonlocal count
            await update.message.reply_text(update.message.text)
            count += 1

        app = (
            Application.builder()
            .token(TOKEN)
            .base_url(api.base_url)
            .rate_limiter(limiter(kind))
            .concurrent_updates(True)
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, echo))
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0)
            rate = await drive(api, users, turns, lambda: count)
            await app.updater.stop()
            await app.stop()
        return rate


async def whole_bot(users: int, turns: int, kind: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI() as api:
            settings = load_settings(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_BASE_URL": api.base_url,
                    "BOT_DB_PATH": f"{tmp}/bench.sqlite3",
                    "DATA_KEY_FILE": f"{tmp}/data.key",
                },
                dotenv=None,
            )
            async with open_storage(settings) as storage:
                seeding = Engine(storage)  # no outbox: these replies are never sent
                engine = build_engine(storage, settings)
                engine.warm_up()
                for u in range(users):  # onboard everyone first, through the engine
                    user = User(10_000 + u, f"U{u}")
                    await seeding.handle(user, Command("start"))
                    await seeding.handle(user, Button("1:agree"))
                    await seeding.handle(user, Button("2:GB"))
                limits = Limits() if kind == "prod" else Limits(overall_rate=0, chat_rate=0)
                transport = TelegramTransport(engine, settings, storage, limits)
                await transport.start()
                rate = await drive(api, users, turns, lambda: transport.updates_handled)
                await transport.stop()
                return rate


async def startup() -> tuple[float, float]:
    """Seconds from spawning `python -m bot` to its first getUpdates, and its RSS then (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeBotAPI() as api:
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": api.base_url,
                "BOT_DB_PATH": f"{tmp}/bot.sqlite3",
                "DATA_KEY_FILE": f"{tmp}/data.key",
                "LOG_LEVEL": "WARNING",
            }
            start = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=ROOT, env=env
            )
            await api.wait_for(lambda: api.calls_of("getUpdates"), timeout=60)
            elapsed = time.perf_counter() - start
            await asyncio.sleep(0.5)
            rss = 0.0
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
            proc.terminate()
            await proc.wait()
            return elapsed, rss


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--limiter", choices=["off", "prod"], default="off")
    args = parser.parse_args()
    echo = await echo_bot(args.users, args.turns, args.limiter)
    bot = await whole_bot(args.users, args.turns, args.limiter)
    print(f"users={args.users} turns={args.turns} rate limiter={args.limiter}")
    print(f"echo bot (bare PTB):      {echo:8.1f} turns/s")
    print(f"whole bot (engine+SQLite): {bot:8.1f} turns/s")
    print(f"ratio whole/echo:          {bot / echo:8.2f}")
    samples = [await startup() for _ in range(3)]
    best = min(samples)
    print(
        f"start-up to first poll:    {best[0]:8.2f} s (best of 3: "
        f"{', '.join(f'{s[0]:.2f}' for s in samples)})"
    )
    print(f"resident memory after start: {max(s[1] for s in samples):6.1f} MB")


if __name__ == "__main__":
    asyncio.run(main())
