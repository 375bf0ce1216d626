"""Wiring: settings -> storage -> engine -> transport."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from datetime import timedelta

from bot.charts import render_progress
from bot.config import Settings
from bot.crypto import FieldCipher, load_key
from bot.scheduler import ReminderLoop
from bot.storage import Storage
from dialogs import Engine, EngineSettings

log = logging.getLogger(__name__)


def open_storage(settings: Settings) -> Storage:
    """The database with the data key: DATA_KEY, or a local key file made on first start.
    Where the key came from is said once the database is open (`key_note`), so a start that
    fails says only why it failed."""
    key, note = load_key(settings.data_key, settings.data_key_file)
    storage = Storage(settings.db_path, FieldCipher(key))
    storage.key_note = note
    return storage


def build_engine(storage: Storage, settings: Settings) -> Engine:
    """On Telegram the replies are stored with each turn (the outbox) for the one sender."""
    return Engine(
        storage,
        EngineSettings(
            default_timezone=settings.default_timezone,
            escalation_chat_id=settings.escalation_chat_id,
            max_late=timedelta(minutes=settings.reminder_max_late_minutes),
            crisis_pause=timedelta(hours=settings.crisis_pause_hours),
            admin_ids=settings.admin_ids,
            outbox=bool(settings.telegram_token),
        ),
        renderer=render_progress,
    )


async def run(settings: Settings) -> None:
    async with open_storage(settings) as storage:
        if storage.key_note:
            print(storage.key_note, file=sys.stderr, flush=True)
        engine = build_engine(storage, settings)
        engine.warm_up()
        if settings.telegram_token:
            from bot.telegram import TelegramTransport

            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            from bot.sender import Limits

            limits = Limits() if settings.send_rate_limits else Limits(overall_rate=0, chat_rate=0)
            transport = TelegramTransport(engine, settings, storage, limits)
            if not await transport.connect(stop):
                return  # stopped while the Bot API could not be reached
            reminders = ReminderLoop(storage, engine, transport.deliver)
            await transport.start()
            task = asyncio.create_task(reminders.run())
            try:
                await stop.wait()
            finally:
                reminders.stop()
                await task
                await transport.stop()
        else:
            from bot.console import ConsoleChat

            print(
                "No TELEGRAM_BOT_TOKEN set: starting the console chat "
                f"(database {settings.db_path}).",
                file=sys.stderr,
                flush=True,
            )
            chat = ConsoleChat(engine, out_dir=settings.db_path.parent / "console_files")
            reminders = ReminderLoop(storage, engine, chat.deliver)
            task = asyncio.create_task(reminders.run())
            try:
                await chat.run()
            finally:
                reminders.stop()
                await task
