"""Pruning on PostgreSQL: the SQLite module's counts on one scenario (batches smaller than
the work), and what must never go is kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.domain.models import CellKey, Lane
from middleware.store.inbox import InboundEvent
from middleware.store.postgres.audit import PostgresAudit
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.inbox import PostgresInbox
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.postgres.prune import PostgresPrune
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.postgres.sync_requests import PostgresSyncRequests
from middleware.store.postgres.wakeups import PostgresWakeups
from middleware.store.sqlite import audit as sqlite_audit
from middleware.store.sqlite import inbox as sqlite_inbox
from middleware.store.sqlite import notices as sqlite_notices
from middleware.store.sqlite import outbox as sqlite_outbox
from middleware.store.sqlite import prune as sqlite_prune
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite import sync_requests as sqlite_sync_requests
from middleware.store.sqlite import wakeups as sqlite_wakeups
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound
from tests.pg.test_audit import call

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
LANE = Lane("p1", "availability")


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def hook(revision_id: str | None, n: float, name: str = "booking") -> InboundEvent:
    return InboundEvent(received_at=day(n), event=name, property_id="p1", booking_id="b",
                        revision_id=revision_id, payload="{}")  # fmt: skip


async def _scenario(s: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for n in range(5):
        await s["audit"].record_call(call("pms", f"http://127.0.0.1/{n}"), day(n * 10))
    await s["store_batch"]([hook("r-acked", 0), hook("r-parked", 0), hook("r-pending", 0),
                            hook(None, 0, "test"), hook("r-acked", 1)], day(1))  # fmt: skip
    await s["revisions"].mark_acked("r-acked", day(2))
    await s["revisions"].park("r-parked", "why", day(2))
    for n in range(3):
        await s["outbox"].enqueue(LANE, {CellKey("rt", date(2026, 12, 1)): {"availability": n}},
                                  day(n))  # fmt: skip
        claim = await s["outbox"].claim(LANE, day(n), lease_s=60)
        if n < 2:
            await s["outbox"].fail(claim, day(n), error="x", retry_at=day(n), max_attempts=9)
    for n, kind in enumerate(("a", "b", "c")):
        await s["notices"].add(kind, "detail", day(n))
    await s["notices"].resolve(day(3), kind="a")
    await s["notices"].resolve(day(50), kind="b")
    done = await s["sync"].request(source="x", now=day(0))
    await s["sync"].request(source="y", now=day(0))
    await s["sync"].finish([done], day(1))
    woken = await s["wakeups"].ask("poll_feed", by="a", now=day(0))
    await s["wakeups"].ask("poll_feed", by="b", now=day(0))
    await s["wakeups"].finish([woken], day(1), result="{}")
    out.append(await s["prune"].prune(day(35), batch_rows=2))
    out.append(await s["prune"].prune(day(35), batch_rows=2))
    out.append(await s["prune"].prune(day(100)))
    return out  # fmt: skip


async def test_every_count_is_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")

    def bound(module: Any) -> Any:
        return Bound(module, sqlite_db)

    sqlite_store = sqlite_inbox.SqliteInbox(sqlite_db).store_events

    try:
        expected = await _scenario({
            "audit": bound(sqlite_audit), "store_batch": sqlite_store,
            "revisions": bound(sqlite_revisions), "outbox": bound(sqlite_outbox),
            "notices": bound(sqlite_notices), "sync": bound(sqlite_sync_requests),
            "wakeups": bound(sqlite_wakeups), "prune": bound(sqlite_prune),
        })  # fmt: skip
    finally:
        await sqlite_db.close()
    got = await _scenario({
        "audit": PostgresAudit(pg_db), "store_batch": PostgresInbox(pg_db).store_events,
        "revisions": PostgresRevisions(pg_db),
        "outbox": PostgresOutbox(pg_db, PostgresLanes(pg_db)),
        "notices": PostgresNotices(pg_db), "sync": PostgresSyncRequests(pg_db),
        "wakeups": PostgresWakeups(pg_db), "prune": PostgresPrune(pg_db),
    })  # fmt: skip
    assert got == expected
    assert got[0].removed == {
        "http_calls": 4,
        "pushes": 2,
        "webhook_events": 3,
        "notices": 1,
        "sync_requests": 1,
        "wakeups": 1,
    }
