"""SQLite only: its tables, its transactions, its files.

The booking-revision queue: dedup, atomic claims, leases, parking, replay, health figures.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.store import SqliteStore

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


ATTENTION = "booking_needs_attention"


async def add(store: SqliteStore, revision_id: str, at: datetime = T0) -> bool:
    return await store.revisions.enqueue_many([(revision_id, "bk", "p")], at, source="webhook") == 1


async def applied(store: SqliteStore, revision_id: str) -> None:
    """The revision's booking is in the PMS: it waits for its ack."""
    await store.booking_map.record_applied(
        channex_booking_id="bk",
        property_id="p",
        ota_code=None,
        status="new",
        revision_id=revision_id,
        inserted_at=T0,
        now=T0,
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def test_enqueue_is_part_of_the_callers_transaction(store: SqliteStore) -> None:
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as conn:
            await sqlite_revisions.enqueue(
                conn, revision_id="r1", booking_id=None, property_id=None, source="webhook", now=T0
            )
            raise RuntimeError("the raw event could not be stored")
    assert await store.revisions.get("r1") is None


async def test_two_workers_never_claim_the_same_row(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    one, two = await SqliteStore.open(path), await SqliteStore.open(path)
    try:
        await one.revisions.enqueue_many(
            [(f"r{i}", None, None) for i in range(40)], T0, source="feed"
        )
        a, b = await asyncio.gather(
            one.revisions.claim_due(T0, limit=25, lease_s=60),
            two.revisions.claim_due(T0, limit=25, lease_s=60),
        )
        ids_a, ids_b = {r.revision_id for r in a}, {r.revision_id for r in b}
        assert ids_a.isdisjoint(ids_b)
        assert ids_a | ids_b == {f"r{i}" for i in range(40)}
    finally:
        await one.close()
        await two.close()
