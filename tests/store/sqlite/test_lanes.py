"""SQLite only: its tables, its transactions, its files.

Lane state: the persisted call log, the 429 pause ladder, the view for /status.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from middleware.domain.models import Lane
from middleware.store.sqlite.store import SqliteStore

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


LANE = Lane("prop-1", "restrictions")


AVAIL = Lane("prop-1", "availability")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def test_reserve_call_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    before = await SqliteStore.open(path)
    for n in range(10):
        assert await before.lanes.reserve_call(LANE, at(n), limit=10) is None
    await before.close()

    after = await SqliteStore.open(path)
    try:
        assert await after.lanes.reserve_call(LANE, at(15), limit=10) == at(60)
    finally:
        await after.close()


async def test_reserve_call_prunes_calls_older_than_the_window(store: SqliteStore) -> None:
    for n in range(5):
        await store.lanes.reserve_call(LANE, at(n), limit=10)
    await store.lanes.reserve_call(LANE, at(62), limit=10)
    rows = await store.db.fetchall("SELECT sent_at FROM rate_calls ORDER BY sent_at")
    assert [r["sent_at"] for r in rows] == [
        "2026-11-01T09:00:03.000000Z",
        "2026-11-01T09:00:04.000000Z",
        "2026-11-01T09:01:02.000000Z",
    ]
