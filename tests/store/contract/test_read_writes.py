"""What one PMS read writes, in one transaction: both lanes' differences (`enqueue_diffs`),
with the unserved-categoria record and the finishing of the sync requests it answers
(`enqueue_read`)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from middleware.domain.models import CellKey, Cells, FieldValue, Lane
from middleware.store import outbox, pms_rooms
from middleware.store.pms_rooms import Unserved
from middleware.store.port import Store
from tests.store_sql import rows

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


async def asked_and_claimed(store: Store, count: int) -> list[int]:
    for _ in range(count):
        await store.sync_requests.request(source="pms_webhook", now=at(0), property_id="prop-1")
    return [r.id for r in await store.sync_requests.claim_due_for("prop-1", at(0), lease_s=60)]


def read_of(answers: list[int], *, live: bool) -> outbox.PmsRead:
    changes = [
        (AVAIL, cells(("twin", D21, {"availability": 2}))),
        (LANE, cells(("bar", D21, {"rate": Decimal(100)}), ("bar", D22, {"stop_sell": True}))),
    ]
    return outbox.PmsRead(
        property_id="prop-1",
        unserved=["st"],
        covered=["twin", "st"],
        mapped={("prop-1", "twin"), ("prop-1", "st")},
        changes=changes if live else [],
        day_from=D21,
        day_to=D22,
        answers=answers,
    )


async def what_the_read_left(store: Store) -> tuple[object, ...]:
    notices = [
        (n.property_id, n.ref)
        for n in await store.notices.open_notices()
        if n.kind == pms_rooms.NOTICE
    ]
    return (
        await store.pms_rooms.found(),
        notices,
        [(b.lane, b.pending) for b in await store.outbox.backlog(at(2))],
        await rows(store, "SELECT id, status FROM sync_requests ORDER BY id"),
    )


async def test_a_read_its_findings_and_the_requests_it_answers_commit_together(
    store: Store,
) -> None:
    ids = await asked_and_claimed(store, 2)
    assert await store.outbox.enqueue_read(read_of(ids, live=True), at(1)) == 3
    assert await what_the_read_left(store) == (
        [Unserved(property_id="prop-1", at=at(1), categorias=("st",))],
        [("prop-1", "prop-1/st")],
        [(AVAIL, 1), (LANE, 2)],
        [(ids[0], "done"), (ids[1], "done")],
    )


async def test_a_read_of_a_property_not_live_enqueues_nothing_and_still_answers(
    store: Store,
) -> None:
    ids = await asked_and_claimed(store, 1)
    assert await store.outbox.enqueue_read(read_of(ids, live=False), at(1)) == 0
    assert await what_the_read_left(store) == (
        [Unserved(property_id="prop-1", at=at(1), categorias=("st",))],
        [("prop-1", "prop-1/st")],
        [],
        [(ids[0], "done")],
    )
