"""The SQLite store: WAL, schema version, transactions that roll back."""

import asyncio
import os
import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest

from middleware.store.sqlite.db import (
    MIGRATIONS,
    SCHEMA_VERSION,
    WAL_SIZE_LIMIT_BYTES,
    Database,
)
from middleware.store.sqlite.wakeups import SqliteWakeups
from middleware.store.stamps import from_db_time, to_db_time


async def test_open_applies_schema_once_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = await Database.open(path)
    mode = await db.fetchone("PRAGMA journal_mode")
    version = await db.fetchone("PRAGMA user_version")
    assert mode is not None and mode[0] == "wal"
    assert version is not None and version[0] == SCHEMA_VERSION
    await db.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', '1', 't')")
    await db.close()
    reopened = await Database.open(path)
    row = await reopened.fetchone("SELECT value FROM kv WHERE key = 'a'")
    assert row is not None and row["value"] == "1"
    await reopened.close()


async def test_open_waits_while_another_process_holds_a_new_database(tmp_path: Path) -> None:
    """Web and worker starting together: switching to WAL waits for the other's lock."""
    path = tmp_path / "m.db"
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE first_one (x)")
        opening = asyncio.create_task(Database.open(path))
        await asyncio.sleep(0.3)
        assert not opening.done()
        other.execute("COMMIT")
        db = await opening
    finally:
        other.close()
    try:
        row = await db.fetchone("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
    finally:
        await db.close()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "m.db")
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO kv (key, value, updated_at) VALUES ('b', '2', 't')")
            raise RuntimeError("boom")
    assert await db.fetchall("SELECT * FROM kv") == []
    await db.close()


def test_db_time_round_trip_sorts_as_text() -> None:
    early = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    late = datetime(2026, 11, 21, 12, 0, 0, 5, tzinfo=UTC)
    assert to_db_time(early) == "2026-11-21T12:00:00.000000Z"
    assert to_db_time(early) < to_db_time(late)
    assert from_db_time(to_db_time(late)) == late


async def test_a_version_1_database_gains_the_parity_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = await Database.open(path)
    await db.execute("DROP TABLE parity_requests")
    await db.execute("DROP TABLE parity_drift")
    await undo_version_5(db)
    await db.execute("PRAGMA user_version = 1")
    await db.close()
    reopened = await Database.open(path)
    rows = await reopened.fetchall(
        "SELECT name FROM sqlite_master WHERE name IN ('parity_requests', 'parity_drift')"
    )
    assert sorted(row["name"] for row in rows) == ["parity_drift", "parity_requests"]
    await reopened.close()


async def test_a_version_2_database_keeps_its_revisions_and_gains_the_closing_states(
    tmp_path: Path,
) -> None:
    """Migration 4 rebuilds `revisions` (a CHECK cannot be altered): rows and index survive."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(
        resources.files("middleware.store.sqlite").joinpath("schema.sql").read_text("utf-8")
        + "PRAGMA user_version = 2;"
    )
    old.execute(
        "INSERT INTO revisions (revision_id, booking_id, property_id, source, status,"
        " received_at, attempts, next_attempt_at, reason, updated_at)"
        " VALUES ('r1', 'bk', 'p', 'webhook', 'parked', 't0', 3, 't1', '409', 't2')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        old.execute("UPDATE revisions SET status = 'handled'")
    old.close()
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT * FROM revisions")
        assert [tuple(row) for row in rows] == [
            ("r1", "bk", "p", "webhook", "parked", None, None, "t0", 3, "t1", None, "409", "t2")
        ]
        assert await db.execute("UPDATE revisions SET status = 'handled'") == 1
        assert await db.execute("UPDATE revisions SET status = 'unknown'") == 1
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("UPDATE revisions SET status = 'lost'")
        index = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'revisions'"
            " AND name = 'revisions_due'"
        )
        assert len(index) == 1
        assert await db.fetchall("SELECT * FROM revision_handling") == []
    finally:
        await db.close()


async def undo_version_5(db: Database) -> None:
    """What a database from before version 5 lacks: sync_requests.property_id, its index."""
    await db.execute("DROP INDEX sync_requests_property")
    await db.execute("ALTER TABLE sync_requests DROP COLUMN property_id")


async def test_a_version_2_database_gains_sync_request_properties(tmp_path: Path) -> None:
    """Requests stored before version 5 have no property: they stand for every property."""
    path = tmp_path / "old.db"
    db = await Database.open(path)
    await undo_version_5(db)
    await db.execute(
        "INSERT INTO sync_requests (requested_at, source, next_attempt_at) VALUES (?, ?, ?)",
        ("2026-11-21T12:00:00.000000Z", "poll", "2026-11-21T12:00:00.000000Z"),
    )
    await db.execute("PRAGMA user_version = 2")
    await db.close()
    reopened = await Database.open(path)
    rows = await reopened.fetchall("SELECT source, property_id FROM sync_requests")
    assert [tuple(row) for row in rows] == [("poll", None)]
    version = await reopened.fetchone("PRAGMA user_version")
    assert version is not None and version[0] == SCHEMA_VERSION
    await reopened.close()


async def test_a_version_2_database_gains_the_revision_facts_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = await Database.open(path)
    await db.execute("DROP TABLE revision_facts")
    await undo_version_5(db)
    await db.execute("PRAGMA user_version = 2")
    await db.close()
    reopened = await Database.open(path)
    rows = await reopened.fetchall("SELECT name FROM sqlite_master WHERE name = 'revision_facts'")
    version = await reopened.fetchone("PRAGMA user_version")
    assert ([row["name"] for row in rows], version[0] if version else None) == (
        ["revision_facts"],
        SCHEMA_VERSION,
    )
    await reopened.close()


async def test_the_wal_is_cut_back_after_a_large_write(tmp_path: Path) -> None:
    """A go-live full sync writes megabytes at once; once checkpointed, the next write cuts the
    WAL file back to `WAL_SIZE_LIMIT_BYTES` instead of keeping its largest size for good."""
    path = tmp_path / "m.db"
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, 't')",
                [(f"k{n}", "x" * 4000) for n in range(3000)],
            )
        wal = Path(f"{path}-wal")
        assert await asyncio.to_thread(os.path.getsize, wal) > 2 * WAL_SIZE_LIMIT_BYTES
        await db.fetchone("PRAGMA wal_checkpoint(PASSIVE)")
        await db.execute("INSERT INTO kv (key, value, updated_at) VALUES ('after', '1', 't')")
        assert await asyncio.to_thread(os.path.getsize, wal) <= WAL_SIZE_LIMIT_BYTES
    finally:
        await db.close()


async def test_a_version_7_database_keeps_its_bookings_and_gains_the_tombstones(
    tmp_path: Path,
) -> None:
    """Migration 9 adds `forgotten_bookings` and the index of revisions by booking; the
    booking map and the revisions are kept as they were."""
    path = tmp_path / "old.db"
    db = await Database.open(path)
    await db.execute("DROP TABLE forgotten_bookings")
    await db.execute("DROP INDEX revisions_booking")
    await db.execute(
        "INSERT INTO revisions (revision_id, booking_id, property_id, source, status,"
        " received_at, next_attempt_at, updated_at)"
        " VALUES ('r1', 'bk', 'p', 'webhook', 'acked', 't0', 't1', 't2')"
    )
    await db.execute(
        "INSERT INTO bookings (channex_booking_id, property_id, status, last_revision_id,"
        " updated_at) VALUES ('bk', 'p', 'new', 'r1', 't2')"
    )
    await db.execute("PRAGMA user_version = 7")
    await db.close()
    reopened = await Database.open(path)
    try:
        made = await reopened.fetchall(
            "SELECT type, name FROM sqlite_master"
            " WHERE name IN ('forgotten_bookings', 'revisions_booking') ORDER BY name"
        )
        assert [tuple(row) for row in made] == [
            ("table", "forgotten_bookings"),
            ("index", "revisions_booking"),
        ]
        kept = await reopened.fetchall(
            "SELECT r.revision_id, r.status, b.last_revision_id FROM revisions r"
            " JOIN bookings b ON b.channex_booking_id = r.booking_id"
        )
        assert [tuple(row) for row in kept] == [("r1", "acked", "r1")]
        assert await reopened.fetchall("SELECT * FROM forgotten_bookings") == []
        version = await reopened.fetchone("PRAGMA user_version")
        assert version is not None and version[0] == SCHEMA_VERSION
    finally:
        await reopened.close()


async def test_a_version_7_database_keeps_its_wakeups_and_forgets_the_unserved_record(
    tmp_path: Path,
) -> None:
    """Migration 10 rebuilds `wakeups` (the new kinds and a subject: a CHECK cannot be
    altered) keeping its rows and ids, and drops the unserved-categoria record that named no
    property, with its open notices; the other notices and kv values stay."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(
        resources.files("middleware.store.sqlite").joinpath("schema.sql").read_text("utf-8")
        + MIGRATIONS[7]
        + "PRAGMA user_version = 7;"
    )
    old.executescript(
        "INSERT INTO wakeups (work, asked_by, asked_at, done_at, result) VALUES"
        " ('poll_feed', 'admin', 't0', 't1', '{}'), ('parity_check', 'cli', 't2', NULL, NULL);"
        "INSERT INTO kv (key, value, updated_at) VALUES"
        ' (\'pms_unserved_categorias\', \'{"at": "t0", "categorias": ["ov"]}\', \'t0\'),'
        " ('health_probe', 'x', 't0');"
        "INSERT INTO notices (at, kind, ref, detail) VALUES"
        " ('t0', 'pms_categoria_not_served', 'ov', 'old'), ('t0', 'dead_letter', NULL, 'dl');"
    )
    with pytest.raises(sqlite3.IntegrityError):
        old.execute(
            "INSERT INTO wakeups (work, asked_by, asked_at) VALUES ('read_back', 'web', 't')"
        )
    old.close()
    db = await Database.open(path)
    try:
        version = await db.fetchone("PRAGMA user_version")
        assert version is not None and version[0] == SCHEMA_VERSION
        rows = await db.fetchall("SELECT * FROM wakeups ORDER BY wakeup_id")
        assert [dict(row) for row in rows] == [
            {
                "wakeup_id": 1,
                "work": "poll_feed",
                "subject": None,
                "asked_by": "admin",
                "asked_at": "t0",
                "taken_until": None,
                "done_at": "t1",
                "result": "{}",
            },
            {
                "wakeup_id": 2,
                "work": "parity_check",
                "subject": None,
                "asked_by": "cli",
                "asked_at": "t2",
                "taken_until": None,
                "done_at": None,
                "result": None,
            },
        ]
        now = datetime(2026, 11, 21, tzinfo=UTC)
        assert await SqliteWakeups(db).ask("read_back", by="web", now=now, subject="p|x") == 3
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(
                "INSERT INTO wakeups (work, asked_by, asked_at) VALUES ('lost', 'web', 't')"
            )
        kv = await db.fetchall("SELECT key FROM kv ORDER BY key")
        assert [row["key"] for row in kv] == ["health_probe"]
        notes = await db.fetchall("SELECT kind, resolved_at IS NULL AS open FROM notices")
        assert sorted(tuple(row) for row in notes) == [
            ("dead_letter", 1),
            ("pms_categoria_not_served", 0),
        ]
        index = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'wakeups'"
            " ORDER BY name"
        )
        assert [row["name"] for row in index] == ["wakeups_open", "wakeups_subject"]
    finally:
        await db.close()


async def test_a_version_10_database_gains_the_pump_indexes(tmp_path: Path) -> None:
    """Migration 11: the partial indexes the pump's due-lanes read uses, the rows kept as they
    were; a fresh database has them too."""
    path = tmp_path / "old.db"
    db = await Database.open(path)
    await db.execute("DROP INDEX pushes_claimed")
    await db.execute("DROP INDEX outbox_unclaimed")
    await db.execute(
        "INSERT INTO outbox (property_id, kind, entity_id, day, field, value, enqueued_at,"
        " updated_at) VALUES ('p', 'availability', 'r', '2026-11-21', 'availability', '3', ?, ?)",
        ("2026-11-21T12:00:00.000000Z", "2026-11-21T12:00:00.000000Z"),
    )
    await db.execute("PRAGMA user_version = 10")
    await db.close()
    reopened = await Database.open(path)
    try:
        indexes = await reopened.fetchall(
            "SELECT name, tbl_name FROM sqlite_master"
            " WHERE name IN ('pushes_claimed', 'outbox_unclaimed') ORDER BY name"
        )
        rows = await reopened.fetchall("SELECT property_id, entity_id, value FROM outbox")
        version = await reopened.fetchone("PRAGMA user_version")
        assert (
            [tuple(row) for row in indexes],
            [tuple(row) for row in rows],
            version[0] if version else None,
        ) == (
            [("outbox_unclaimed", "outbox"), ("pushes_claimed", "pushes")],
            [("p", "r", "3")],
            11,
        )
    finally:
        await reopened.close()


@pytest.mark.parametrize("from_version", [0, 7])
async def test_processes_opening_together_migrate_once(tmp_path: Path, from_version: int) -> None:
    """Web and worker starting together on a new (or old) database: each reads the version,
    and without the check inside the write lock the second re-ran the migrations the first had
    just applied ("duplicate column name: property_id", CI chaos seeds 36 and 7) and left its
    transaction open, locking the other out for good."""
    path = tmp_path / "m.db"
    if from_version:
        old = sqlite3.connect(path, isolation_level=None)
        old.executescript(
            resources.files("middleware.store.sqlite").joinpath("schema.sql").read_text("utf-8")
            + MIGRATIONS[7]
            + f"PRAGMA user_version = {from_version};"
        )
        old.close()
    opened = await asyncio.gather(*(Database.open(path) for _ in range(4)))
    try:
        for db in opened:
            version = await db.fetchone("PRAGMA user_version")
            assert version is not None and version[0] == SCHEMA_VERSION
            await db.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES ('k', 'v', 't')"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
    finally:
        for db in opened:
            await db.close()
