"""SQLite storage on aiosqlite: WAL, schema versioned with PRAGMA user_version, one writer.

Every turn's writes (dialog state, profile, records, audit) go in one transaction, so a crash
leaves either the whole turn or none of it. Reads go through the same single connection: a
second, shared reader connection keeps an old snapshot for as long as any coroutine has a
statement open on it, and under concurrent turns that showed a person their previous state.
A read that runs while another person's turn is being written can see that other person's
rows mid-transaction; every read here is of one person's rows, and one person's turns never
overlap (the engine's per-person lock), so no turn sees another turn's half-written state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.crypto import FieldCipher, aad_for, is_encrypted
from dialogs.events import Reply
from dialogs.models import (
    DialogState,
    InboxEntry,
    OutboxItem,
    Reminder,
    SafetyPlan,
    Task,
    ThoughtRecord,
    TurnWrites,
    UserProfile,
)

# Forward-only migrations: entry N moves the schema from version N to N+1. Never edit a shipped
# entry; append a new one.
MIGRATIONS: Sequence[str] = (
    """
    CREATE TABLE users (
        user_id       INTEGER PRIMARY KEY,
        first_name    TEXT NOT NULL DEFAULT '',
        language      TEXT,
        country       TEXT,
        timezone      TEXT,
        consented_at  TEXT,
        share_alerts  INTEGER NOT NULL DEFAULT 0,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE TABLE dialog_state (
        user_id     INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
        flow        TEXT,
        state       TEXT,
        slots       TEXT NOT NULL DEFAULT '{}',
        step        INTEGER NOT NULL DEFAULT 0,
        suspended   TEXT,
        last_seq    INTEGER,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE thought_records (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id           INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        created_at        TEXT NOT NULL,
        situation         TEXT NOT NULL,
        thought           TEXT NOT NULL,
        emotion           TEXT NOT NULL,
        intensity_before  INTEGER NOT NULL,
        belief_before     INTEGER,
        intensity_after   INTEGER,
        belief_after      INTEGER,
        balanced_thought  TEXT,
        findings          TEXT NOT NULL DEFAULT '{}',
        answers           TEXT NOT NULL DEFAULT '[]'
    );
    CREATE INDEX thought_records_user ON thought_records(user_id, created_at);
    CREATE TABLE risk_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        created_at  TEXT NOT NULL,
        level       TEXT NOT NULL,
        rules       TEXT NOT NULL
    );
    CREATE INDEX risk_events_user ON risk_events(user_id, created_at);
    """,
    """
    ALTER TABLE users ADD COLUMN share_text INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN nudges_paused_until TEXT;
    ALTER TABLE users ADD COLUMN last_alert_at TEXT;
    ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE safety_plans (
        user_id     INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
        steps       TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE reminders (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        kind        TEXT NOT NULL,
        due_at      TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending',
        payload     TEXT NOT NULL DEFAULT '{}',
        attempts    INTEGER NOT NULL DEFAULT 0,
        message_id  INTEGER,
        claimed_at  TEXT,
        sent_at     TEXT,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX reminders_due ON reminders(state, due_at);
    CREATE INDEX reminders_user ON reminders(user_id, state);
    """,
    """
    ALTER TABLE users ADD COLUMN quiet_start INTEGER NOT NULL DEFAULT 22;
    ALTER TABLE users ADD COLUMN quiet_end INTEGER NOT NULL DEFAULT 8;
    CREATE TABLE tasks (
        id                    INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id               INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        title                 TEXT NOT NULL,
        first_step            TEXT NOT NULL DEFAULT '',
        kind                  TEXT NOT NULL,
        activity_id           TEXT,
        due_at                TEXT NOT NULL,
        repeat                TEXT NOT NULL DEFAULT 'none',
        local_time            TEXT,
        expected_enjoyment    INTEGER,
        expected_achievement  INTEGER,
        actual_enjoyment      INTEGER,
        actual_achievement    INTEGER,
        note                  TEXT,
        status                TEXT NOT NULL DEFAULT 'planned',
        thought_record_id     INTEGER REFERENCES thought_records(id) ON DELETE SET NULL,
        created_at            TEXT NOT NULL,
        done_at               TEXT
    );
    CREATE INDEX tasks_user ON tasks(user_id, status, due_at);
    ALTER TABLE reminders ADD COLUMN task_id INTEGER REFERENCES tasks(id) ON DELETE CASCADE;
    CREATE INDEX reminders_task ON reminders(task_id, state);
    """,
    """
    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE inbox (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        update_id    INTEGER NOT NULL UNIQUE,
        user_id      INTEGER NOT NULL,
        payload      TEXT NOT NULL,
        state        TEXT NOT NULL DEFAULT 'new',
        received_at  TEXT NOT NULL
    );
    CREATE INDEX inbox_open ON inbox(state, id);
    CREATE INDEX inbox_user ON inbox(user_id);
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id     INTEGER NOT NULL,
        chat_id     INTEGER NOT NULL,
        seq         INTEGER,
        urgent      INTEGER NOT NULL DEFAULT 0,
        payload     TEXT NOT NULL,
        state       TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        resend      INTEGER NOT NULL DEFAULT 0,
        forget      INTEGER NOT NULL DEFAULT 0,
        message_id  INTEGER,
        created_at  TEXT NOT NULL,
        sent_at     TEXT
    );
    CREATE INDEX outbox_open ON outbox(state, id);
    CREATE INDEX outbox_chat ON outbox(chat_id, id);
    CREATE INDEX outbox_user ON outbox(user_id);
    """,
    # nudges that name nothing on the screen ("A reminder from your planner")
    """
    ALTER TABLE users ADD COLUMN discreet INTEGER NOT NULL DEFAULT 0;
    """,
)

# Free text people write, encrypted at rest when the storage has a cipher: table -> columns.
ENCRYPTED = {
    "thought_records": (
        "situation",
        "thought",
        "emotion",
        "balanced_thought",
        "findings",
        "answers",
    ),
    "tasks": ("title", "first_step", "note"),
    "safety_plans": ("steps",),
    "dialog_state": ("slots", "suspended"),
    "users": ("first_name",),
    "inbox": ("payload",),
    "outbox": ("payload",),
}
_JSON_COLUMNS = {
    "thought_records": ("findings", "answers"),
    "safety_plans": ("steps",),
    "dialog_state": ("slots", "suspended"),
    "reminders": ("payload",),
}
# Every table that holds a person's rows (export and delete go through all of them).
USER_TABLES = ("users", "dialog_state", "thought_records", "tasks", "reminders", "safety_plans",
               "risk_events")  # fmt: skip
# Messages in transit: received and not yet handled, decided and not yet sent. Erased with the
# person; not exported (their payload is cleared once handled or sent).
TRANSIT_TABLES = ("inbox", "outbox")
# how long a handled event or a settled reply is kept (its row, without the text)
TRANSIT_KEEP = timedelta(days=1)

SCHEMA_VERSION = len(MIGRATIONS)
# How long a write waits for another process's lock (a backup, the sqlite3 shell) before the
# turn fails. Short: a person in crisis gets the lines without the database, and a start-up on
# a locked database says so within seconds.
BUSY_TIMEOUT_MS = 2000


class SchemaTooNew(RuntimeError):
    pass


class StorageUnavailable(RuntimeError):
    """The database cannot be opened or brought to the current schema (corrupt, unreadable,
    locked by another process, a failed migration). The message is one line."""


class EncryptionMismatch(RuntimeError):
    """The database was written encrypted but opened without a key (or the other way round)."""


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Storage:
    def __init__(self, path: str | os.PathLike[str], cipher: FieldCipher | None = None) -> None:
        self.path = Path(path)
        self.cipher = cipher
        self.key_note = ""
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        # called after a turn added reminders, so the reminder loop can wake up early
        self.reminder_listeners: list[Callable[[], None]] = []
        # called with the replies a transaction stored, once it is committed (the sender)
        self.outbox_listeners: list[Callable[[list[OutboxItem]], None]] = []

    async def open(self) -> Storage:
        try:
            try:
                if str(self.path) != ":memory:":
                    self._create_private()
                    await asyncio.to_thread(self._preflight)
                self._writer = await self._connect()
                await self._writer.execute("PRAGMA journal_mode=WAL")
                await self._migrate()
                await self._check_key()
            except (sqlite3.Error, OSError) as exc:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise StorageUnavailable(f"cannot open the database {self.path}: {reason}") from exc
        except BaseException:
            # An open connection's thread would keep the process alive after the error.
            await self.close()
            raise
        return self

    async def _check_key(self) -> None:
        """The first start with a key stores its fingerprint; later starts must match it, so a
        wrong key stops the bot at once instead of failing on the first read."""
        async with self._writer.execute(
            "SELECT value FROM meta WHERE key='key_fingerprint'"
        ) as cur:
            row = await cur.fetchone()
        if self.cipher is None:
            if row is not None:
                raise EncryptionMismatch(
                    f"{self.path} is encrypted: a DATA_KEY is needed to open it"
                )
            return
        async with self.transaction() as db:
            if row is None:
                await db.execute(
                    "INSERT INTO meta (key, value) VALUES ('key_fingerprint', ?)",
                    (self.cipher.fingerprint,),
                )
            else:
                self.cipher.check(row[0])
            async with db.execute("SELECT value FROM meta WHERE key='encrypted_columns'") as cur:
                done = await cur.fetchone()
            done = json.loads(done[0]) if done else {}
            # Columns not encrypted yet (all of them on the first start with a key, or one a
            # later version added) get their existing plaintext values encrypted, once.
            for table, columns in ENCRYPTED.items():
                todo = [c for c in columns if c not in done.get(table, [])]
                if todo:
                    await self._encrypt_existing(db, table, todo)
            await db.execute(
                "INSERT INTO meta (key, value) VALUES ('encrypted_columns', ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (json.dumps({t: list(c) for t, c in ENCRYPTED.items()}),),
            )

    async def _encrypt_existing(self, db: aiosqlite.Connection, table: str, columns: list[str]):
        key = "user_id" if table in ("users", "dialog_state", "safety_plans") else "id"
        async with db.execute(f"SELECT {key}, user_id, {', '.join(columns)} FROM {table}") as cur:
            rows = await cur.fetchall()
        for row in rows:
            values = [
                row[c] if row[c] is None or is_encrypted(row[c])
                else self._enc(row[c], table, c, row["user_id"])
                for c in columns
            ]  # fmt: skip
            sets = ", ".join(f"{c}=?" for c in columns)
            await db.execute(f"UPDATE {table} SET {sets} WHERE {key}=?", (*values, row[0]))

    def _enc(self, value: str | None, table: str, column: str, user_id: int) -> str | None:
        # Always encrypted, even text that happens to start like a stored token ("enc1:...").
        if self.cipher is None or value is None:
            return value
        return self.cipher.encrypt(value, aad_for(table, column, user_id))

    def _dec(self, value: str | None, table: str, column: str, user_id: int) -> str | None:
        # An empty column default ('' for a name never given) holds nothing to decrypt.
        if self.cipher is None or not value:
            return value
        return self.cipher.decrypt(value, aad_for(table, column, user_id))

    def _create_private(self) -> None:
        """A folder and database file the bot creates are the bot's alone (0700 and 0600);
        SQLite gives the -wal and -shm files the database file's permissions. Existing ones
        are left as the operator set them."""
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        if not self.path.exists():
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))

    def _preflight(self) -> None:
        """Open and read the file once without aiosqlite: a file that is no database, or no
        file at all, fails here with sqlite3's own message. (A failed aiosqlite connect leaves
        its thread to report the error to an event loop that may be gone by then.)"""
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # NORMAL in WAL mode survives a killed process; only an OS crash can lose the
            # last turn.
            await conn.execute("PRAGMA synchronous=NORMAL")
            # Deleted rows are overwritten with zeros, so /delete leaves no bytes behind.
            await conn.execute("PRAGMA secure_delete=ON")
        except BaseException:
            # The connection's thread would otherwise keep the process alive after the error.
            await conn.close()
            raise
        return conn

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
        self._writer = None

    async def __aenter__(self) -> Storage:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        async with self._read().execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def _migrate(self) -> None:
        conn = self._writer
        assert conn is not None
        async with conn.execute("PRAGMA user_version") as cur:
            version = int((await cur.fetchone())[0])
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"database {self.path} has schema {version}, this code knows up to {SCHEMA_VERSION}"
            )
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # executescript commits first, so each migration is wrapped in its own transaction.
            await conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version={target};\nCOMMIT;")

    def _read(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("storage is not open")
        return self._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The single writer: one transaction at a time, rolled back on any error.

        Safe to cancel (a caller that stops waiting, a shutdown): a statement handed to the
        connection's thread runs to its end whatever happens to the caller, so BEGIN, COMMIT and
        ROLLBACK are awaited to their end before the lock is let go; otherwise the next
        transaction would find this one still open."""
        if self._writer is None:
            raise RuntimeError("storage is not open")
        async with self._write_lock:
            await self._finish("BEGIN IMMEDIATE", undo_if_cancelled=True)
            try:
                yield self._writer
            except BaseException:
                await self._finish("ROLLBACK")
                raise
            await self._finish("COMMIT")

    async def _finish(self, sql: str, undo_if_cancelled: bool = False) -> None:
        statement = asyncio.ensure_future(self._writer.execute(sql))
        try:
            await asyncio.shield(statement)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await statement
                if undo_if_cancelled:
                    await self._writer.execute("ROLLBACK")
            raise

    # -- the dialogs' Store protocol ---------------------------------------------------------
    async def load_profile(self, user_id: int) -> UserProfile | None:
        async with self._read().execute("SELECT * FROM users WHERE user_id = ?", (user_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        name = row["first_name"]
        return UserProfile(
            user_id=row["user_id"],
            first_name=self._dec(name, "users", "first_name", user_id) if name else "",
            language=row["language"],
            country=row["country"],
            timezone=row["timezone"],
            consented_at=_dt(row["consented_at"]),
            share_alerts=bool(row["share_alerts"]),
            share_text=bool(row["share_text"]),
            created_at=_dt(row["created_at"]),
            nudges_paused_until=_dt(row["nudges_paused_until"]),
            last_alert_at=_dt(row["last_alert_at"]),
            active=bool(row["active"]),
            quiet_start=row["quiet_start"],
            quiet_end=row["quiet_end"],
            discreet=bool(row["discreet"]),
        )

    async def load_dialog(self, user_id: int) -> DialogState:
        async with self._read().execute(
            "SELECT * FROM dialog_state WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return DialogState()
        return DialogState(
            flow=row["flow"],
            state=row["state"],
            slots=json.loads(self._dec(row["slots"], "dialog_state", "slots", user_id)),
            step=row["step"],
            updated_at=_dt(row["updated_at"]),
            suspended=json.loads(self._dec(row["suspended"], "dialog_state", "suspended", user_id))
            if row["suspended"]
            else None,
            last_seq=row["last_seq"],
        )

    async def commit_turn(
        self, user_id: int, dialog: DialogState, writes: TurnWrites, at: datetime | None = None
    ) -> None:
        now = _iso(at or dialog.updated_at or datetime.now(UTC))
        if writes.delete_user:
            async with self.transaction() as db:
                await self._delete_rows(db, user_id)
                await self._write_outbox(db, writes.outbox, now)
            await self.checkpoint()
            self._announce(writes.outbox)
            return
        async with self.transaction() as db:
            profile = writes.profile
            if profile is not None:
                await db.execute(
                    """INSERT INTO users (user_id, first_name, language, country, timezone,
                           consented_at, share_alerts, created_at, updated_at, share_text,
                           nudges_paused_until, last_alert_at, active, quiet_start, quiet_end,
                           discreet)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(user_id) DO UPDATE SET first_name=excluded.first_name,
                           language=excluded.language, country=excluded.country,
                           timezone=excluded.timezone, consented_at=excluded.consented_at,
                           share_alerts=excluded.share_alerts, updated_at=excluded.updated_at,
                           share_text=excluded.share_text,
                           nudges_paused_until=excluded.nudges_paused_until,
                           last_alert_at=excluded.last_alert_at, active=excluded.active,
                           quiet_start=excluded.quiet_start, quiet_end=excluded.quiet_end,
                           discreet=excluded.discreet""",
                    (
                        user_id,
                        self._enc(profile.first_name, "users", "first_name", user_id),
                        profile.language,
                        profile.country,
                        profile.timezone,
                        _iso(profile.consented_at),
                        int(profile.share_alerts),
                        _iso(profile.created_at) or now,
                        now,
                        int(profile.share_text),
                        _iso(profile.nudges_paused_until),
                        _iso(profile.last_alert_at),
                        int(profile.active),
                        profile.quiet_start,
                        profile.quiet_end,
                        int(profile.discreet),
                    ),
                )
            else:
                await db.execute(
                    "INSERT OR IGNORE INTO users (user_id, created_at, updated_at) VALUES (?, ?, ?)",
                    (user_id, now, now),
                )
            await db.execute(
                """INSERT INTO dialog_state (user_id, flow, state, slots, step, suspended,
                       last_seq, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(user_id) DO UPDATE SET flow=excluded.flow, state=excluded.state,
                       slots=excluded.slots, step=excluded.step, suspended=excluded.suspended,
                       last_seq=excluded.last_seq, updated_at=excluded.updated_at""",
                (
                    user_id,
                    dialog.flow,
                    dialog.state,
                    self._enc(json.dumps(dialog.slots), "dialog_state", "slots", user_id),
                    dialog.step,
                    self._enc(json.dumps(dialog.suspended), "dialog_state", "suspended", user_id)
                    if dialog.suspended
                    else None,
                    dialog.last_seq,
                    _iso(dialog.updated_at) or now,
                ),
            )
            for record in writes.thought_records:
                cur = await db.execute(
                    """INSERT INTO thought_records (user_id, created_at, situation, thought,
                           emotion, intensity_before, belief_before, intensity_after, belief_after,
                           balanced_thought, findings, answers)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        user_id,
                        _iso(record.created_at),
                        self._enc(record.situation, "thought_records", "situation", user_id),
                        self._enc(record.thought, "thought_records", "thought", user_id),
                        self._enc(record.emotion, "thought_records", "emotion", user_id),
                        record.intensity_before,
                        record.belief_before,
                        record.intensity_after,
                        record.belief_after,
                        self._enc(
                            record.balanced_thought, "thought_records", "balanced_thought", user_id
                        ),
                        self._enc(
                            json.dumps(record.findings), "thought_records", "findings", user_id
                        ),
                        self._enc(
                            json.dumps(record.answers), "thought_records", "answers", user_id
                        ),
                    ),
                )
                record.id = cur.lastrowid
            if writes.safety_plan is not None:
                plan = writes.safety_plan
                await db.execute(
                    """INSERT INTO safety_plans (user_id, steps, updated_at) VALUES (?, ?, ?)
                       ON CONFLICT(user_id) DO UPDATE SET steps=excluded.steps,
                           updated_at=excluded.updated_at""",
                    (
                        user_id,
                        self._enc(json.dumps(plan.steps), "safety_plans", "steps", user_id),
                        _iso(plan.updated_at) or now,
                    ),
                )
            for kind in writes.cancel_reminders:
                await db.execute(
                    "UPDATE reminders SET state='cancelled' WHERE user_id=? AND kind=? "
                    "AND state='pending'",
                    (user_id, kind),
                )
            for task in writes.tasks:
                await self._save_task(db, task, now)
            for task_id in writes.cancel_task_reminders:
                await db.execute(
                    "UPDATE reminders SET state='cancelled' WHERE user_id=? AND task_id=? "
                    "AND state='pending'",
                    (user_id, task_id),
                )
            for reminder in writes.reminders:
                if reminder.task is not None:
                    reminder.task_id = reminder.task.id
                cur = await db.execute(
                    "INSERT INTO reminders (user_id, kind, due_at, state, payload, created_at,"
                    " task_id) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
                    (
                        user_id,
                        reminder.kind,
                        _iso(reminder.due_at),
                        json.dumps(reminder.payload),
                        now,
                        reminder.task_id,
                    ),
                )
                reminder.id = cur.lastrowid
            for level, rules in writes.risk_events:
                await db.execute(
                    "INSERT INTO risk_events (user_id, created_at, level, rules) VALUES (?, ?, ?, ?)",
                    (user_id, now, level, ",".join(rules)),
                )
            if writes.inbox_id is not None:
                await db.execute(
                    "UPDATE inbox SET state='done', payload='' WHERE id=?", (writes.inbox_id,)
                )
            if writes.sent_reminder is not None:
                await db.execute(
                    "UPDATE reminders SET state='sent', sent_at=? WHERE id=?",
                    (now, writes.sent_reminder),
                )
            await self._write_outbox(db, writes.outbox, now)

        self._announce(writes.outbox)
        if writes.reminders:
            for listener in self.reminder_listeners:
                listener()

    async def _write_outbox(self, db: aiosqlite.Connection, items: list[OutboxItem], now: str):
        for item in items:
            payload = json.dumps(item.reply.to_data())
            cur = await db.execute(
                "INSERT INTO outbox (user_id, chat_id, seq, urgent, payload, forget, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (item.user_id, item.chat_id, item.seq, int(item.urgent),
                 self._enc(payload, "outbox", "payload", item.user_id), int(item.forget),
                 _iso(item.created_at) or now),
            )  # fmt: skip
            item.id = cur.lastrowid

    def _announce(self, items: list[OutboxItem]) -> None:
        if items:
            for listener in self.outbox_listeners:
                listener(items)

    _TASK_COLUMNS = (
        "user_id", "title", "first_step", "kind", "activity_id", "due_at", "repeat", "local_time",
        "expected_enjoyment", "expected_achievement", "actual_enjoyment", "actual_achievement",
        "note", "status", "thought_record_id", "created_at", "done_at",
    )  # fmt: skip

    async def _save_task(self, db: aiosqlite.Connection, task: Task, now: str) -> None:
        values = {name: getattr(task, name) for name in self._TASK_COLUMNS}
        for name in ENCRYPTED["tasks"]:
            values[name] = self._enc(values[name], "tasks", name, task.user_id)
        for name in ("due_at", "created_at", "done_at"):
            values[name] = _iso(values[name])
        values["created_at"] = values["created_at"] or now
        if task.thought_record_at is not None and task.thought_record_id is None:
            async with db.execute(
                "SELECT id FROM thought_records WHERE user_id=? AND created_at=?",
                (task.user_id, _iso(task.thought_record_at)),
            ) as cur:
                row = await cur.fetchone()
            task.thought_record_id = values["thought_record_id"] = row[0] if row else None
        if task.id is None:
            names = ", ".join(values)
            marks = ", ".join("?" * len(values))
            cur = await db.execute(
                f"INSERT INTO tasks ({names}) VALUES ({marks})", tuple(values.values())
            )
            task.id = cur.lastrowid
        else:
            sets = ", ".join(f"{name}=?" for name in values if name != "user_id")
            params = [v for k, v in values.items() if k != "user_id"]
            await db.execute(
                f"UPDATE tasks SET {sets} WHERE id=? AND user_id=?",
                (*params, task.id, task.user_id),
            )

    def _task(self, row: aiosqlite.Row) -> Task:
        task = Task(**{name: row[name] for name in Storage._TASK_COLUMNS}, id=row["id"])
        for name in ENCRYPTED["tasks"]:
            setattr(task, name, self._dec(getattr(task, name), "tasks", name, task.user_id))
        task.due_at = _dt(row["due_at"])
        task.created_at = _dt(row["created_at"])
        task.done_at = _dt(row["done_at"])
        return task

    async def task(self, user_id: int, task_id: int) -> Task | None:
        async with self._read().execute(
            "SELECT * FROM tasks WHERE user_id = ? AND id = ?", (user_id, task_id)
        ) as cur:
            row = await cur.fetchone()
        return self._task(row) if row else None

    async def upcoming_tasks(self, user_id: int, limit: int = 10) -> list[Task]:
        async with self._read().execute(
            "SELECT * FROM tasks WHERE user_id = ? AND status IN ('planned', 'nudged') "
            "ORDER BY due_at LIMIT ?",
            (user_id, limit),
        ) as cur:
            return [self._task(r) for r in await cur.fetchall()]

    async def tasks(self, user_id: int) -> list[Task]:
        async with self._read().execute(
            "SELECT * FROM tasks WHERE user_id = ? ORDER BY due_at", (user_id,)
        ) as cur:
            return [self._task(r) for r in await cur.fetchall()]

    async def delete_user(self, user_id: int) -> None:
        """Erase every row of this person, in every table, in one transaction; then copy the
        write-ahead log into the database and empty it, so that (with secure_delete) no byte
        of theirs is left in either file."""
        async with self.transaction() as db:
            await self._delete_rows(db, user_id)
        await self.checkpoint()

    @staticmethod
    async def _delete_rows(db: aiosqlite.Connection, user_id: int) -> None:
        for table in (*reversed(USER_TABLES), *TRANSIT_TABLES):
            await db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))

    async def checkpoint(self) -> None:
        async with self._write_lock:
            for _ in range(5):
                async with self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                    busy = (await cur.fetchone())[0]
                if not busy:
                    return
                await asyncio.sleep(0.05)

    async def export_user(self, user_id: int) -> dict[str, list[dict]]:
        """Every row of this person in every table, decrypted, JSON columns parsed."""
        out: dict[str, list[dict]] = {}
        for table in USER_TABLES:
            async with self._read().execute(
                f"SELECT * FROM {table} WHERE user_id = ?", (user_id,)
            ) as cur:
                rows = [dict(r) for r in await cur.fetchall()]
            for row in rows:
                for column in ENCRYPTED.get(table, ()):
                    row[column] = self._dec(row[column], table, column, user_id)
                for column in _JSON_COLUMNS.get(table, ()):
                    if row.get(column):
                        row[column] = json.loads(row[column])
            out[table] = rows
        return out

    async def records_since(self, user_id: int, since: datetime) -> list[ThoughtRecord]:
        async with self._read().execute(
            "SELECT * FROM thought_records WHERE user_id = ? AND created_at >= ? "
            "ORDER BY created_at",
            (user_id, _iso(since)),
        ) as cur:
            return [self._record(r) for r in await cur.fetchall()]

    async def tasks_since(self, user_id: int, since: datetime) -> list[Task]:
        async with self._read().execute(
            "SELECT * FROM tasks WHERE user_id = ? AND due_at >= ? ORDER BY due_at",
            (user_id, _iso(since)),
        ) as cur:
            return [self._task(r) for r in await cur.fetchall()]

    async def stats(self, now: datetime, weeks: int = 8) -> dict:
        """Counts for the operator: never any text."""

        async def one(sql: str, *params: object) -> int:
            async with self._read().execute(sql, params) as cur:
                return (await cur.fetchone())[0]

        result = {
            "users": await one("SELECT count(*) FROM users"),
            "consented_users": await one(
                "SELECT count(*) FROM users WHERE consented_at IS NOT NULL"
            ),
            "thought_records": await one("SELECT count(*) FROM thought_records"),
            "tasks_planned": await one("SELECT count(*) FROM tasks"),
            "tasks_done": await one("SELECT count(*) FROM tasks WHERE status = 'done'"),
            "crisis_events_per_week": [],
        }
        for week in range(weeks, 0, -1):
            start, end = now - timedelta(weeks=week), now - timedelta(weeks=week - 1)
            result["crisis_events_per_week"].append(await one(
                "SELECT count(*) FROM risk_events WHERE level = 'crisis' AND created_at > ? "
                "AND created_at <= ?", _iso(start), _iso(end)))  # fmt: skip
        return result

    async def load_safety_plan(self, user_id: int) -> SafetyPlan | None:
        async with self._read().execute(
            "SELECT * FROM safety_plans WHERE user_id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        steps = self._dec(row["steps"], "safety_plans", "steps", user_id)
        return SafetyPlan(user_id, json.loads(steps), _dt(row["updated_at"]))

    # -- reminders: the database is the source of truth ---------------------------------------
    @staticmethod
    def _reminder(row: aiosqlite.Row) -> Reminder:
        return Reminder(
            id=row["id"],
            user_id=row["user_id"],
            kind=row["kind"],
            due_at=_dt(row["due_at"]),
            payload=json.loads(row["payload"]),
            state=row["state"],
            attempts=row["attempts"],
            task_id=row["task_id"],
        )

    async def reminders(
        self, user_id: int, states: tuple[str, ...] = ("pending",)
    ) -> list[Reminder]:
        marks = ",".join("?" * len(states))
        async with self._read().execute(
            f"SELECT * FROM reminders WHERE user_id = ? AND state IN ({marks}) ORDER BY due_at",
            (user_id, *states),
        ) as cur:
            return [self._reminder(r) for r in await cur.fetchall()]

    async def next_due_at(self) -> datetime | None:
        async with self._read().execute(
            "SELECT MIN(due_at) FROM reminders WHERE state = 'pending'"
        ) as cur:
            row = await cur.fetchone()
        return _dt(row[0]) if row and row[0] else None

    async def due_ids(self, now: datetime, limit: int = 100) -> list[int]:
        async with self._read().execute(
            "SELECT id FROM reminders WHERE state = 'pending' AND due_at <= ? "
            "ORDER BY due_at LIMIT ?",
            (_iso(now), limit),
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    async def claim(self, reminder_id: int, now: datetime) -> Reminder | None:
        """Mark one due reminder as being sent, right before it is sent: a crash after this
        point can never make it go out twice, and only the reminders in flight at the moment
        of a crash are in doubt. None if another worker claimed it first."""
        async with self.transaction() as db:
            cur = await db.execute(
                "UPDATE reminders SET state='sending', claimed_at=?, attempts=attempts+1 "
                "WHERE id=? AND state='pending'",
                (_iso(now), reminder_id),
            )
            if cur.rowcount != 1:
                return None
            async with db.execute("SELECT * FROM reminders WHERE id=?", (reminder_id,)) as cur:
                row = await cur.fetchone()
        return self._reminder(row)

    async def finish_reminder(
        self, reminder_id: int, state: str, now: datetime, message_id: int | None = None
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE reminders SET state=?, sent_at=?, message_id=COALESCE(?, message_id) "
                "WHERE id=?",
                (state, _iso(now) if state == "sent" else None, message_id, reminder_id),
            )

    async def release_reminder(self, reminder_id: int, due_at: datetime) -> None:
        """Put a claimed reminder back to wait (quiet hours, a pause, a retry)."""
        async with self.transaction() as db:
            await db.execute(
                "UPDATE reminders SET state='pending', due_at=? WHERE id=?",
                (_iso(due_at), reminder_id),
            )

    async def reconcile_claimed(self, release: bool = False) -> list[Reminder]:
        """After a crash: a reminder that was being sent may or may not have reached Telegram.
        Sending it again could duplicate it, so it is marked `unknown` (never resent). With
        `release` (its message goes through the outbox, written with the reminder marked
        sent), a reminder still claimed never got that far and is simply due again."""
        async with self.transaction() as db:
            async with db.execute("SELECT * FROM reminders WHERE state='sending'") as cur:
                rows = await cur.fetchall()
            await db.execute(
                "UPDATE reminders SET state=? WHERE state='sending'",
                ("pending" if release else "unknown",),
            )
        return [self._reminder(r) for r in rows]

    async def record_risk(
        self, user_id: int, level: str, rules: tuple[str, ...], at: datetime
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO users (user_id, created_at, updated_at) VALUES (?, ?, ?)",
                (user_id, _iso(at), _iso(at)),
            )
            await db.execute(
                "INSERT INTO risk_events (user_id, created_at, level, rules) VALUES (?, ?, ?, ?)",
                (user_id, _iso(at), level, ",".join(rules)),
            )

    # -- the inbox and the outbox (DeliveryStore) --------------------------------------------
    async def store_inbox(self, entries: list[InboxEntry]) -> None:
        async with self.transaction() as db:
            for entry in entries:
                payload = self._enc(json.dumps(entry.payload), "inbox", "payload", entry.user_id)
                cur = await db.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, user_id, payload, received_at) "
                    "VALUES (?, ?, ?, ?)",
                    (entry.update_id, entry.user_id, payload, _iso(entry.received_at)),
                )
                entry.id = cur.lastrowid if cur.rowcount == 1 else None

    async def open_inbox(self) -> list[InboxEntry]:
        async with self._read().execute("SELECT * FROM inbox WHERE state='new' ORDER BY id") as cur:
            rows = await cur.fetchall()
        return [
            InboxEntry(
                update_id=row["update_id"],
                user_id=row["user_id"],
                payload=json.loads(self._dec(row["payload"], "inbox", "payload", row["user_id"])),
                received_at=_dt(row["received_at"]),
                id=row["id"],
            )
            for row in rows
        ]

    async def close_inbox(self, inbox_id: int, state: str = "failed") -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE inbox SET state=?, payload='' WHERE id=?", (state, inbox_id))

    async def open_outbox(self) -> list[OutboxItem]:
        async with self.transaction() as db:
            # On the wire when the process stopped: crisis help, and the last thing said in a
            # chat, get one labelled resend; anything else is not sent again.
            await db.execute(
                "UPDATE outbox SET state='pending', resend=1 WHERE state='sending' AND resend=0 "
                "AND (urgent=1 OR NOT EXISTS (SELECT 1 FROM outbox AS later "
                "WHERE later.chat_id=outbox.chat_id AND later.id>outbox.id))"
            )
            async with db.execute("SELECT * FROM outbox WHERE state='sending'") as cur:
                unknown = await cur.fetchall()
            await db.execute("UPDATE outbox SET state='unknown', payload='' WHERE state='sending'")
            async with db.execute("SELECT * FROM outbox WHERE state='pending' ORDER BY id") as cur:
                pending = await cur.fetchall()
        items = [self._outbox_item(row) for row in pending]
        for row in unknown:
            item = self._outbox_item(row)
            item.state = "unknown"
            items.append(item)
        return items

    def _outbox_item(self, row: aiosqlite.Row) -> OutboxItem:
        payload = json.loads(self._dec(row["payload"], "outbox", "payload", row["user_id"]))
        return OutboxItem(
            chat_id=row["chat_id"],
            user_id=row["user_id"],
            reply=Reply.from_data(payload),
            urgent=bool(row["urgent"]),
            seq=row["seq"],
            forget=bool(row["forget"]),
            created_at=_dt(row["created_at"]),
            state=row["state"],
            attempts=row["attempts"],
            resend=bool(row["resend"]),
            id=row["id"],
        )

    async def mark_outbox(
        self,
        item_id: int,
        state: str,
        message_id: int | None = None,
        attempts: int | None = None,
        resend: bool | None = None,
    ) -> bool:
        async with self.transaction() as db:
            if state == "sending":
                cur = await db.execute(
                    "UPDATE outbox SET state='sending', attempts=COALESCE(?, attempts) "
                    "WHERE id=? AND state IN ('pending', 'sending')",
                    (attempts, item_id),
                )
            elif state == "sent":
                cur = await db.execute("DELETE FROM outbox WHERE id=? AND forget=1", (item_id,))
                if cur.rowcount == 0:
                    cur = await db.execute(
                        "UPDATE outbox SET state='sent', message_id=?, sent_at=?, payload='' "
                        "WHERE id=?",
                        (message_id, _iso(datetime.now(UTC)), item_id),
                    )
            else:
                settled = state != "pending"
                cur = await db.execute(
                    "UPDATE outbox SET state=?, attempts=COALESCE(?, attempts), "
                    "resend=COALESCE(?, resend), "
                    "payload=CASE WHEN ? THEN '' ELSE payload END WHERE id=?",
                    (state, attempts, None if resend is None else int(resend), settled, item_id),
                )
            return cur.rowcount > 0

    async def purge_delivered(self, before: datetime) -> int:
        async with self.transaction() as db:
            inbox = await db.execute(
                "DELETE FROM inbox WHERE state != 'new' AND received_at < ?", (_iso(before),)
            )
            outbox = await db.execute(
                "DELETE FROM outbox WHERE state NOT IN ('pending', 'sending') AND created_at < ?",
                (_iso(before),),
            )
            return inbox.rowcount + outbox.rowcount

    async def set_active(self, user_id: int, active: bool) -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE users SET active=? WHERE user_id=?", (int(active), user_id))

    async def thought_record(self, user_id: int, record_id: int) -> ThoughtRecord | None:
        """One record, only if it is this user's."""
        async with self._read().execute(
            "SELECT * FROM thought_records WHERE user_id = ? AND id = ?", (user_id, record_id)
        ) as cur:
            row = await cur.fetchone()
        return self._record(row) if row else None

    async def thought_records(self, user_id: int, limit: int = 10) -> list[ThoughtRecord]:
        async with self._read().execute(
            "SELECT * FROM thought_records WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (user_id, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [self._record(r) for r in rows]

    def _record(self, r: aiosqlite.Row) -> ThoughtRecord:
        uid = r["user_id"]

        def dec(column: str) -> str | None:
            return self._dec(r[column], "thought_records", column, uid)

        return ThoughtRecord(
            id=r["id"],
            user_id=uid,
            created_at=_dt(r["created_at"]),
            situation=dec("situation"),
            thought=dec("thought"),
            emotion=dec("emotion"),
            intensity_before=r["intensity_before"],
            belief_before=r["belief_before"],
            intensity_after=r["intensity_after"],
            belief_after=r["belief_after"],
            balanced_thought=dec("balanced_thought"),
            findings=json.loads(dec("findings")),
            answers=json.loads(dec("answers")),
        )
