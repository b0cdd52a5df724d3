"""The revision queue on PostgreSQL: the SQLite module's results on one scenario, dedup across
concurrent enqueuers, claims shared by several workers, an expired lease taken up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.domain.attention import BookingFacts, ParkNote, ParkReason
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.sqlite import notices as sqlite_notices
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
NOTE = ParkNote(
    reason=ParkReason.PMS_NO_VACANCY,
    text="PMS has no free apartment",
    details={"pms_detail": "no twin free"},
    facts=BookingFacts(hotel="Duke Beach", ota_code="BDC-77", guest="Ana Lima"),
)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def _scenario(queue: Any, notices: Any, in_tx: Any) -> list[Any]:
    """Every queue operation; every result kept (plus the notices it raised and resolved)."""
    out: list[Any] = []
    out.append(
        await in_tx(
            "enqueue",
            revision_id="r1",
            booking_id="b1",
            property_id="p1",
            source="webhook",
            now=at(0),
        )
    )
    out.append(
        await in_tx(
            "enqueue", revision_id="r1", booking_id="b1", property_id="p1", source="feed", now=at(1)
        )
    )
    out.append(
        await in_tx(
            "enqueue_batch",
            [("r2", "b2", "p2"), ("r3", None, None), ("r2", "b2", "p2"), ("r1", "b1", "p1")],
            source="feed",
            now=at(2),
        )
    )
    out.append(
        await queue.enqueue_many(
            [("r4", "b4", "p1"), ("r5", "b5", "p2"), ("r4", "b4", "p1")], at(3), source="admin"
        )
    )
    out.append(await queue.due_properties(at(3)))
    out.append(await queue.claim_due(at(4), limit=2, lease_s=60))
    out.append(await queue.claim_due(at(5), limit=10, lease_s=60))
    out.append(await queue.claim_next(at(6), property_id=None, lease_s=60))
    out.append(await queue.due_properties(at(70)))
    out.append(await queue.claim_next(at(70), property_id="p2", lease_s=60))
    out.append(await queue.claim_one("r4", at(71), lease_s=60))
    out.append(await queue.claim_one("r4", at(72), lease_s=60))
    await queue.record_fetched(
        "r1",
        booking_id="b1",
        property_id="p1",
        revision_status="new",
        inserted_at=at(-50),
        now=at(73),
    )
    await in_tx("mark_applied", "r1", at(74))
    await queue.mark_acked("r1", at(75))
    out.append(await in_tx("ack_again", "r1", at(76)))
    out.append(await in_tx("ack_again", "r2", at(76)))
    await queue.mark_stale("r2", at(77))
    out.append(await in_tx("ack_again", "r2", at(78)))
    await queue.park(
        "r3",
        "no vacancy",
        at(79),
        notice_kind="booking_needs_attention",
        property_id="p1",
        note=NOTE,
    )
    await queue.park(
        "r5", "unmapped", at(80), notice_kind="booking_unmapped_room", notice_detail="room 7"
    )
    await queue.park("r5", "unmapped again", at(81), notice_kind="booking_unmapped_room")
    out.append(await notices.open_notices())
    out.append(await queue.replay("r5", at(82)))
    out.append(await queue.replay("r5", at(83)))
    await queue.retry_later(
        "r5", attempts=3, next_attempt_at=at(200), reason="PMS down", now=at(84)
    )
    await queue.mark_unknown("r4", "404 at Channex", at(85), property_id="p1")
    out.append(await queue.mark_handled("r3", by="ana", reason="booked by phone", at=at(86)))
    out.append(await queue.mark_handled("r4", by="ana", reason="never existed", at=at(87)))
    out.append(await queue.mark_handled("r5", by="ana", reason="not parked", at=at(88)))
    await queue.record_handled_ack("r3", "acked", "ok", at(89))
    out.append(await queue.handling("r3"))
    out.append(await queue.handling("r4"))
    out.append(await queue.handling("r9"))
    out.append(await notices.open_notices())
    for revision_id in ("r1", "r2", "r3", "r4", "r5", "r9"):
        out.append(await queue.get(revision_id))
    out.append(await queue.list_by_status(["pending", "applied", "handled"]))
    out.append(await queue.list_by_status(["handled", "unknown"], limit=1))
    for text in ("bdc", "ANA li", "b1", "r5", "  ", "zzz", "50%"):
        out.append(await queue.search(text))
    out.append(await queue.oldest_unacked())
    out.append(await queue.counts())
    return out  # fmt: skip


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    pg_queue = PostgresRevisions(pg_db)

    async def sqlite_tx(name: str, *args: Any, **kwargs: Any) -> Any:
        async with sqlite_db.transaction() as conn:
            # the SQLite conn-level helpers end in `_in` (the port's unit is record_applied)
            name = {"mark_applied": "mark_applied_in"}.get(name, name)
            return await getattr(sqlite_revisions, name)(conn, *args, **kwargs)

    async def pg_tx(name: str, *args: Any, **kwargs: Any) -> Any:
        async with pg_db.transaction() as conn:
            return await getattr(pg_queue, name)(conn, *args, **kwargs)

    try:
        expected = await _scenario(
            Bound(sqlite_revisions, sqlite_db), Bound(sqlite_notices, sqlite_db), sqlite_tx
        )
    finally:
        await sqlite_db.close()
    got = await _scenario(pg_queue, PostgresNotices(pg_db), pg_tx)
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


async def test_concurrent_enqueuers_of_one_revision_add_it_once(pg_url: str) -> None:
    """Ten web processes take the same 30 webhooks at once: each id is new exactly once."""
    dbs = [await PostgresDatabase.open(pg_url, caller_clock=True) for _ in range(10)]
    try:
        items = [(f"rev-{n}", f"bk-{n}", "p1") for n in range(30)]
        added = await asyncio.gather(
            *(PostgresRevisions(db).enqueue_many(items, at(0), source="webhook") for db in dbs)
        )
        assert sum(added) == 30
        counts = await PostgresRevisions(dbs[0]).counts()
        assert counts["pending"] == 30
    finally:
        for db in dbs:
            await db.close()


async def _drain(queue: PostgresRevisions) -> list[str]:
    taken: list[str] = []
    while rows := await queue.claim_due(at(10), limit=3, lease_s=600):
        taken.extend(row.revision_id for row in rows)
    return taken


async def test_two_concurrent_claimers_never_take_the_same_revision(pg_url: str) -> None:
    first = await PostgresDatabase.open(pg_url, caller_clock=True)
    second = await PostgresDatabase.open(pg_url, caller_clock=True)
    try:
        a, b = PostgresRevisions(first), PostgresRevisions(second)
        ids = [f"rev-{n:02d}" for n in range(40)]
        await a.enqueue_many([(i, None, "p1") for i in ids], at(0), source="feed")
        taken_a, taken_b = await asyncio.gather(_drain(a), _drain(b))
        assert set(taken_a) & set(taken_b) == set()
        assert sorted(taken_a + taken_b) == ids
    finally:
        await first.close()
        await second.close()


async def test_a_crashed_workers_lease_is_taken_up_by_another(pg_url: str) -> None:
    first = await PostgresDatabase.open(pg_url, caller_clock=True)
    second = await PostgresDatabase.open(pg_url, caller_clock=True)
    try:
        crashed, survivor = PostgresRevisions(first), PostgresRevisions(second)
        await crashed.enqueue_many([("rev-1", "bk", "p1")], at(0), source="webhook")
        lost = await crashed.claim_one("rev-1", at(1), lease_s=30)
        assert lost is not None
        await first.close()
        assert await survivor.claim_due(at(30), limit=5, lease_s=30) == []
        again = await survivor.claim_due(at(31), limit=5, lease_s=30)
        assert again == [lost]
    finally:
        await second.close()


async def test_a_lease_runs_out_by_the_database_clock(pg_url: str) -> None:
    """Production clock: a caller a year ahead cannot take a row whose lease is running."""
    db = await PostgresDatabase.open(pg_url)
    try:
        queue = PostgresRevisions(db)
        await queue.enqueue_many([("rev-1", "bk", "p1")], at(0), source="webhook")
        assert [r.revision_id for r in await queue.claim_due(at(0), limit=1, lease_s=3600)] == [
            "rev-1"
        ]
        assert await queue.claim_due(at(365 * 86400), limit=1, lease_s=3600) == []
        await db.execute("UPDATE revisions SET claimed_until = claimed_until - interval '2 hours'")
        assert len(await queue.claim_due(at(0), limit=1, lease_s=3600)) == 1
    finally:
        await db.close()
