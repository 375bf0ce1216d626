from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from bot.storage import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew, Storage
from dialogs.models import DialogState, ThoughtRecord, TurnWrites, UserProfile

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


async def test_new_database_is_wal_and_at_the_latest_schema(tmp_path):
    async with Storage(tmp_path / "sub" / "bot.db") as store:
        assert await store.schema_version() == SCHEMA_VERSION == len(MIGRATIONS)
    with sqlite3.connect(tmp_path / "sub" / "bot.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "dialog_state", "thought_records", "risk_events"} <= tables


async def test_reopening_does_not_migrate_again_and_keeps_data(tmp_path):
    path = tmp_path / "bot.db"
    async with Storage(path) as store:
        await store.commit_turn(
            1,
            DialogState(flow="f", state="s", slots={"a": 1}, updated_at=NOW),
            TurnWrites(profile=UserProfile(1, "Ann", created_at=NOW)),
        )
    async with Storage(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        state = await store.load_dialog(1)
        assert (state.flow, state.state, state.slots) == ("f", "s", {"a": 1})
        assert (await store.load_profile(1)).first_name == "Ann"


async def test_a_database_from_newer_code_is_refused(tmp_path):
    path = tmp_path / "bot.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaTooNew):
        await Storage(path).open()


async def test_a_failed_turn_writes_nothing(tmp_path):
    async with Storage(tmp_path / "bot.db") as store:
        bad = ThoughtRecord(
            user_id=1,
            created_at=NOW,
            situation="s",
            thought="t",
            emotion="sad",
            intensity_before=None,
        )  # NOT NULL column: the insert fails
        with pytest.raises(sqlite3.IntegrityError):
            await store.commit_turn(
                1,
                DialogState(flow="x", state="y", updated_at=NOW),
                TurnWrites(thought_records=[bad]),
            )
        assert (await store.load_dialog(1)).flow is None
        assert await store.load_profile(1) is None
        # ...and the writer is usable afterwards.
        await store.commit_turn(1, DialogState(updated_at=NOW), TurnWrites())
        assert await store.load_profile(1) is not None


async def test_records_come_back_newest_first_per_user(tmp_path):
    async with Storage(tmp_path / "bot.db") as store:
        for user, day in ((1, 1), (1, 3), (2, 2), (1, 2)):
            record = ThoughtRecord(
                user_id=user,
                created_at=NOW.replace(day=day),
                situation=f"d{day}",
                thought="t",
                emotion="sad",
                intensity_before=50,
            )
            await store.commit_turn(
                user, DialogState(updated_at=NOW), TurnWrites(thought_records=[record])
            )
        records = await store.thought_records(1)
        assert [r.situation for r in records] == ["d3", "d2", "d1"]
        assert all(r.user_id == 1 for r in records)


async def test_risk_events_are_kept_without_text(tmp_path):
    async with Storage(tmp_path / "bot.db") as store:
        await store.commit_turn(
            3, DialogState(updated_at=NOW), TurnWrites(risk_events=[("crisis", ("crisis.intent",))])
        )
    with sqlite3.connect(tmp_path / "bot.db") as db:
        rows = db.execute("SELECT user_id, level, rules FROM risk_events").fetchall()
        columns = [r[1] for r in db.execute("PRAGMA table_info(risk_events)")]
    assert rows == [(3, "crisis", "crisis.intent")]
    assert "text" not in columns


async def test_close_is_clean_and_idempotent(tmp_path):
    store = await Storage(tmp_path / "bot.db").open()
    await store.close()
    await store.close()
    with pytest.raises(RuntimeError):
        await store.load_dialog(1)


async def test_a_write_cancelled_while_waiting_for_a_lock_leaves_no_transaction_open(tmp_path):
    import asyncio
    import contextlib

    path = tmp_path / "bot.db"
    async with Storage(path) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        write = asyncio.create_task(store.close_inbox(1))
        await asyncio.sleep(0.2)
        write.cancel()  # its caller stops waiting...
        other.execute("ROLLBACK")  # ...and then the lock goes: its BEGIN gets through after all
        other.close()
        with contextlib.suppress(asyncio.CancelledError):
            await write
        await store.commit_turn(  # the next transaction is not inside a forgotten one
            1, DialogState(updated_at=NOW), TurnWrites(profile=UserProfile(1, "Ann"))
        )
        assert (await store.load_profile(1)).first_name == "Ann"
