"""Wake-ups: recorded with who asked, taken once (two workers never both take one), taken
again only after a lost lease, finished with the work's result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from middleware.store.sqlite.store import SqliteStore
from middleware.store.wakeups import Wakeup

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


async def test_a_lost_lease_lets_another_worker_take_it_and_done_is_final(
    store: SqliteStore,
) -> None:
    wakeup_id = await store.wakeups.ask("parity_check", by="admin", now=NOW)
    assert await store.wakeups.claim("parity_check", NOW, lease_s=LEASE_S) == [wakeup_id]
    later = NOW + timedelta(seconds=LEASE_S + 1)
    assert await store.wakeups.claim("parity_check", later, lease_s=LEASE_S) == [wakeup_id]

    await store.wakeups.finish([wakeup_id], later, result='{"passes": []}')

    assert await store.wakeups.claim("parity_check", later + timedelta(days=1), lease_s=1) == []
    assert await store.wakeups.get(wakeup_id) == Wakeup(
        id=wakeup_id,
        work="parity_check",
        asked_by="admin",
        asked_at=NOW,
        taken_until=None,
        done_at=later,
        result='{"passes": []}',
    )
    assert await store.wakeups.get(wakeup_id + 1) is None
