"""SQLite only: its tables, its transactions, its files.

Wake-ups: recorded with who asked, taken once (two workers never both take one), taken.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.store.sqlite.store import SqliteStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


LEASE_S = 60.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def test_a_wakeup_is_taken_once_with_the_others_of_its_kind(tmp_path: Path) -> None:
    web = await SqliteStore.open(tmp_path / "m.db")
    worker_a = await SqliteStore.open(tmp_path / "m.db")
    worker_b = await SqliteStore.open(tmp_path / "m.db")
    try:
        first = await web.wakeups.ask("process_bookings", by="admin", now=NOW)
        second = await web.wakeups.ask("process_bookings", by="console", now=NOW)
        feed = await web.wakeups.ask("poll_feed", by="admin", now=NOW)

        assert await worker_a.wakeups.claim("process_bookings", NOW, lease_s=LEASE_S) == [
            first,
            second,
        ]
        assert await worker_b.wakeups.claim("process_bookings", NOW, lease_s=LEASE_S) == []
        assert await worker_b.wakeups.claim("poll_feed", NOW, lease_s=LEASE_S) == [feed]
    finally:
        for each in (web, worker_a, worker_b):
            await each.close()
