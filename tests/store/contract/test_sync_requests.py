"""Sync requests per property: a request for every property is split into one per property,
each claimed, retried and finished on its own. A request waits `due_in_s` for others to share
its PMS read; once one of a property is due, every fresh pending request of that property is
claimed with it (one read), and a retrying one keeps its backoff."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from middleware.store.port import Store
from middleware.store.sync_requests import NewRequest, RequestWriter
from tests.store_sql import rows

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


D = date.fromisoformat


async def requests(store: Store) -> list[tuple[object, ...]]:
    return await rows(
        store,
        "SELECT id, source, property_id, room_codes, date_from, status FROM sync_requests"
        " ORDER BY id",
    )


async def ask(
    store: Store,
    at: datetime,
    source: str,
    due_in_s: float = 0.0,
    property_id: str | None = "p1",
) -> int:
    return await store.sync_requests.request(
        source=source,
        now=at,
        property_id=property_id,
        room_codes=["lvu"],
        date_from=D("2026-12-10"),
        date_to=D("2026-12-12"),
        due_in_s=due_in_s,
    )


async def claimed(store: Store, at: datetime, property_id: str = "p1") -> list[tuple[int, str]]:
    return [
        (r.id, r.source)
        for r in await store.sync_requests.claim_due_for(property_id, at, lease_s=60)
    ]


async def test_a_request_for_every_property_becomes_one_per_property(store: Store) -> None:
    await store.sync_requests.request(
        source="poll", now=T0, room_codes=["lvu"], date_from=date(2026, 12, 1)
    )
    await store.sync_requests.request(source="pms_webhook", now=T0, property_id="p2")
    assert await store.sync_requests.split_unscoped(["p1", "p2", "p3"], T0) == 1
    assert await requests(store) == [
        (1, "poll", "p1", '["lvu"]', "2026-12-01", "pending"),
        (2, "pms_webhook", "p2", None, None, "pending"),
        (3, "poll", "p2", '["lvu"]', "2026-12-01", "pending"),
        (4, "poll", "p3", '["lvu"]', "2026-12-01", "pending"),
    ]
    assert await store.sync_requests.split_unscoped(["p1", "p2", "p3"], T0) == 0
    assert await store.sync_requests.due_properties(T0) == ["p1", "p2", "p3"]
    claimed = await store.sync_requests.claim_due_for("p2", T0, lease_s=60)
    assert [(r.id, r.source, r.property_id) for r in claimed] == [
        (2, "pms_webhook", "p2"),
        (3, "poll", "p2"),
    ]
    assert await store.sync_requests.due_properties(T0) == ["p1", "p3"]
    await store.sync_requests.retry_later(
        [2, 3], T0, retry_at=T0 + timedelta(seconds=30), error="PMS down"
    )
    assert await store.sync_requests.due_properties(T0 + timedelta(seconds=29)) == ["p1", "p3"]
    assert await store.sync_requests.due_properties(T0 + timedelta(seconds=30)) == [
        "p1",
        "p2",
        "p3",
    ]
    # a claim whose lease ran out (a crashed worker) is due again
    assert len(await store.sync_requests.claim_due_for("p1", T0, lease_s=60)) == 1
    assert await store.sync_requests.due_properties(T0 + timedelta(seconds=61)) == [
        "p1",
        "p2",
        "p3",
    ]


async def test_with_no_property_mapped_a_request_for_every_property_is_done(
    store: Store,
) -> None:
    await store.sync_requests.request(source="poll", now=T0)
    assert await store.sync_requests.split_unscoped([], T0) == 1
    assert await requests(store) == [(1, "poll", None, None, None, "done")]
    assert await store.sync_requests.due_properties(T0) == []


async def test_a_delayed_request_is_not_due_before_its_time(store: Store) -> None:
    booking = await ask(store, T0, "booking", due_in_s=1.0)
    assert await store.sync_requests.due_properties(T0 + timedelta(seconds=0.999)) == []
    assert await claimed(store, T0 + timedelta(seconds=0.999)) == []
    assert await store.sync_requests.due_properties(T0 + timedelta(seconds=1)) == ["p1"]
    assert await claimed(store, T0 + timedelta(seconds=1)) == [(booking, "booking")]


async def test_a_due_request_takes_every_fresh_pending_one_of_its_property(
    store: Store,
) -> None:
    booking = await ask(store, T0, "booking", due_in_s=1.0)
    notice = await ask(store, T0 + timedelta(seconds=0.5), "pms_webhook", due_in_s=1.0)
    other = await ask(store, T0 + timedelta(seconds=0.5), "pms_webhook", 1.0, property_id="p2")
    assert await claimed(store, T0 + timedelta(seconds=1)) == [
        (booking, "booking"),
        (notice, "pms_webhook"),
    ]
    assert await claimed(store, T0 + timedelta(seconds=2)) == []
    assert await claimed(store, T0 + timedelta(seconds=1), "p2") == []  # another hotel's read
    assert await claimed(store, T0 + timedelta(seconds=1.5), "p2") == [(other, "pms_webhook")]


async def test_a_waiting_request_for_every_property_is_split_and_joins_the_read(
    store: Store,
) -> None:
    booking = await ask(store, T0, "booking", due_in_s=1.0)
    notice = await ask(store, T0 + timedelta(seconds=0.5), "pms_webhook", 1.0, property_id=None)
    assert await store.sync_requests.split_unscoped(["p1", "p2"], T0 + timedelta(seconds=0.6)) == 1
    assert await claimed(store, T0 + timedelta(seconds=1)) == [
        (booking, "booking"),
        (notice, "pms_webhook"),
    ]
    assert await store.sync_requests.due_properties(T0 + timedelta(seconds=1)) == []
    assert await store.sync_requests.due_properties(T0 + timedelta(seconds=1.5)) == ["p2"]


async def test_a_request_in_retry_backoff_is_not_taken_early(store: Store) -> None:
    failed = await ask(store, T0, "pms_webhook")
    assert await claimed(store, T0) == [(failed, "pms_webhook")]
    await store.sync_requests.retry_later(
        [failed], T0, retry_at=T0 + timedelta(seconds=30), error="pms down"
    )
    fresh = await ask(store, T0 + timedelta(seconds=1), "sync_incremental")
    assert await claimed(store, T0 + timedelta(seconds=1)) == [(fresh, "sync_incremental")]
    assert await claimed(store, T0 + timedelta(seconds=30)) == [(failed, "pms_webhook")]


async def test_request_many_records_each_request_in_order_in_one_go(store: Store) -> None:
    ids = await store.sync_requests.request_many(
        [
            NewRequest(source="pms_webhook", now=T0, property_id="p1", room_codes=("ov", "lvu")),
            NewRequest(source="poll", now=T0, date_from=D("2026-12-10"), date_to=D("2026-12-12")),
        ]
    )
    assert await store.sync_requests.request_many([]) == []
    assert await requests(store) == [
        (ids[0], "pms_webhook", "p1", '["lvu","ov"]', None, "pending"),
        (ids[1], "poll", None, None, "2026-12-10", "pending"),
    ]
    assert ids[1] > ids[0]


async def test_the_request_writer_gives_each_caller_its_own_id_once_stored(store: Store) -> None:
    """Requests made together are written together, each caller getting the id of its own
    row, in the order it asked; a later one is written by itself."""
    writer = RequestWriter(store.sync_requests)
    asked = await asyncio.gather(
        *(writer.request(source="pms_webhook", now=T0, property_id=f"p{i}") for i in range(3))
    )
    later = await writer.request(source="poll", now=T0, room_codes=["ov"])
    assert await requests(store) == [
        (asked[0], "pms_webhook", "p0", None, None, "pending"),
        (asked[1], "pms_webhook", "p1", None, None, "pending"),
        (asked[2], "pms_webhook", "p2", None, None, "pending"),
        (later, "poll", None, '["ov"]', None, "pending"),
    ]
