from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine_driver import Chat, Clock  # noqa: E402

from bot.storage import Storage  # noqa: E402
from dialogs import Engine, EngineSettings, User  # noqa: E402


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def storage(tmp_path):
    async with Storage(tmp_path / "bot.sqlite3") as store:
        yield store


@pytest.fixture
def engine(storage, clock) -> Engine:
    return Engine(
        storage, EngineSettings(default_timezone="Europe/London"), clock=clock, rng=random.Random(7)
    )


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine, User(1001, first_name="Ann", language_code="en"))
