"""The SQLite store: WAL, schema version, transactions that roll back."""

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.store.db import Database, from_db_time, to_db_time


async def test_open_applies_schema_once_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    db = await Database.open(path)
    mode = await db.fetchone("PRAGMA journal_mode")
    version = await db.fetchone("PRAGMA user_version")
    assert mode is not None and mode[0] == "wal"
    assert version is not None and version[0] == 6
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
    await db.execute("PRAGMA user_version = 1")
    await db.close()
    reopened = await Database.open(path)
    rows = await reopened.fetchall(
        "SELECT name FROM sqlite_master WHERE name IN ('parity_requests', 'parity_drift')"
    )
    assert sorted(row["name"] for row in rows) == ["parity_drift", "parity_requests"]
    await reopened.close()


async def test_a_version_2_database_gains_the_revision_facts_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = await Database.open(path)
    await db.execute("DROP TABLE revision_facts")
    await db.execute("PRAGMA user_version = 2")
    await db.close()
    reopened = await Database.open(path)
    rows = await reopened.fetchall("SELECT name FROM sqlite_master WHERE name = 'revision_facts'")
    version = await reopened.fetchone("PRAGMA user_version")
    assert ([row["name"] for row in rows], version[0] if version else None) == (
        ["revision_facts"],
        6,
    )
    await reopened.close()
