"""The console's booking reads on PostgreSQL: the SQLite module's results on one scenario;
the fingerprint changes with every write the pages show and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.domain.models import CellKey, Cells, Lane
from middleware.store.inbox import InboundEvent
from middleware.store.postgres.audit import PostgresAudit
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.inbox import PostgresInbox
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.postgres.timeline import PostgresTimeline
from middleware.store.sqlite import inbox as sqlite_inbox
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite import timeline as sqlite_timeline
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound
from tests.pg.test_audit import call
from tests.pg.test_revisions import NOTE

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def hook(name: str, revision_id: str, booking_id: str, seconds: float) -> InboundEvent:
    return InboundEvent(received_at=at(seconds), event=name, property_id="p1",
                        booking_id=booking_id, revision_id=revision_id, payload="{}")  # fmt: skip


async def _scenario(timeline: Any, queue: Any, store_batch: Any) -> list[Any]:
    out: list[Any] = []
    out.append(await timeline.recent_booking_ids())
    out.append(await timeline.revisions_of([]))
    out.append(await timeline.webhooks_of([]))
    await store_batch([hook("booking_new", "r1", "b1", 0)], at(0))
    await store_batch([hook("booking_new", "r2", "b2", 1), hook("booking", "r2", "b2", 1)], at(1))
    await queue.enqueue_many([("r0", "b1", "p1"), ("r3", None, None)], at(2), source="feed")
    await store_batch([hook("booking_modification", "r4", "b1", 3)], at(3))
    await queue.park("r2", "no vacancy", at(4), note=NOTE)
    await queue.park("r4", "unmapped", at(5))
    await queue.mark_handled("r2", by="ana", reason="by phone", at=at(6))
    await queue.mark_handled("r4", by="ana", reason="gone", at=at(7))
    await queue.record_handled_ack("r4", "acked", None, at(8))
    out.append(await timeline.recent_booking_ids())
    out.append(await timeline.recent_booking_ids(limit=1))
    out.append(await timeline.revisions_of(["b1", "b2", "b9", "b1"]))
    out.append(await timeline.webhooks_of(["r1", "r2", "r4", "r9"]))
    out.append(await timeline.handled_owing_ack())
    return out  # fmt: skip


async def test_every_read_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")

    sqlite_store = sqlite_inbox.SqliteInbox(sqlite_db).store_events

    try:
        expected = await _scenario(
            Bound(sqlite_timeline, sqlite_db), Bound(sqlite_revisions, sqlite_db), sqlite_store
        )
    finally:
        await sqlite_db.close()
    got = await _scenario(
        PostgresTimeline(pg_db), PostgresRevisions(pg_db), PostgresInbox(pg_db).store_events
    )
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


async def test_the_fingerprint_changes_with_each_write_the_pages_show(
    pg_db: PostgresDatabase,
) -> None:
    timeline, queue = PostgresTimeline(pg_db), PostgresRevisions(pg_db)
    box = PostgresOutbox(pg_db, PostgresLanes(pg_db))
    lane = Lane("p1", "availability")
    cell: Cells = {CellKey("rt", T0.date()): {"availability": 2}}
    writes: list[Any] = [
        lambda: PostgresAudit(pg_db).record_call(call("pms", "http://127.0.0.1/a"), at(1)),
        lambda: PostgresInbox(pg_db).store_events([hook("booking", "r1", "b1", 2)], at(2)),
        lambda: queue.park("r1", "why", at(3)),
        lambda: box.enqueue(lane, cell, at(4)),
        lambda: box.claim(lane, at(5), lease_s=60),
        lambda: PostgresNotices(pg_db).add("k", "detail", at(6)),
        lambda: PostgresNotices(pg_db).resolve(at(7), kind="k"),
        lambda: queue.mark_handled("r1", by="ana", reason="done", at=at(8)),
        lambda: queue.record_handled_ack("r1", "acked", None, at(9)),
    ]
    prints = [await timeline.fingerprint()]
    for write in writes:
        await write()
        prints.append(await timeline.fingerprint())
        assert await timeline.fingerprint() == prints[-1]  # no write, no change
    assert len(set(prints)) == len(prints)
