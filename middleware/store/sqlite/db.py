"""SQLite through aiosqlite: open, configure, migrate, and run transactions.

One `Database` per process wraps one connection. A lock serialises its use, so one
coroutine's `BEGIN IMMEDIATE ... COMMIT` is never interleaved with another's statements;
separate processes (web, worker) coordinate through SQLite's own locking and `busy_timeout`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

BUSY_TIMEOUT_MS = 10_000
WAL_RETRY_S = 0.05
# After a checkpoint the WAL file is cut back to this size: a go-live full sync leaves a WAL of
# about 15 MB that would otherwise keep its size on disk for good (scripts/soak.py).
WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024
SCHEMA_VERSION = 11

Row = aiosqlite.Row


def _schema_sql() -> str:
    return resources.files("middleware.store.sqlite").joinpath("schema.sql").read_text("utf-8")


async def _use_wal(conn: aiosqlite.Connection) -> None:
    """`journal_mode = WAL` needs the database to itself for a moment and does not wait on
    `busy_timeout`: with the web and the worker starting together on a new database, one of
    them got "database is locked" and exited (found by chaos seed 5). Try again, up to the
    busy timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or loop.time() > deadline:
                raise
            await asyncio.sleep(WAL_RETRY_S)


# Version N's entry upgrades a database at version N-1. Version 1 is the whole schema.
# Version 4 rebuilds `revisions` (SQLite cannot alter a CHECK) for the two states a person
# closes parked work with — `handled` (dealt with by hand, who/why in `revision_handling`) and
# `unknown` (Channex answered 404 for the id) — and touches no other table.
MIGRATIONS: dict[int, str] = {
    1: "",
    2: """
CREATE TABLE IF NOT EXISTS parity_requests (
    property_id TEXT NOT NULL, kind TEXT NOT NULL, date_from TEXT NOT NULL,
    date_to TEXT NOT NULL, requested_at TEXT NOT NULL, PRIMARY KEY (property_id, kind));
CREATE TABLE IF NOT EXISTS parity_drift (
    property_id TEXT NOT NULL, kind TEXT NOT NULL, entity_id TEXT NOT NULL, day TEXT NOT NULL,
    field TEXT NOT NULL, found_at TEXT NOT NULL, heals INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (property_id, kind, entity_id, day, field)) WITHOUT ROWID;
""",
    # Go-live recorded. A database from before it belongs to an install that was already
    # pushing: each property with a push keeps pushing (live since its first push); what a
    # property never pushed waits for its go-live full sync, which sends the whole horizon.
    3: """
CREATE TABLE IF NOT EXISTS live_properties (
    property_id TEXT PRIMARY KEY, live_since TEXT NOT NULL, put_live_by TEXT NOT NULL);
INSERT OR IGNORE INTO live_properties (property_id, live_since, put_live_by)
    SELECT property_id, MIN(claimed_at), 'pushing before go-live was recorded (upgrade)'
    FROM pushes GROUP BY property_id;
DELETE FROM outbox WHERE push_id IS NULL
    AND property_id NOT IN (SELECT property_id FROM live_properties);
""",
    4: """
CREATE TABLE revisions_v4 (
    revision_id TEXT PRIMARY KEY, booking_id TEXT, property_id TEXT, source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('pending', 'applied', 'acked', 'stale', 'parked', 'handled', 'unknown')),
    revision_status TEXT, inserted_at TEXT, received_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL, claimed_until TEXT,
    reason TEXT, updated_at TEXT NOT NULL);
INSERT INTO revisions_v4 (revision_id, booking_id, property_id, source, status,
    revision_status, inserted_at, received_at, attempts, next_attempt_at, claimed_until, reason,
    updated_at)
SELECT revision_id, booking_id, property_id, source, status, revision_status, inserted_at,
    received_at, attempts, next_attempt_at, claimed_until, reason, updated_at FROM revisions;
DROP TABLE revisions;
ALTER TABLE revisions_v4 RENAME TO revisions;
CREATE INDEX IF NOT EXISTS revisions_due ON revisions (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS revision_handling (
    revision_id TEXT PRIMARY KEY, handled_by TEXT NOT NULL, reason TEXT NOT NULL,
    handled_at TEXT NOT NULL, prior_status TEXT NOT NULL, prior_reason TEXT,
    channex_ack TEXT NOT NULL DEFAULT 'pending'
        CHECK (channex_ack IN ('pending', 'acked', 'failed', 'not_needed', 'not_sent')),
    ack_detail TEXT, ack_at TEXT);
""",
    # Sync requests per property (NULL: every property) and the indexes pruning by age uses.
    5: """
ALTER TABLE sync_requests ADD COLUMN property_id TEXT;
CREATE INDEX IF NOT EXISTS sync_requests_property ON sync_requests (property_id, status);
CREATE INDEX IF NOT EXISTS http_calls_at ON http_calls (at);
CREATE INDEX IF NOT EXISTS webhook_events_received ON webhook_events (received_at);
CREATE INDEX IF NOT EXISTS pushes_finished ON pushes (finished_at);
CREATE INDEX IF NOT EXISTS notices_resolved_at ON notices (resolved_at);
""",
    # What a person reads about each fetched booking revision (the console).
    6: """
CREATE TABLE IF NOT EXISTS revision_facts (
    revision_id TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, facts TEXT NOT NULL);
""",
    # Work a person asked the worker for now (`store.wakeups`): the web records, the worker runs.
    7: """
CREATE TABLE IF NOT EXISTS wakeups (
    wakeup_id INTEGER PRIMARY KEY AUTOINCREMENT,
    work TEXT NOT NULL CHECK (work IN ('process_bookings', 'poll_feed', 'parity_check')),
    asked_by TEXT NOT NULL, asked_at TEXT NOT NULL, taken_until TEXT, done_at TEXT, result TEXT);
CREATE INDEX IF NOT EXISTS wakeups_open ON wakeups (work, done_at);
""",
    # Retention of finished bookings (`store.retention`): what is kept of a forgotten booking,
    # and the index that finds a booking's revisions.
    9: """
CREATE TABLE IF NOT EXISTS forgotten_bookings (
    channex_booking_id TEXT PRIMARY KEY, property_id TEXT, ota_code TEXT, departure TEXT,
    forgotten_at TEXT NOT NULL, last_revision_id TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revisions_booking ON revisions (booking_id);
""",
    # The web makes no Channex call for the console and the handled-ack: more kinds of
    # wake-up, some about one thing (`subject`: a revision, a calendar month), so `wakeups` is
    # rebuilt (a CHECK cannot be altered). The unserved categorias are kept per property now
    # (`store.pms_rooms`): the record without properties and its notices go; each hotel's next
    # PMS read finds its own again.
    10: """
CREATE TABLE wakeups_v10 (
    wakeup_id INTEGER PRIMARY KEY AUTOINCREMENT,
    work TEXT NOT NULL CHECK (work IN ('process_bookings', 'poll_feed', 'parity_check',
        'ack_handled', 'read_back', 'read_catalog')),
    subject TEXT,
    asked_by TEXT NOT NULL, asked_at TEXT NOT NULL, taken_until TEXT, done_at TEXT, result TEXT);
INSERT INTO wakeups_v10 (wakeup_id, work, asked_by, asked_at, taken_until, done_at, result)
SELECT wakeup_id, work, asked_by, asked_at, taken_until, done_at, result FROM wakeups;
DROP TABLE wakeups;
ALTER TABLE wakeups_v10 RENAME TO wakeups;
CREATE INDEX IF NOT EXISTS wakeups_open ON wakeups (work, done_at);
CREATE INDEX IF NOT EXISTS wakeups_subject ON wakeups (work, subject, wakeup_id);
DELETE FROM kv WHERE key = 'pms_unserved_categorias';
UPDATE notices SET resolved_at = strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')
    WHERE kind = 'pms_categoria_not_served' AND resolved_at IS NULL;
""",
    # The pump's per-tick reads (`outbox.due_lanes`, `outbox.claim`): "a push of this lane in
    # flight" was a walk over the lane's whole push history (months of it, pruned at 30 days),
    # and the due scan read every outbox row, claimed and dead ones too. Both partial indexes
    # hold only the rows those reads want: a handful of claims, the unclaimed pending rows.
    # (The perf branch had this as version 8; a version 10 database would have skipped it.)
    11: """
CREATE INDEX IF NOT EXISTS pushes_claimed ON pushes (property_id, kind) WHERE status = 'claimed';
CREATE INDEX IF NOT EXISTS outbox_unclaimed ON outbox (property_id, kind, updated_at, enqueued_at)
    WHERE status = 'pending' AND push_id IS NULL;
""",
}


def _has_code(text: str) -> bool:
    lines = (line for line in text.splitlines() if not line.strip().startswith("--"))
    return bool("\n".join(lines).strip(" \n\t;"))


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one by one (a trigger's body included whole):
    `executescript` would commit the transaction the migration must run inside."""
    pending = ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if _has_code(pending):
                yield pending
            pending = ""
    if _has_code(pending):
        raise ValueError(f"incomplete statement at the end of a migration: {pending!r}")


def _read_only_uri(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(str(path))
    wal_in_use = Path(f"{path}-wal").is_file()
    return f"{path.resolve().as_uri()}?mode=ro" + ("" if wal_in_use else "&immutable=1")


class Database:
    """One SQLite connection with a lock; use `transaction()` for writes."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await _use_wal(conn)
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
        db = cls(conn, path)
        await db._migrate()
        return db

    @classmethod
    async def open_read_only(cls, path: Path | str) -> Database:
        """Open an existing database for reading only: nothing is created, migrated or
        written (`python -m middleware check`). `FileNotFoundError` if there is no file. With
        no `-wal` file beside it no process has it open, and it is opened `immutable` so that
        SQLite does not leave `-wal` / `-shm` files behind either."""
        path = Path(path)
        conn = await aiosqlite.connect(_read_only_uri(path), uri=True, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return cls(conn, path)

    async def _migrate(self) -> None:
        """Bring the schema to `SCHEMA_VERSION` in one transaction. The version is read again
        under the write lock: the web and the worker start together on the same file, and the
        one that waited for the lock must not re-run what the other has just applied."""
        async with self._lock:
            if await self._user_version() >= SCHEMA_VERSION:
                return
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                version = await self._user_version()
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    body = _schema_sql() if target == 1 else MIGRATIONS.get(target, "")
                    for statement in _statements(body):
                        await self._conn.execute(statement)
                await self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _user_version(self) -> int:
        cursor = await self._conn.execute("PRAGMA user_version")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        await self._conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """`BEGIN IMMEDIATE` ... `COMMIT` (or `ROLLBACK` on any exception, cancellation too)."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
            return await cursor.fetchone()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One statement in its own transaction; returns the affected row count."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)
