"""Bookings retention on PostgreSQL: one scenario (finished bookings among ones with work
left or too recent, in batches, then one forgotten again after a late revision) gives the
SQLite store's reports, tombstones and counts."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from middleware.domain import retention as forgetting
from middleware.store.port import Store
from middleware.store.postgres.store import PostgresStore
from middleware.store.sqlite.store import SqliteStore
from tests.store.contract.test_retention import (
    DEPARTED,
    KEEP_DAYS,
    NOW,
    OLD,
    applied,
    receive,
)

BOOKINGS = ("done-a", "done-b", "done-c", "recent-stay", "parked", "pending", "unacked", "legacy")


async def _scenario(store: Store) -> list[Any]:
    for name in ("done-a", "done-b", "done-c"):
        await applied(store, name, name + "-1")
    await applied(store, "recent-stay", "rs-1", checkout=date(2027, 4, 1))
    await applied(store, "parked", "pk-1")
    await receive(store, "parked", "pk-2", at=OLD, checkout=DEPARTED, status="modified")
    await store.revisions.park("pk-2", "needs attention", OLD)
    await applied(store, "pending", "pd-1")
    await receive(store, "pending", "pd-2", at=OLD, checkout=DEPARTED, status="modified")
    await applied(store, "unacked", "ua-1", acked=False)
    await receive(store, "never-applied", "na-1", at=OLD, checkout=DEPARTED, status="new")
    await store.revisions.park("na-1", "room type not mapped", OLD)
    assert await store.revisions.mark_handled("na-1", by="Ana", reason="by hand", at=OLD)
    await store.revisions.record_handled_ack("na-1", "acked", None, OLD)
    cut = forgetting.cutoffs(NOW, KEEP_DAYS)
    out: list[Any] = [await store.retention.count_finished(cut, NOW)]
    out.append(await store.retention.forget_finished(cut, NOW, batch_bookings=2))
    out.append(await store.retention.count_finished(cut, NOW))
    # a late revision of a forgotten booking, parked then handled: forgotten again
    late = NOW + timedelta(days=1)
    await receive(store, "done-a", "late", at=late, checkout=DEPARTED, status="cancelled")
    await store.revisions.park("late", "booking forgotten", late)
    assert await store.revisions.mark_handled("late", by="Ana", reason="nothing", at=late)
    await store.revisions.record_handled_ack("late", "acked", None, late)
    again = late + timedelta(days=KEEP_DAYS + 1)
    out.append(await store.retention.forget_finished(forgetting.cutoffs(again, KEEP_DAYS), again))
    out.append(await store.retention.forgotten_count())
    for name in (*BOOKINGS, "never-applied"):
        out.append(await store.retention.tombstone(name))
        out.append(await store.booking_map.load(name) is None)
    return out


async def test_retention_equals_the_sqlite_store(pg_url: str, tmp_path: Path) -> None:
    sqlite = await SqliteStore.open(tmp_path / "s.db")
    pg = await PostgresStore.open(pg_url, caller_clock=True)
    try:
        expected = await _scenario(sqlite)
        assert expected[1].forgotten == 4  # done-a/b/c and never-applied
        assert await _scenario(pg) == expected
    finally:
        await sqlite.close()
        await pg.close()
