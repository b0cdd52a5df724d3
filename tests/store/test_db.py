"""The SQLite store: WAL, schema version, transactions that roll back."""

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
    assert version is not None and version[0] == 1
    await db.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', '1', 't')")
    await db.close()
    reopened = await Database.open(path)
    row = await reopened.fetchone("SELECT value FROM kv WHERE key = 'a'")
    assert row is not None and row["value"] == "1"
    await reopened.close()


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
