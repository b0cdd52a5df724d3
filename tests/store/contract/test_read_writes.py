"""What one PMS read writes, in one transaction: both lanes' differences (`enqueue_diffs`)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from middleware.domain.models import CellKey, Cells, FieldValue, Lane
from middleware.store import outbox
from middleware.store.port import Store

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)
LANE = Lane("prop-1", "restrictions")
AVAIL = Lane("prop-1", "availability")
D21, D22 = date(2026, 11, 21), date(2026, 11, 22)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def cells(*items: tuple[str, date, dict[str, FieldValue]]) -> Cells:
    return {CellKey(entity, day): dict(fields) for entity, day, fields in items}


async def acked_availability(store: Store, value: int) -> None:
    await store.outbox.enqueue(AVAIL, cells(("twin", D21, {"availability": value})), at(0))
    claim = await store.outbox.claim(AVAIL, at(0), lease_s=60)
    assert claim is not None
    await store.outbox.complete(
        claim,
        at(0),
        task_ids=[],
        warnings=[],
        rejected=set(),
        values_count=1,
        bytes_sent=1,
        calls=1,
        payload_sha256="",
        duration_ms=1,
    )


async def test_enqueue_diffs_writes_each_lanes_differences_within_the_days(store: Store) -> None:
    await acked_availability(store, 3)
    read = [
        (AVAIL, cells(("twin", D21, {"availability": 3}), ("twin", D22, {"availability": 5}))),
        (LANE, cells(("bar", D21, {"rate": Decimal(100)}))),
    ]
    assert await store.outbox.enqueue_diffs(read, at(1), day_from=D21, day_to=D21) == 1
    assert await store.outbox.backlog(at(1)) == [
        outbox.LaneBacklog(lane=LANE, pending=1, in_flight=0, dead=0, oldest_enqueued_at=at(1))
    ]
    assert await store.outbox.enqueue_diffs(read, at(2), day_from=D21, day_to=D21) == 0


async def test_enqueue_diffs_forced_sends_every_lanes_values_as_a_full_sync(store: Store) -> None:
    await acked_availability(store, 3)
    read = [
        (AVAIL, cells(("twin", D21, {"availability": 3}))),
        (LANE, cells(("bar", D21, {"rate": Decimal(100)}))),
    ]
    written = await store.outbox.enqueue_diffs(
        read, at(1), day_from=D21, day_to=D22, force=True, full_sync=True
    )
    assert written == 2
    claims = [await store.outbox.claim(lane, at(2), lease_s=60) for lane in (AVAIL, LANE)]
    assert [(c.lane, c.cells, c.full_sync) for c in claims if c is not None] == [
        (AVAIL, cells(("twin", D21, {"availability": 3})), True),
        (LANE, cells(("bar", D21, {"rate": Decimal(100)})), True),
    ]
