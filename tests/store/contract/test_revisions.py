"""The booking-revision queue: dedup, atomic claims, leases, parking, replay, health figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.store import revisions
from middleware.store.port import Store

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


ATTENTION = "booking_needs_attention"


async def add(store: Store, revision_id: str, at: datetime = T0) -> bool:
    return await store.revisions.enqueue_many([(revision_id, "bk", "p")], at, source="webhook") == 1


async def applied(store: Store, revision_id: str) -> None:
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


async def test_enqueue_dedups_by_revision_id(store: Store) -> None:
    assert await add(store, "r1") is True
    assert await add(store, "r1", T0 + timedelta(minutes=1)) is False
    row = await store.revisions.get("r1")
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


async def test_enqueue_many_counts_new_ones(store: Store) -> None:
    await add(store, "r1")
    items = [("r1", "bk", "p"), ("r2", None, "p"), ("r2", None, "p"), ("r3", "bk3", None)]
    assert await store.revisions.enqueue_many(items, T0, source="feed") == 2
    assert [r.revision_id for r in await store.revisions.list_by_status(["pending"])] == [
        "r1",
        "r2",
        "r3",
    ]


async def test_claim_due_takes_due_unleased_pending_and_applied_rows(store: Store) -> None:
    for name in ("a", "b", "c", "d", "e"):
        await add(store, name)
    await applied(store, "b")
    await store.revisions.park("c", "unmapped", T0)
    await store.revisions.mark_acked("d", T0)
    later = T0 + timedelta(seconds=90)
    await store.revisions.retry_later("e", attempts=1, next_attempt_at=later, reason="x", now=T0)

    claimed = await store.revisions.claim_due(T0, limit=10, lease_s=60)
    assert [(r.revision_id, r.status) for r in claimed] == [("a", "pending"), ("b", "applied")]
    assert await store.revisions.claim_due(T0 + timedelta(seconds=59), limit=10, lease_s=60) == []
    again = await store.revisions.claim_due(T0 + timedelta(seconds=60), limit=10, lease_s=60)
    assert [r.revision_id for r in again] == ["a", "b"]
    assert [
        r.revision_id for r in await store.revisions.claim_due(later, limit=10, lease_s=60)
    ] == ["e"]


async def test_claim_due_honours_the_limit_oldest_first(store: Store) -> None:
    for minute, name in enumerate(("x", "y", "z")):
        await add(store, name, T0 + timedelta(minutes=minute))
    now = T0 + timedelta(hours=1)
    first = await store.revisions.claim_due(now, limit=2, lease_s=60)
    second = await store.revisions.claim_due(now, limit=2, lease_s=60)
    assert [r.revision_id for r in first] == ["x", "y"]
    assert [r.revision_id for r in second] == ["z"]


async def test_claim_one_ignores_due_time_but_not_leases_or_final_states(
    store: Store,
) -> None:
    await add(store, "r1")
    await add(store, "r2")
    await store.revisions.retry_later(
        "r1", attempts=3, next_attempt_at=T0 + timedelta(hours=1), reason="x", now=T0
    )
    await store.revisions.park("r2", "409", T0)
    row = await store.revisions.claim_one("r1", T0, lease_s=60)
    assert row is not None and row.attempts == 3
    assert await store.revisions.claim_one("r1", T0, lease_s=60) is None
    assert await store.revisions.claim_one("r2", T0, lease_s=60) is None
    assert await store.revisions.claim_one("nope", T0, lease_s=60) is None


async def test_retry_later_keeps_an_applied_row_applied(store: Store) -> None:
    await add(store, "r1")
    await applied(store, "r1")
    retry_at = T0 + timedelta(seconds=10)
    await store.revisions.retry_later(
        "r1", attempts=1, next_attempt_at=retry_at, reason="ack", now=T0
    )
    row = await store.revisions.get("r1")
    assert row is not None
    assert (row.status, row.attempts, row.next_attempt_at, row.reason) == (
        "applied",
        1,
        retry_at,
        "ack",
    )


async def test_park_raises_a_notice_and_ack_resolves_it_after_replay(store: Store) -> None:
    await add(store, "r1")
    await store.revisions.park(
        "r1",
        "room 0: room type x is not mapped",
        T0,
        notice_kind="booking_unmapped_room",
        property_id="p",
    )
    (notice,) = await store.notices.open_notices()
    assert (notice.kind, notice.ref, notice.property_id, notice.detail) == (
        "booking_unmapped_room",
        "r1",
        "p",
        "room 0: room type x is not mapped",
    )
    assert await store.revisions.claim_due(T0 + timedelta(days=1), limit=10, lease_s=60) == []

    later = T0 + timedelta(hours=2)
    assert await store.revisions.replay("r1", later) is True
    assert await store.revisions.replay("r1", later) is False
    (row,) = await store.revisions.claim_due(later, limit=10, lease_s=60)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, later)
    await store.revisions.mark_acked("r1", later)
    assert await store.notices.open_notices() == []


async def test_record_fetched_and_stale(store: Store) -> None:
    await add(store, "r1")
    inserted = T0 - timedelta(minutes=5)
    await store.revisions.record_fetched(
        "r1",
        booking_id="bk9",
        property_id="p9",
        revision_status="modified",
        inserted_at=inserted,
        now=T0,
    )
    await store.revisions.mark_stale("r1", T0)
    row = await store.revisions.get("r1")
    assert row is not None
    assert (row.booking_id, row.property_id, row.revision_status, row.inserted_at) == (
        "bk9",
        "p9",
        "modified",
        inserted,
    )
    assert (row.status, row.reason) == ("stale", revisions.STALE_REASON)


async def test_health_figures(store: Store) -> None:
    assert await store.revisions.oldest_unacked() is None
    assert await store.revisions.counts() == {
        "pending": 0,
        "applied": 0,
        "acked": 0,
        "stale": 0,
        "parked": 0,
        "handled": 0,
        "unknown": 0,
    }
    for minute, name in enumerate(("old-acked", "old-stale", "parked", "pending")):
        await add(store, name, T0 + timedelta(minutes=minute))
    await store.revisions.mark_acked("old-acked", T0)
    await store.revisions.mark_stale("old-stale", T0)
    await store.revisions.park("parked", "409", T0)
    assert await store.revisions.oldest_unacked() == T0 + timedelta(minutes=2)
    assert await store.revisions.counts() == {
        "pending": 1,
        "applied": 0,
        "acked": 1,
        "stale": 1,
        "parked": 1,
        "handled": 0,
        "unknown": 0,
    }
    parked = await store.revisions.list_by_status(["parked", "stale"], limit=1)
    assert [r.revision_id for r in parked] == ["old-stale"]


async def test_a_parked_revision_closed_by_hand_is_recorded_and_no_longer_owed(
    store: Store,
) -> None:
    """Who, when and why are kept; its notice is resolved; /health no longer counts it."""
    await add(store, "r1")
    await add(store, "r2", T0 + timedelta(minutes=1))
    await store.revisions.park("r1", "PMS has no free apartment", T0, notice_kind=ATTENTION)
    at = T0 + timedelta(hours=2)
    assert await store.revisions.mark_handled("r1", by="Ana", reason="moved to room 12", at=at)
    row = await store.revisions.get("r1")
    assert row is not None
    assert (row.status, row.reason) == ("handled", "PMS has no free apartment")
    assert await store.revisions.handling("r1") == revisions.Handling(
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
    assert await store.notices.open_notices() == []
    assert await store.revisions.oldest_unacked() == T0 + timedelta(minutes=1)  # r2 only
    await store.revisions.record_handled_ack("r1", "acked", None, at)
    done = await store.revisions.handling("r1")
    assert done is not None
    assert (done.channex_ack, done.ack_at) == ("acked", at)


async def test_only_parked_or_unknown_revisions_can_be_marked_handled(store: Store) -> None:
    await add(store, "pending")
    await add(store, "acked")
    await store.revisions.mark_acked("acked", T0)
    for revision_id in ("pending", "acked", "never-seen"):
        assert not await store.revisions.mark_handled(revision_id, by="Ana", reason="x", at=T0)
        assert await store.revisions.handling(revision_id) is None
    assert await store.revisions.counts() == {
        **dict.fromkeys(revisions.STATUSES, 0),
        "pending": 1,
        "acked": 1,
    }


async def test_an_unknown_revision_is_final_with_a_notice_until_handled(store: Store) -> None:
    await add(store, "forged")
    await store.revisions.mark_unknown("forged", "Channex does not know it", T0, property_id="p")
    row = await store.revisions.get("forged")
    assert row is not None
    assert (row.status, row.reason) == ("unknown", "Channex does not know it")
    assert await store.revisions.oldest_unacked() is None
    assert await store.revisions.claim_due(T0 + timedelta(days=1), limit=5, lease_s=60) == []
    [notice] = await store.notices.open_notices()
    assert (notice.kind, notice.ref, notice.detail, notice.property_id) == (
        revisions.UNKNOWN_NOTICE,
        "forged",
        "Channex does not know it",
        "p",
    )
    assert await store.revisions.mark_handled("forged", by="Ana", reason="spam", at=T0)
    done = await store.revisions.handling("forged")
    assert done is not None
    assert (done.prior_status, done.channex_ack) == ("unknown", "not_needed")
    assert await store.notices.open_notices() == []
