"""The outbox: coalescing, in-flight protection, outcomes of a push, crash recovery."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from middleware.domain.models import CellKey, Cells, FieldValue, Lane
from middleware.store import outbox
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


async def push_ok(store: Store, claim: outbox.Claim, now: datetime, **overrides: object) -> None:
    kwargs: dict[str, object] = {
        "task_ids": ["task-1"],
        "warnings": [],
        "rejected": set(),
        "values_count": 1,
        "bytes_sent": 100,
        "calls": 1,
        "payload_sha256": "ab" * 32,
        "duration_ms": 40,
    }
    kwargs.update(overrides)
    await store.outbox.complete(claim, now, **kwargs)  # type: ignore[arg-type]


async def ack(store: Store, lane: Lane, changes: Cells, now: datetime) -> None:
    """Put `changes` into ari_state the way production does: enqueue, claim, complete."""
    await store.outbox.enqueue(lane, changes, now)
    claim = await store.outbox.claim(lane, now, lease_s=LEASE_S)
    assert claim is not None
    await push_ok(store, claim, now)


async def acked(store: Store, lane: Lane = LANE) -> Cells:
    return await store.ari_state.acked(lane, None, D21, D23)


async def test_many_writes_to_a_lane_coalesce_into_one_claim(store: Store) -> None:
    """Last write wins per field; enqueued_at stays the first write's; one claim takes all."""
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0)) == 1
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal("110.50")})), at(1))
    await store.outbox.enqueue(
        LANE,
        cells(("bar", D21, {"stop_sell": True}), ("bb", D22, {"min_stay_arrival": 2})),
        at(2),
    )
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal("120.00")})), at(3))
    await store.outbox.enqueue(AVAIL, cells(("twin", D21, {"availability": 7})), at(3))

    assert await store.outbox.backlog(at(4)) == [
        outbox.LaneBacklog(lane=AVAIL, pending=1, in_flight=0, dead=0, oldest_enqueued_at=at(3)),
        outbox.LaneBacklog(lane=LANE, pending=3, in_flight=0, dead=0, oldest_enqueued_at=at(0)),
    ]
    claim = await store.outbox.claim(LANE, at(4), lease_s=LEASE_S)
    assert claim is not None
    assert claim.cells == cells(
        ("bar", D21, {"rate": Decimal(120), "stop_sell": True}),
        ("bb", D22, {"min_stay_arrival": 2}),
    )
    assert (claim.lane, claim.full_sync, claim.claimed_at) == (LANE, False, at(4))
    assert claim.idempotency_key.startswith("prop-1:restrictions:")
    assert await store.outbox.claim(LANE, at(5), lease_s=LEASE_S) is None
    assert await store.outbox.backlog(at(5)) == [
        outbox.LaneBacklog(lane=AVAIL, pending=1, in_flight=0, dead=0, oldest_enqueued_at=at(3)),
        outbox.LaneBacklog(lane=LANE, pending=0, in_flight=3, dead=0, oldest_enqueued_at=at(0)),
    ]


async def test_enqueue_of_the_acked_value_is_a_no_op(store: Store) -> None:
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal("99.90")})), at(0))
    assert (
        await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal("99.9")})), at(1)) == 0
    )
    assert await store.outbox.backlog(at(1)) == []


async def test_change_then_revert_leaves_nothing_to_send(store: Store) -> None:
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(120)})), at(1)) == 1
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(2)) == 1
    assert await store.outbox.backlog(at(3)) == []
    assert await store.outbox.claim(LANE, at(3), lease_s=LEASE_S) is None


async def test_a_full_sync_sends_values_channex_already_has(store: Store) -> None:
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    same = cells(("bar", D21, {"rate": Decimal(100)}))
    assert await store.outbox.enqueue(LANE, same, at(1), full_sync=True) == 1
    claim = await store.outbox.claim(LANE, at(2), lease_s=LEASE_S)
    assert claim is not None
    assert (claim.cells, claim.full_sync) == (same, True)


async def test_a_write_during_flight_survives_completion(store: Store) -> None:
    """The flown value becomes acked; the newer one stays pending and goes next."""
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    first = await store.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert first is not None
    # Same value as in flight: nothing to add. A new value: pending again.
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(2)) == 0
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(130)})), at(2)) == 1
    await push_ok(store, first, at(3))

    assert await acked(store) == cells(("bar", D21, {"rate": Decimal(100)}))
    second = await store.outbox.claim(LANE, at(4), lease_s=LEASE_S)
    assert second is not None
    assert second.cells == cells(("bar", D21, {"rate": Decimal(130)}))
    await push_ok(store, second, at(5))
    assert await acked(store) == cells(("bar", D21, {"rate": Decimal(130)}))
    assert await store.outbox.backlog(at(6)) == []


async def test_a_revert_during_flight_is_still_sent(store: Store) -> None:
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(120)})), at(1))
    claim = await store.outbox.claim(LANE, at(2), lease_s=LEASE_S)
    assert claim is not None
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(3)) == 1
    await push_ok(store, claim, at(4))
    again = await store.outbox.claim(LANE, at(5), lease_s=LEASE_S)
    assert again is not None and again.cells == cells(("bar", D21, {"rate": Decimal(100)}))


async def test_complete_records_the_push_and_resets_the_lane(store: Store) -> None:
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    claim = await store.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert claim is not None
    await push_ok(store, claim, at(2), task_ids=["t-9"], values_count=1, bytes_sent=321, calls=1)
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
            bytes_sent=321,
            calls=1,
            payload_sha256="ab" * 32,
            task_ids=("t-9",),
            warnings=(),
            error=None,
            duration_ms=40,
            claimed_at=at(1),
            finished_at=at(2),
        )
    ]
    state = await store.lanes.get(LANE, at(2))
    assert state is not None
    assert (state.failures, state.next_attempt_at, state.last_success_at, state.last_push_at) == (
        0,
        None,
        at(2),
        at(2),
    )


async def test_rejected_fields_stay_out_of_ari_state_and_are_not_resent(store: Store) -> None:
    desired = cells(("bar", D21, {"rate": Decimal(0), "stop_sell": True}))
    await store.outbox.enqueue(LANE, desired, at(0))
    claim = await store.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert claim is not None
    warning = {"warning": {"rate": ["must be greater than 0"]}}
    await push_ok(store, claim, at(2), warnings=[warning], rejected={(CellKey("bar", D21), "rate")})

    assert await acked(store) == cells(("bar", D21, {"stop_sell": True}))
    assert await store.outbox.backlog(at(3)) == [
        outbox.LaneBacklog(lane=LANE, pending=0, in_flight=0, dead=1, oldest_enqueued_at=None)
    ]
    [record] = await store.outbox.recent_pushes()
    assert (record.status, record.warnings) == ("partial", (warning,))
    # The next sync of the same PMS state does not resend the refused value...
    assert await store.outbox.enqueue_diff(LANE, desired, at(4), day_from=D21, day_to=D21) == 0
    # ...but a corrected one goes out.
    fixed = cells(("bar", D21, {"rate": Decimal(80), "stop_sell": True}))
    assert await store.outbox.enqueue_diff(LANE, fixed, at(5), day_from=D21, day_to=D21) == 1
    again = await store.outbox.claim(LANE, at(6), lease_s=LEASE_S)
    assert again is not None and again.cells == cells(("bar", D21, {"rate": Decimal(80)}))


async def test_fail_backs_off_then_dead_letters_at_max_attempts(store: Store) -> None:
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    first = await store.outbox.claim(LANE, at(10), lease_s=LEASE_S)
    assert first is not None
    dead = await store.outbox.fail(first, at(11), error="HTTP 503", retry_at=at(16), max_attempts=2)
    assert dead == 0
    assert await store.outbox.due_lanes(at(15), debounce_s=2, max_delay_s=6) == []
    assert await store.outbox.due_lanes(at(16), debounce_s=2, max_delay_s=6) == [LANE]
    state = await store.lanes.get(LANE, at(16))
    assert state is not None
    assert (state.failures, state.next_attempt_at, state.last_error) == (1, at(16), "HTTP 503")

    second = await store.outbox.claim(LANE, at(16), lease_s=LEASE_S)
    assert second is not None and second.cells == first.cells
    dead = await store.outbox.fail(second, at(17), error="timeout", retry_at=at(27), max_attempts=2)
    assert dead == 1
    assert await store.outbox.backlog(at(18)) == [
        outbox.LaneBacklog(lane=LANE, pending=0, in_flight=0, dead=1, oldest_enqueued_at=None)
    ]
    assert await store.outbox.claim(LANE, at(30), lease_s=LEASE_S) is None
    pushes = await store.outbox.recent_pushes()
    assert [(p.status, p.attempts, p.error) for p in pushes] == [
        ("failed", 2, "timeout"),
        ("failed", 1, "HTTP 503"),
    ]


async def test_a_push_with_an_unknown_outcome_makes_the_old_value_worth_sending(
    store: Store,
) -> None:
    """A timed-out push may still land at Channex: if the PMS goes back to the value Channex
    last acknowledged before the retry, that value must still be sent (found by chaos seed
    11: Channex kept the timed-out value, the middleware believed the older one)."""
    await ack(
        store, LANE, cells(("bar", D21, {"rate": Decimal(100)}), ("bb", D21, {"rate": 90})), at(0)
    )
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(120)})), at(1))
    claim = await store.outbox.claim(LANE, at(2), lease_s=LEASE_S)
    assert claim is not None
    await store.outbox.fail(
        claim, at(3), error="timed out", retry_at=at(8), max_attempts=5, outcome_unknown=True
    )
    assert await acked(store) == cells(("bb", D21, {"rate": Decimal(90)}))  # bar: unknown now
    back = cells(("bar", D21, {"rate": Decimal(100)}))
    assert await store.outbox.enqueue_diff(LANE, back, at(4), day_from=D21, day_to=D21) == 1
    retry = await store.outbox.claim(LANE, at(8), lease_s=LEASE_S)
    assert retry is not None and retry.cells == back


async def test_a_refused_push_keeps_what_channex_holds(store: Store) -> None:
    """A 429 was not applied: going back to the acknowledged value leaves nothing to send."""
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(120)})), at(1))
    claim = await store.outbox.claim(LANE, at(2), lease_s=LEASE_S)
    assert claim is not None
    await store.outbox.fail(claim, at(3), error="HTTP 429", retry_at=at(8), max_attempts=5)
    back = cells(("bar", D21, {"rate": Decimal(100)}))
    assert await store.outbox.enqueue_diff(LANE, back, at(4), day_from=D21, day_to=D21) == 1
    assert await store.outbox.claim(LANE, at(8), lease_s=LEASE_S) is None


async def test_reject_dead_letters_the_whole_push(store: Store) -> None:
    await store.outbox.enqueue(
        LANE,
        cells(("bar", D21, {"rate": Decimal(1)}), ("bb", D21, {"rate": Decimal(2)})),
        at(0),
    )
    claim = await store.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert claim is not None
    assert await store.outbox.reject(claim, at(2), error="HTTP 422 validation_error") == 2
    assert await store.outbox.backlog(at(3)) == [
        outbox.LaneBacklog(lane=LANE, pending=0, in_flight=0, dead=2, oldest_enqueued_at=None)
    ]
    [record] = await store.outbox.recent_pushes()
    assert (record.status, record.error) == ("rejected", "HTTP 422 validation_error")
    assert await acked(store) == {}


async def test_retry_dead_by_lane_property_or_all(store: Store) -> None:
    other = Lane("prop-2", "restrictions")
    for lane in (LANE, AVAIL, other):
        field: dict[str, FieldValue] = (
            {"availability": 1} if lane.kind == "availability" else {"rate": Decimal(5)}
        )
        await store.outbox.enqueue(lane, cells(("x", D21, field)), at(0))
        claim = await store.outbox.claim(lane, at(1), lease_s=LEASE_S)
        assert claim is not None
        await store.outbox.reject(claim, at(2), error="HTTP 400")

    assert await store.outbox.retry_dead(at(3), property_id="prop-1", kind="availability") == 1
    assert await store.outbox.retry_dead(at(3), property_id="prop-1") == 1
    assert await store.outbox.retry_dead(at(3)) == 1
    assert await store.outbox.retry_dead(at(3)) == 0
    assert [(b.lane, b.pending, b.dead) for b in await store.outbox.backlog(at(4))] == [
        (AVAIL, 1, 0),
        (LANE, 1, 0),
        (other, 1, 0),
    ]


async def test_a_rewritten_dead_row_is_pending_again_with_attempts_reset(
    store: Store,
) -> None:
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(1)})), at(0))
    claim = await store.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert claim is not None
    await store.outbox.reject(claim, at(2), error="HTTP 400")
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(1)})), at(3)) == 0
    assert await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(2)})), at(4)) == 1
    assert await store.outbox.backlog(at(5)) == [
        outbox.LaneBacklog(lane=LANE, pending=1, in_flight=0, dead=0, oldest_enqueued_at=at(4))
    ]
    again = await store.outbox.claim(LANE, at(6), lease_s=LEASE_S)
    assert again is not None
    [record] = [p for p in await store.outbox.recent_pushes() if p.id == again.push_id]
    assert record.attempts == 1


async def test_release_puts_rows_back_untouched(store: Store) -> None:
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    claim = await store.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert claim is not None
    await store.outbox.release(claim, at(2))
    again = await store.outbox.claim(LANE, at(3), lease_s=LEASE_S)
    assert again is not None and again.cells == claim.cells
    assert [(p.status, p.attempts) for p in await store.outbox.recent_pushes()] == [
        ("claimed", 1),
        ("released", 1),
    ]


async def test_a_crashed_push_may_have_landed_so_the_old_value_is_worth_sending(
    store: Store,
) -> None:
    """kill -9 during a push: Channex may hold its value; the acknowledged one is forgotten."""
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    await store.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(120)})), at(1))
    assert await store.outbox.claim(LANE, at(2), lease_s=LEASE_S) is not None
    assert await store.outbox.release_expired(at(3 + LEASE_S)) == 1
    assert await acked(store) == {}
    back = cells(("bar", D21, {"rate": Decimal(100)}))
    await store.outbox.enqueue_diff(LANE, back, at(4 + LEASE_S), day_from=D21, day_to=D21)
    retry = await store.outbox.claim(LANE, at(5 + LEASE_S), lease_s=LEASE_S)
    assert retry is not None and retry.cells == back


async def test_due_lanes_debounce_and_max_delay(store: Store) -> None:
    async def due(seconds: float) -> list[Lane]:
        return await store.outbox.due_lanes(at(seconds), debounce_s=2, max_delay_s=6)

    await store.outbox.enqueue(AVAIL, cells(("twin", D21, {"availability": 3})), at(0))
    assert await due(1.9) == []
    assert await due(2) == [AVAIL]
    # A lane written every second is held back by the debounce until the max delay.
    for second in range(2, 8):
        await store.outbox.enqueue(LANE, cells(("bar", D21, {"max_stay": second})), at(second))
        assert await due(second) == [AVAIL]
    assert await due(7.5) == [AVAIL]
    await store.outbox.enqueue(LANE, cells(("bb", D22, {"max_stay": 1})), at(8))
    assert await due(8) == [AVAIL, LANE]
    assert await store.outbox.due_lanes(at(8), debounce_s=2, max_delay_s=10) == [AVAIL]
    assert await store.outbox.due_lanes(at(10), debounce_s=2, max_delay_s=10) == [AVAIL, LANE]


async def test_due_lanes_skips_paused_backing_off_and_in_flight_lanes(store: Store) -> None:
    other = Lane("prop-2", "restrictions")
    for lane in (AVAIL, LANE, other):
        field: dict[str, FieldValue] = (
            {"availability": 1} if lane.kind == "availability" else {"rate": Decimal(5)}
        )
        await store.outbox.enqueue(lane, cells(("x", D21, field)), at(0))
    paused_until = await store.lanes.pause(AVAIL, at(1), retry_after_s=None)
    assert paused_until == at(61)
    claim = await store.outbox.claim(other, at(1), lease_s=LEASE_S)
    assert claim is not None
    await store.outbox.enqueue(other, cells(("x", D22, {"rate": Decimal(6)})), at(1))

    assert await store.outbox.due_lanes(at(10), debounce_s=2, max_delay_s=6) == [LANE]
    assert await store.outbox.claim(other, at(10), lease_s=LEASE_S) is None
    await push_ok(store, claim, at(11))
    assert await store.outbox.due_lanes(at(61), debounce_s=2, max_delay_s=6) == [AVAIL, LANE, other]


async def test_enqueue_diff_sends_only_what_differs_from_the_effective_state(
    store: Store,
) -> None:
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal(100), "stop_sell": False})), at(0))
    await store.outbox.enqueue(LANE, cells(("bar", D22, {"rate": Decimal(90)})), at(1))
    desired = cells(
        ("bar", D21, {"rate": Decimal("100.00"), "stop_sell": True}),
        ("bar", D22, {"rate": Decimal(90)}),
        ("bb", D22, {"min_stay_arrival": 2}),
        ("bb", D23, {"min_stay_arrival": 3}),  # outside the window: ignored
    )
    written = await store.outbox.enqueue_diff(LANE, desired, at(2), day_from=D21, day_to=D22)
    assert written == 2
    assert await store.outbox.effective_state(LANE, ["bar", "bb"], D21, D23) == cells(
        ("bar", D21, {"rate": Decimal(100), "stop_sell": True}),
        ("bar", D22, {"rate": Decimal(90)}),
        ("bb", D22, {"min_stay_arrival": 2}),
    )
    assert await store.outbox.effective_state(LANE, ["bb"], D21, D23) == cells(
        ("bb", D22, {"min_stay_arrival": 2})
    )
    claim = await store.outbox.claim(LANE, at(3), lease_s=LEASE_S)
    assert claim is not None
    assert (claim.cells, claim.full_sync) == (
        cells(
            ("bar", D21, {"stop_sell": True}),
            ("bar", D22, {"rate": Decimal(90)}),
            ("bb", D22, {"min_stay_arrival": 2}),
        ),
        False,
    )


async def test_enqueue_diff_force_sends_everything_as_a_full_sync(store: Store) -> None:
    await ack(store, LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    desired = cells(("bar", D21, {"rate": Decimal(100)}), ("bar", D22, {"rate": Decimal(100)}))
    written = await store.outbox.enqueue_diff(
        LANE, desired, at(1), day_from=D21, day_to=D22, force=True, full_sync=True
    )
    assert written == 2
    claim = await store.outbox.claim(LANE, at(2), lease_s=LEASE_S)
    assert claim is not None
    assert (claim.cells, claim.full_sync) == (desired, True)


async def test_a_full_sync_repair_survives_an_incremental_sync_before_the_push(
    store: Store,
) -> None:
    """The nightly full sync queues values Channex is believed to hold, to repair drift; an
    incremental sync that reads the same PMS before the push must not take them back out."""
    held = cells(("bar", D21, {"rate": Decimal(100), "stop_sell": False}))
    await ack(store, LANE, held, at(0))
    nightly = cells(
        ("bar", D21, {"rate": Decimal(100), "stop_sell": False}),
        ("bar", D22, {"rate": Decimal(90)}),
    )
    written = await store.outbox.enqueue_diff(
        LANE, nightly, at(1), day_from=D21, day_to=D22, force=True, full_sync=True
    )
    assert written == 3
    later = cells(
        ("bar", D21, {"rate": Decimal(100), "stop_sell": False}),
        ("bar", D22, {"rate": Decimal(95)}),
    )
    assert await store.outbox.enqueue_diff(LANE, later, at(2), day_from=D21, day_to=D22) == 1
    claim = await store.outbox.claim(LANE, at(3), lease_s=LEASE_S)
    assert claim is not None
    assert (claim.cells, claim.full_sync) == (later, True)


async def test_a_full_sync_marks_the_pending_row_it_also_wants(store: Store) -> None:
    """A full sync finding its value already pending (from an incremental sync) writes nothing
    but marks the row, so the push that carries it is recorded as a full sync."""
    pending = cells(("bar", D21, {"rate": Decimal(120)}))
    await store.outbox.enqueue(LANE, pending, at(0))
    written = await store.outbox.enqueue_diff(
        LANE, pending, at(1), day_from=D21, day_to=D21, force=True, full_sync=True
    )
    assert written == 0
    claim = await store.outbox.claim(LANE, at(2), lease_s=LEASE_S)
    assert claim is not None
    assert (claim.cells, claim.full_sync) == (pending, True)
    await push_ok(store, claim, at(3))
    [record] = await store.outbox.recent_pushes()
    assert (record.id, record.status, record.full_sync) == (claim.push_id, "sent", True)


async def test_drop_past_keeps_today_and_rows_in_flight(store: Store) -> None:
    await store.outbox.enqueue(AVAIL, cells(("twin", D21, {"availability": 1})), at(0))
    claim = await store.outbox.claim(AVAIL, at(1), lease_s=LEASE_S)
    assert claim is not None
    await store.outbox.enqueue(
        LANE,
        cells(
            ("bar", D21, {"rate": Decimal(1)}),
            ("bar", D22, {"rate": Decimal(2)}),
            ("bar", D23, {"rate": Decimal(3)}),
        ),
        at(2),
    )
    await store.outbox.enqueue(
        Lane("prop-2", "restrictions"), cells(("x", D21, {"max_stay": 1})), at(2)
    )
    assert await store.outbox.drop_past("prop-1", D22) == 1
    assert [(b.lane, b.pending, b.in_flight) for b in await store.outbox.backlog(at(3))] == [
        (AVAIL, 0, 1),
        (LANE, 2, 0),
        (Lane("prop-2", "restrictions"), 1, 0),
    ]
