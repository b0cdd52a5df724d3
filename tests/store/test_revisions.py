"""The booking-revision queue: dedup, atomic claims, leases, parking, replay, health figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from middleware.store import notices, revisions
from middleware.store.db import Database

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ATTENTION = "booking_needs_attention"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.db")
    yield database
    await database.close()


async def add(db: Database, revision_id: str, at: datetime = T0) -> bool:
    async with db.transaction() as conn:
        return await revisions.enqueue(
            conn,
            revision_id=revision_id,
            booking_id="bk",
            property_id="p",
            source="webhook",
            now=at,
        )


async def test_enqueue_dedups_by_revision_id(db: Database) -> None:
    assert await add(db, "r1") is True
    assert await add(db, "r1", T0 + timedelta(minutes=1)) is False
    row = await revisions.get(db, "r1")
    assert row == revisions.RevisionRow(
        revision_id="r1",
        booking_id="bk",
        property_id="p",
        source="webhook",
        status="pending",
        revision_status=None,
        inserted_at=None,
        received_at=T0,
        attempts=0,
        next_attempt_at=T0,
        reason=None,
    )


async def test_enqueue_is_part_of_the_callers_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await revisions.enqueue(
                conn, revision_id="r1", booking_id=None, property_id=None, source="webhook", now=T0
            )
            raise RuntimeError("the raw event could not be stored")
    assert await revisions.get(db, "r1") is None


async def test_enqueue_many_counts_new_ones(db: Database) -> None:
    await add(db, "r1")
    items = [("r1", "bk", "p"), ("r2", None, "p"), ("r2", None, "p"), ("r3", "bk3", None)]
    assert await revisions.enqueue_many(db, items, T0, source="feed") == 2
    assert [r.revision_id for r in await revisions.list_by_status(db, ["pending"])] == [
        "r1",
        "r2",
        "r3",
    ]


async def test_claim_due_takes_due_unleased_pending_and_applied_rows(db: Database) -> None:
    for name in ("a", "b", "c", "d", "e"):
        await add(db, name)
    async with db.transaction() as conn:
        await revisions.mark_applied(conn, "b", T0)
    await revisions.park(db, "c", "unmapped", T0)
    await revisions.mark_acked(db, "d", T0)
    later = T0 + timedelta(seconds=90)
    await revisions.retry_later(db, "e", attempts=1, next_attempt_at=later, reason="x", now=T0)

    claimed = await revisions.claim_due(db, T0, limit=10, lease_s=60)
    assert [(r.revision_id, r.status) for r in claimed] == [("a", "pending"), ("b", "applied")]
    assert await revisions.claim_due(db, T0 + timedelta(seconds=59), limit=10, lease_s=60) == []
    again = await revisions.claim_due(db, T0 + timedelta(seconds=60), limit=10, lease_s=60)
    assert [r.revision_id for r in again] == ["a", "b"]
    assert [r.revision_id for r in await revisions.claim_due(db, later, limit=10, lease_s=60)] == [
        "e"
    ]


async def test_claim_due_honours_the_limit_oldest_first(db: Database) -> None:
    for minute, name in enumerate(("x", "y", "z")):
        await add(db, name, T0 + timedelta(minutes=minute))
    now = T0 + timedelta(hours=1)
    first = await revisions.claim_due(db, now, limit=2, lease_s=60)
    second = await revisions.claim_due(db, now, limit=2, lease_s=60)
    assert [r.revision_id for r in first] == ["x", "y"]
    assert [r.revision_id for r in second] == ["z"]


async def test_two_workers_never_claim_the_same_row(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    one, two = await Database.open(path), await Database.open(path)
    try:
        await revisions.enqueue_many(
            one, [(f"r{i}", None, None) for i in range(40)], T0, source="feed"
        )
        a, b = await asyncio.gather(
            revisions.claim_due(one, T0, limit=25, lease_s=60),
            revisions.claim_due(two, T0, limit=25, lease_s=60),
        )
        ids_a, ids_b = {r.revision_id for r in a}, {r.revision_id for r in b}
        assert ids_a.isdisjoint(ids_b)
        assert ids_a | ids_b == {f"r{i}" for i in range(40)}
    finally:
        await one.close()
        await two.close()


async def test_claim_one_ignores_due_time_but_not_leases_or_final_states(db: Database) -> None:
    await add(db, "r1")
    await add(db, "r2")
    await revisions.retry_later(
        db, "r1", attempts=3, next_attempt_at=T0 + timedelta(hours=1), reason="x", now=T0
    )
    await revisions.park(db, "r2", "409", T0)
    row = await revisions.claim_one(db, "r1", T0, lease_s=60)
    assert row is not None and row.attempts == 3
    assert await revisions.claim_one(db, "r1", T0, lease_s=60) is None
    assert await revisions.claim_one(db, "r2", T0, lease_s=60) is None
    assert await revisions.claim_one(db, "nope", T0, lease_s=60) is None


async def test_retry_later_keeps_an_applied_row_applied(db: Database) -> None:
    await add(db, "r1")
    async with db.transaction() as conn:
        await revisions.mark_applied(conn, "r1", T0)
    retry_at = T0 + timedelta(seconds=10)
    await revisions.retry_later(
        db, "r1", attempts=1, next_attempt_at=retry_at, reason="ack", now=T0
    )
    row = await revisions.get(db, "r1")
    assert row is not None
    assert (row.status, row.attempts, row.next_attempt_at, row.reason) == (
        "applied",
        1,
        retry_at,
        "ack",
    )


async def test_park_raises_a_notice_and_ack_resolves_it_after_replay(db: Database) -> None:
    await add(db, "r1")
    await revisions.park(
        db,
        "r1",
        "room 0: room type x is not mapped",
        T0,
        notice_kind="booking_unmapped_room",
        property_id="p",
    )
    (notice,) = await notices.open_notices(db)
    assert (notice.kind, notice.ref, notice.property_id, notice.detail) == (
        "booking_unmapped_room",
        "r1",
        "p",
        "room 0: room type x is not mapped",
    )
    assert await revisions.claim_due(db, T0 + timedelta(days=1), limit=10, lease_s=60) == []

    later = T0 + timedelta(hours=2)
    assert await revisions.replay(db, "r1", later) is True
    assert await revisions.replay(db, "r1", later) is False
    (row,) = await revisions.claim_due(db, later, limit=10, lease_s=60)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, later)
    await revisions.mark_acked(db, "r1", later)
    assert await notices.open_notices(db) == []


async def test_record_fetched_and_stale(db: Database) -> None:
    await add(db, "r1")
    inserted = T0 - timedelta(minutes=5)
    await revisions.record_fetched(
        db,
        "r1",
        booking_id="bk9",
        property_id="p9",
        revision_status="modified",
        inserted_at=inserted,
        now=T0,
    )
    await revisions.mark_stale(db, "r1", T0)
    row = await revisions.get(db, "r1")
    assert row is not None
    assert (row.booking_id, row.property_id, row.revision_status, row.inserted_at) == (
        "bk9",
        "p9",
        "modified",
        inserted,
    )
    assert (row.status, row.reason) == ("stale", revisions.STALE_REASON)


async def test_health_figures(db: Database) -> None:
    assert await revisions.oldest_unacked(db) is None
    assert await revisions.counts(db) == {
        "pending": 0,
        "applied": 0,
        "acked": 0,
        "stale": 0,
        "parked": 0,
        "handled": 0,
        "unknown": 0,
    }
    for minute, name in enumerate(("old-acked", "old-stale", "parked", "pending")):
        await add(db, name, T0 + timedelta(minutes=minute))
    await revisions.mark_acked(db, "old-acked", T0)
    await revisions.mark_stale(db, "old-stale", T0)
    await revisions.park(db, "parked", "409", T0)
    assert await revisions.oldest_unacked(db) == T0 + timedelta(minutes=2)
    assert await revisions.counts(db) == {
        "pending": 1,
        "applied": 0,
        "acked": 1,
        "stale": 1,
        "parked": 1,
        "handled": 0,
        "unknown": 0,
    }
    parked = await revisions.list_by_status(db, ["parked", "stale"], limit=1)
    assert [r.revision_id for r in parked] == ["old-stale"]


async def test_a_parked_revision_closed_by_hand_is_recorded_and_no_longer_owed(
    db: Database,
) -> None:
    """Who, when and why are kept; its notice is resolved; /health no longer counts it."""
    await add(db, "r1")
    await add(db, "r2", T0 + timedelta(minutes=1))
    await revisions.park(db, "r1", "PMS has no free apartment", T0, notice_kind=ATTENTION)
    at = T0 + timedelta(hours=2)
    assert await revisions.mark_handled(db, "r1", by="Ana", reason="moved to room 12", at=at)
    row = await revisions.get(db, "r1")
    assert row is not None
    assert (row.status, row.reason) == ("handled", "PMS has no free apartment")
    assert await revisions.handling(db, "r1") == revisions.Handling(
        revision_id="r1",
        by="Ana",
        reason="moved to room 12",
        at=at,
        prior_status="parked",
        prior_reason="PMS has no free apartment",
        channex_ack="pending",
        ack_detail=None,
        ack_at=None,
    )
    assert await notices.open_notices(db) == []
    assert await revisions.oldest_unacked(db) == T0 + timedelta(minutes=1)  # r2 only
    await revisions.record_handled_ack(db, "r1", "acked", None, at)
    done = await revisions.handling(db, "r1")
    assert done is not None
    assert (done.channex_ack, done.ack_at) == ("acked", at)


async def test_only_parked_or_unknown_revisions_can_be_marked_handled(db: Database) -> None:
    await add(db, "pending")
    await add(db, "acked")
    await revisions.mark_acked(db, "acked", T0)
    for revision_id in ("pending", "acked", "never-seen"):
        assert not await revisions.mark_handled(db, revision_id, by="Ana", reason="x", at=T0)
        assert await revisions.handling(db, revision_id) is None
    assert await revisions.counts(db) == {
        **dict.fromkeys(revisions.STATUSES, 0),
        "pending": 1,
        "acked": 1,
    }


async def test_an_unknown_revision_is_final_with_a_notice_until_handled(db: Database) -> None:
    await add(db, "forged")
    await revisions.mark_unknown(db, "forged", "Channex does not know it", T0, property_id="p")
    row = await revisions.get(db, "forged")
    assert row is not None
    assert (row.status, row.reason) == ("unknown", "Channex does not know it")
    assert await revisions.oldest_unacked(db) is None
    assert await revisions.claim_due(db, T0 + timedelta(days=1), limit=5, lease_s=60) == []
    [notice] = await notices.open_notices(db)
    assert (notice.kind, notice.ref, notice.detail, notice.property_id) == (
        revisions.UNKNOWN_NOTICE,
        "forged",
        "Channex does not know it",
        "p",
    )
    assert await revisions.mark_handled(db, "forged", by="Ana", reason="spam", at=T0)
    done = await revisions.handling(db, "forged")
    assert done is not None
    assert (done.prior_status, done.channex_ack) == ("unknown", "not_needed")
    assert await notices.open_notices(db) == []
