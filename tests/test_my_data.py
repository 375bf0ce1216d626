"""Progress, export, delete, encryption at rest and /stats."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import struct
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from engine_driver import Chat, full_record, onboard

from bot.charts import HEIGHT_PX, WIDTH_PX, render_progress
from bot.crypto import FieldCipher, WrongKey, new_key_text
from bot.scheduler import ReminderLoop
from bot.storage import USER_TABLES, EncryptionMismatch, Storage
from dialogs import Button, Engine, EngineSettings, User
from dialogs.models import DialogState, TurnWrites, UserProfile

ROOT = Path(__file__).resolve().parent.parent
MARKER = "zebra-marmalade-situation"  # a phrase that must never appear in the database file


def cipher() -> FieldCipher:
    import base64

    return FieldCipher(base64.urlsafe_b64decode(new_key_text() + "=="))


@pytest.fixture
def key():
    return cipher()


@pytest.fixture
async def storage(tmp_path, key):
    async with Storage(tmp_path / "bot.sqlite3", key) as store:
        yield store


@pytest.fixture
def engine(storage, clock):
    return Engine(storage, EngineSettings(default_timezone="Europe/London", admin_ids=frozenset({42})),
                  clock=clock, renderer=render_progress)  # fmt: skip


async def a_life(chat: Chat, clock) -> None:
    """Onboarding, a safety plan, a thought record, a done action, a planned one, a crisis."""
    await onboard(chat)
    await chat.send("/safetyplan")
    for answer in ("I go quiet", "A long shower", "The park", "My sister", "My GP", "Not alone"):
        await chat.send(answer)
    await full_record(
        chat,
        situation=f"{MARKER} at the bus stop",
        thought="I always mess things up",
        intensity="80",
        intensity_after="30",
    )
    await chat.send("/plan")
    await chat.send("Phone my sister")
    await chat.send("Find her number")
    await chat.send("in 1 hour")
    await chat.press("Yes")
    await chat.press("Just once")
    await chat.press("3")
    await chat.press("4")
    clock.advance(hours=1)
    outbox = []

    async def send(user_id, replies):
        outbox.append(replies)
        return 1

    await ReminderLoop(chat.engine.store, chat.engine, send, clock=clock).run_due()
    await chat.press("Done", replies=outbox[-1])
    await chat.press("8")
    await chat.press("7")
    await chat.send("She was glad I called")
    await chat.send("/plan")
    await chat.send("Tidy the desk")
    await chat.send("/skip")
    await chat.send("tomorrow 9am")
    await chat.press("Yes")
    await chat.press("Just once")
    await chat.press("5")
    await chat.press("5")
    await chat.send("I want to kill myself")
    await chat.press("I'm safe right now")


async def test_export_has_every_table_as_json_and_records_as_csv(chat, storage, clock):
    await a_life(chat, clock)
    await chat.send("/export")
    docs = [r.document for r in chat.last if r.document is not None]
    assert [d.filename.split("-2")[0] for d in docs] == ["my-data", "thought-records"]
    data = json.loads(docs[0].content)
    assert data["user_id"] == 1001
    for table in USER_TABLES:
        assert data["tables"][table], f"{table} missing from the export"
    [record] = data["tables"]["thought_records"]
    assert record["situation"].startswith(MARKER)  # decrypted for the person
    assert data["tables"]["safety_plans"][0]["steps"]["people"] == "My sister"
    done = [t for t in data["tables"]["tasks"] if t["status"] == "done"]
    assert done[0]["note"] == "She was glad I called" and done[0]["actual_enjoyment"] == 8
    rows = list(csv.DictReader(io.StringIO(docs[1].content.decode())))
    assert rows[0]["thought"] == "I always mess things up"
    assert rows[0]["intensity_before"] == "80" and rows[0]["intensity_after"] == "30"


async def test_delete_after_confirmation_leaves_no_row(chat, engine, storage, clock, tmp_path):
    other = Chat(engine, User(7, "Other"))
    await onboard(other)
    await a_life(chat, clock)
    await chat.send("/delete")
    assert "can't be undone" in chat.text
    await chat.press("No, keep it")
    assert "nothing was deleted" in chat.text
    await chat.send("/delete")
    await chat.press("Yes, delete everything")
    assert "everything I had stored about you is deleted" in chat.text
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
            if "user_id" in columns:
                left = db.execute(f"SELECT count(*) FROM {table} WHERE user_id=1001").fetchone()[0]
                assert left == 0, table
        assert db.execute("SELECT count(*) FROM users WHERE user_id=7").fetchone()[0] == 1
    sent = []

    async def send(user_id, replies):
        sent.append(user_id)

    clock.advance(days=2)
    await ReminderLoop(storage, engine, send, clock=clock).run_due()
    assert 1001 not in sent  # the planned action and the follow-up check-in are gone


async def test_after_delete_no_byte_of_the_person_is_left_in_the_database_or_wal(
    engine, storage, clock, tmp_path
):
    other = Chat(engine, User(7, "Otto"))
    await onboard(other, "Ireland")
    await full_record(other, situation="Otto's own situation stays")
    chat = Chat(engine, User(1001, "Quillonia"))
    await a_life(chat, clock)
    async with storage._read().execute("SELECT rules FROM risk_events WHERE user_id=1001") as cur:
        rules = {r for row in await cur.fetchall() for r in row[0].split(",")}
    assert rules
    theirs = ["Quillonia", "Europe/London", MARKER, "I always mess things up", "Phone my sister",
              "She was glad I called", "A long shower", "Tidy the desk", *rules]  # fmt: skip
    files = sorted(tmp_path.glob("bot.sqlite3*"))
    assert {f.name for f in files} >= {"bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"}
    await chat.send("/delete")
    await chat.press("Yes, delete everything")
    assert "everything I had stored about you is deleted" in chat.text
    raw = b"".join(f.read_bytes() for f in tmp_path.glob("bot.sqlite3*"))
    left = [s for s in theirs if s.encode() in raw]
    assert left == []
    # The other person's data is still there and readable.
    assert (await storage.load_profile(7)).timezone == "Europe/Dublin"
    assert b"Europe/Dublin" in raw
    [record] = await storage.thought_records(7)
    assert record.situation == "Otto's own situation stays"


async def test_first_names_are_encrypted_including_ones_stored_before(tmp_path, key):
    path = tmp_path / "bot.sqlite3"
    async with Storage(path, key) as store:
        await store.commit_turn(3, DialogState(), TurnWrites(profile=UserProfile(3, "Bartholomew")))
    assert b"Bartholomew" not in b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    # A database from before names were encrypted: its plain names are encrypted on open.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE users SET first_name='Philippa' WHERE user_id=3")
        db.execute("UPDATE meta SET value='{}' WHERE key='encrypted_columns'")
    async with Storage(path, key) as store:
        assert (await store.load_profile(3)).first_name == "Philippa"
        await store.checkpoint()
    assert b"Philippa" not in b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))


def test_a_new_database_and_its_folder_are_private(tmp_path):
    import asyncio

    async def make():
        async with Storage(tmp_path / "data" / "bot.sqlite3", cipher()) as store:
            await store.commit_turn(3, DialogState(), TurnWrites(profile=UserProfile(3, "Al")))

    asyncio.run(make())
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    for name in ("bot.sqlite3", "bot.sqlite3-wal", "bot.sqlite3-shm"):
        path = tmp_path / "data" / name
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600, name
    assert (tmp_path / "data" / "bot.sqlite3").exists()


async def test_an_old_delete_confirmation_is_not_acted_on(chat, storage, clock):
    await onboard(chat)
    await chat.send("/delete")
    question = chat.last
    clock.advance(minutes=11)
    await chat.press("Yes, delete everything", replies=question)
    assert "more than 10 minutes old" in chat.text
    assert (await storage.load_profile(1001)) is not None


async def test_free_text_is_not_plaintext_in_the_database_file(chat, clock, tmp_path, storage):
    await a_life(chat, clock)
    await chat.send("/new")
    await chat.send(f"{MARKER} draft in progress")  # a draft in the dialog state too
    await storage.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    for secret in (MARKER, "I always mess things up", "She was glad I called", "My sister",
                   "Phone my sister", "Find her number", "This time she cancelled"):  # fmt: skip
        assert secret.encode() not in raw, secret
    assert b"enc1:" in raw


async def test_wrong_key_fails_cleanly_and_no_key_is_refused(tmp_path, key):
    path = tmp_path / "bot.sqlite3"
    async with Storage(path, key):
        pass
    with pytest.raises(WrongKey, match="DATA_KEY does not match"):
        await Storage(path, cipher()).open()
    with pytest.raises(EncryptionMismatch):
        await Storage(path).open()


async def test_rows_written_before_encryption_are_encrypted_on_first_keyed_start(tmp_path, key):
    from engine_driver import Clock

    clock = Clock()
    path = tmp_path / "bot.sqlite3"
    async with Storage(path) as plain:
        chat = Chat(Engine(plain, clock=clock), User(5, "Pat"))
        await onboard(chat)
        await full_record(chat, situation=f"{MARKER} before the key")
    async with Storage(path, key) as store:
        [record] = await store.thought_records(5)
        assert record.situation == f"{MARKER} before the key"
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    assert MARKER.encode() not in raw


def test_make_run_without_a_key_creates_a_private_key_file_and_a_wrong_key_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATA_KEY")}
    env.update(BOT_DB_PATH=str(tmp_path / "bot.sqlite3"), PYTHONPATH=str(ROOT))
    first = subprocess.run([sys.executable, "-m", "bot"], input="", text=True, cwd=tmp_path,
                           capture_output=True, env=env, timeout=120)  # fmt: skip
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / ".data.key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    assert str(key_file.name) in first.stderr
    env["DATA_KEY"] = new_key_text()
    second = subprocess.run([sys.executable, "-m", "bot"], input="", text=True, cwd=tmp_path,
                            capture_output=True, env=env, timeout=120)  # fmt: skip
    assert second.returncode == 2
    errors = [line for line in second.stderr.splitlines() if line.startswith("Cannot start")]
    assert len(errors) == 1 and "DATA_KEY does not match" in errors[0]
    assert "Traceback" not in second.stderr


async def test_stats_only_for_admins_and_never_any_text(engine, chat, clock):
    await a_life(chat, clock)
    await chat.send("/stats")
    assert "don't know the command /stats" in chat.text
    admin = Chat(engine, User(42, "Op"))
    await admin.send("/stats")
    assert "Users: 1 (1 consented)" in admin.text and "Thought records: 1" in admin.text
    assert "done: 1" in admin.text
    assert admin.text.rstrip().endswith("0, 0, 0, 0, 0, 0, 0, 1")
    assert MARKER not in admin.text and "mess" not in admin.text


async def test_progress_with_nothing_yet_says_how_to_start(chat):
    await onboard(chat)
    await chat.send("/progress")
    assert "nothing to show yet" in chat.text.lower() and "/new" in chat.text
    assert all(r.image is None for r in chat.last)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_progress_states_the_evidence_with_a_picture(chat, clock):
    await a_life(chat, clock)
    clock.advance(days=2)  # the second action is now overdue and not done
    await chat.send("/progress")
    [picture] = [r.image for r in chat.last if r.image is not None]
    assert picture.filename.endswith(".png")
    assert _png_size(picture.content) == (WIDTH_PX, HEIGHT_PX)
    text = chat.text
    assert "You did 1 of 2 planned activities" in text
    assert "You expected 3/10 enjoyment on average and reported 8/10" in text
    assert '"Phone my sister"' in text  # the prediction that turned out too gloomy
    assert "from 80 to 30" in text


async def test_progress_is_private_to_each_person(engine, chat, clock):
    await a_life(chat, clock)
    other = Chat(engine, User(8, "Lee"))
    await onboard(other)
    await other.send("/progress")
    assert "nothing to show yet" in other.text.lower()


async def test_a_stale_delete_button_of_someone_else_does_nothing(engine, chat, storage):
    await onboard(chat)
    intruder = Chat(engine, User(9, "Ian"))
    await onboard(intruder)
    await chat.send("/delete")
    data = chat.button("Yes, delete").data
    await intruder.event(Button(data))  # deletes the presser's own data only, never Ann's
    assert (await storage.load_profile(1001)) is not None


def test_progress_picture_for_a_year_of_daily_records_renders(tmp_path):
    from datetime import UTC, datetime

    from dialogs.progress import ActivityPoint, ProgressData, ThoughtPoint

    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    days = [now - timedelta(days=d) for d in range(365)]
    data = ProgressData(
        [ThoughtPoint(d, 70, 40, permanent=d.day % 2 == 0) for d in days],
        [ActivityPoint(d, d.day % 3 != 0, 3, 4, 6, 6, i) for i, d in enumerate(days)],
    )
    assert _png_size(render_progress(data, now, "Europe/London")) == (WIDTH_PX, HEIGHT_PX)


async def test_text_that_looks_like_a_stored_token_is_still_encrypted(chat, storage, tmp_path):
    await onboard(chat)
    await full_record(chat, situation="enc1:this is what I typed", thought="enc1:mine too")
    await chat.send("/journal")
    assert "enc1:mine too" in chat.text  # read back as written
    await storage.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    assert b"this is what I typed" not in raw


async def test_a_typed_emotion_is_encrypted_too(chat, storage, tmp_path):
    await onboard(chat)
    await chat.send("/new")
    await chat.send("A quiet afternoon")
    await chat.send("Nothing I do matters")
    await chat.press("Something else")
    await chat.send("marmalade-blue")
    await chat.send("40")
    await storage.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    assert b"marmalade-blue" not in raw
