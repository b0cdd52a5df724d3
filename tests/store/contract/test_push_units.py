"""A push in two store transactions, a pump tick in one: `claim_within_limit` (past days
dropped, a rate slot taken, the rows claimed), `complete_answered` (the last call's answer
logged, the push completed, the pause ladder reset) and `release_expired_then_due`."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from middleware.domain.models import CellKey, Cells, FieldValue, Lane
from middleware.store import outbox
from middleware.store.lanes import LaneState
from middleware.store.port import Store

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)
LANE = Lane("prop-1", "restrictions")
AVAIL = Lane("prop-1", "availability")
D21, D22, D23 = date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)
LEASE_S = 120.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def cells(*items: tuple[str, date, dict[str, FieldValue]]) -> Cells:
    return {CellKey(entity, day): dict(fields) for entity, day, fields in items}


async def claim_within(
    store: Store, lane: Lane, seconds: float, *, today: date = D21, limit: int = 2
) -> outbox.Claim | datetime | None:
    return await store.outbox.claim_within_limit(
        lane, at(seconds), today=today, limit=limit, window_s=60, lease_s=LEASE_S
    )


def lane_state(lane: Lane, **fields: object) -> LaneState:
    base = LaneState(
        lane=lane,
        failures=0,
        next_attempt_at=None,
        pause_count=0,
        paused_until=None,
        last_push_at=None,
        last_success_at=None,
        last_error=None,
        calls_in_window=0,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


async def test_claim_within_limit_drops_the_lanes_past_days_takes_a_slot_and_claims(
    store: Store,
) -> None:
    """Rows for days before `today` go (this lane's; the other lane keeps its own until its
    push), one call slot is logged, and the rest is claimed as `claim` would."""
    await store.outbox.enqueue(
        LANE,
        cells(
            ("bar", D21, {"rate": Decimal(1)}),
            ("bar", D22, {"rate": Decimal(2)}),
            ("bar", D23, {"stop_sell": True}),
        ),
        at(0),
    )
    await store.outbox.enqueue(AVAIL, cells(("twin", D21, {"availability": 4})), at(0))

    claim = await claim_within(store, LANE, 1, today=D22)

    assert isinstance(claim, outbox.Claim)
    assert claim.idempotency_key.startswith("prop-1:restrictions:")
    assert claim == outbox.Claim(
        push_id=claim.push_id,
        lane=LANE,
        idempotency_key=claim.idempotency_key,
        cells=cells(("bar", D22, {"rate": Decimal(2)}), ("bar", D23, {"stop_sell": True})),
        full_sync=False,
        claimed_at=at(1),
    )
    assert [(b.lane, b.pending, b.in_flight) for b in await store.outbox.backlog(at(1))] == [
        (AVAIL, 1, 0),
        (LANE, 0, 2),
    ]
    assert await store.lanes.get(LANE, at(1)) == lane_state(LANE, calls_in_window=1)


async def test_an_empty_lane_or_one_in_flight_takes_no_rate_slot(store: Store) -> None:
    """Nothing to send (no rows, only past days, a push in flight): None, and the lane's
    call log is left as it was."""
    assert await claim_within(store, LANE, 0) is None
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(1)})), at(0))
    assert await claim_within(store, LANE, 1, today=D22) is None  # only a past day: dropped
    assert await store.outbox.backlog(at(1)) == []
    assert await store.lanes.get(LANE, at(1)) is None

    await store.outbox.enqueue(AVAIL, cells(("twin", D22, {"availability": 1})), at(2))
    first = await claim_within(store, AVAIL, 3)
    assert isinstance(first, outbox.Claim)
    await store.outbox.enqueue(AVAIL, cells(("twin", D23, {"availability": 2})), at(4))
    assert await claim_within(store, AVAIL, 5) is None  # a push of the lane is in flight
    assert await store.lanes.get(AVAIL, at(5)) == lane_state(AVAIL, calls_in_window=1)


async def test_a_full_rate_window_claims_nothing_and_says_when_a_slot_opens(
    store: Store,
) -> None:
    assert await store.lanes.reserve_call(LANE, at(0), limit=2) is None
    assert await store.lanes.reserve_call(LANE, at(10), limit=2) is None
    await store.outbox.enqueue(LANE, cells(("bar", D22, {"rate": Decimal(7)})), at(11))

    assert await claim_within(store, LANE, 20) == at(60)
    assert [(b.pending, b.in_flight) for b in await store.outbox.backlog(at(20))] == [(1, 0)]
    assert await store.lanes.get(LANE, at(20)) == lane_state(LANE, calls_in_window=2)

    claim = await claim_within(store, LANE, 60)
    assert isinstance(claim, outbox.Claim)
    assert (claim.cells, claim.claimed_at) == (cells(("bar", D22, {"rate": Decimal(7)})), at(60))


async def test_complete_answered_logs_the_answer_completes_and_resets_the_pause_ladder(
    store: Store,
) -> None:
    """One transaction: the call reserved at the claim is logged at its answer (so the next
    slot opens a window after the answer), the carried values are acked, the push recorded,
    and a 429 after it starts the ladder at 60 s again."""
    await store.lanes.pause(LANE, at(0), retry_after_s=None)
    await store.lanes.pause(LANE, at(0), retry_after_s=None)  # the ladder at its second rung
    await store.outbox.enqueue(LANE, cells(("bar", D22, {"rate": Decimal(90)})), at(0))
    claim = await claim_within(store, LANE, 1, limit=1)
    assert isinstance(claim, outbox.Claim)

    await store.outbox.complete_answered(
        claim,
        at(5),
        reserved_at=at(1),
        task_ids=["t-1"],
        warnings=[],
        rejected=set(),
        values_count=1,
        bytes_sent=120,
        calls=1,
        payload_sha256="cd" * 32,
        duration_ms=4000,
    )

    assert await store.outbox.recent_pushes() == [
        outbox.PushRecord(
            id=claim.push_id,
            lane=LANE,
            idempotency_key=claim.idempotency_key,
            status="sent",
            attempts=1,
            cells=1,
            full_sync=False,
            values_count=1,
            bytes_sent=120,
            calls=1,
            payload_sha256="cd" * 32,
            task_ids=("t-1",),
            warnings=(),
            error=None,
            duration_ms=4000,
            claimed_at=at(1),
            finished_at=at(5),
        )
    ]
    assert await store.ari_state.acked(LANE, None, D21, D23) == cells(
        ("bar", D22, {"rate": Decimal(90)})
    )
    assert await store.outbox.backlog(at(5)) == []
    assert await store.lanes.get(LANE, at(5)) == lane_state(
        LANE, last_push_at=at(5), last_success_at=at(5), calls_in_window=1
    )
    assert await store.lanes.reserve_call(LANE, at(61), limit=1) == at(65)  # logged at 5 s
    assert await store.lanes.pause(LANE, at(70), retry_after_s=None) == at(130)


async def test_the_tick_releases_expired_claims_then_lists_the_due_lanes(store: Store) -> None:
    await store.outbox.enqueue(LANE, cells(("bar", D22, {"rate": Decimal(1)})), at(0))
    claim = await store.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert claim is not None
    await store.outbox.enqueue(AVAIL, cells(("twin", D22, {"availability": 1})), at(2))

    async def tick(seconds: float) -> list[Lane]:
        return await store.outbox.release_expired_then_due(at(seconds), debounce_s=2, max_delay_s=6)

    assert await tick(3) == []  # AVAIL not settled, LANE in flight
    assert await tick(100) == [AVAIL]
    assert await tick(122) == [LANE, AVAIL]  # the lease ran out: released, due again
    assert [(p.id, p.status) for p in await store.outbox.recent_pushes()] == [
        (claim.push_id, "released")
    ]
