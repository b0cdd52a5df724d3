"""The revision-feed safety net over a feed that shrinks while it is read (the worker acks
between page reads): every revision is queued exactly once, unparseable ones by id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.channex.client import FeedPage
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.store.sqlite.store import SqliteStore
from middleware.worker.feed_poll import FeedPoller, FeedReport
from tests.domain.test_booking_plan import make_revision

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
MAPPING = Mapping(
    (
        PropertyMap(
            property_id="prop-1",
            name="Duke Beach",
            currency="BRL",
            timezone="America/Sao_Paulo",
            room_types=(
                RoomTypeMap(
                    room_code="ov",
                    room_type_id="rt-ov",
                    rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-ov"),),
                ),
            ),
        ),
    )
)


def rev_id(n: int) -> str:
    return f"rev-{n:04d}"


class ShrinkingFeed:
    """The unacked revisions of one property, oldest first, served in pages like Channex.

    Before answering each read, the revisions served by the previous read are acked (they
    leave the feed), as the worker does while the poller is still paging. Ids in
    `unparseable` come back as parse problems."""

    def __init__(
        self, count: int, *, acking: bool = True, unparseable: frozenset[int] = frozenset()
    ) -> None:
        self.unacked = list(range(count))
        self.acking = acking
        self.unparseable = unparseable
        self.last_served: list[int] = []
        self.reads: list[tuple[str | None, int]] = []

    async def feed(self, *, property_id: str | None, page: int = 1, limit: int = 100) -> FeedPage:
        self.reads.append((property_id, page))
        if self.acking:
            self.unacked = [n for n in self.unacked if n not in self.last_served]
        served = self.unacked[(page - 1) * limit : page * limit]
        self.last_served = served
        return FeedPage(
            revisions=tuple(
                make_revision(id=rev_id(n), booking_id=f"bk-{n}", property_id="prop-1")
                for n in served
                if n not in self.unparseable
            ),
            raw_ids=tuple(rev_id(n) for n in served),
            problems=tuple(
                (rev_id(n), "rooms[0]: missing checkin_date")
                for n in served
                if n in self.unparseable
            ),
            page=page,
            limit=limit,
            total=len(self.unacked),
        )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def queued(store: SqliteStore) -> list[tuple[str, str | None, str | None, str]]:
    """(revision id, booking id, property id, source) of every queued revision."""
    rows = await store.db.fetchall(
        "SELECT revision_id, booking_id, property_id, source FROM revisions ORDER BY revision_id"
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


@pytest.mark.parametrize("count", [0, 1, 100, 250, 350])
async def test_every_revision_of_a_shrinking_feed_is_queued_once(
    store: SqliteStore, count: int
) -> None:
    feed = ShrinkingFeed(count)
    report = await FeedPoller(feed, store, MAPPING, clock=lambda: T0).run_once()
    assert report == FeedReport(seen=count, new=count)
    assert await queued(store) == [(rev_id(n), f"bk-{n}", "prop-1", "feed") for n in range(count)]
    assert {prop for prop, _ in feed.reads} == {"prop-1"}


async def test_the_shrinking_feed_needs_more_than_one_pass(store: SqliteStore) -> None:
    """250 unacked, 100 a page: page 2 of the first pass skips 100..199 (they slid onto page 1
    when 0..99 were acked); the second pass finds them; the third finds nothing new."""
    feed = ShrinkingFeed(250)
    await FeedPoller(feed, store, MAPPING, clock=lambda: T0).run_once()
    assert feed.reads == [("prop-1", 1), ("prop-1", 2), ("prop-1", 1), ("prop-1", 1)]


async def test_a_second_poll_of_an_unchanged_feed_queues_nothing_new(store: SqliteStore) -> None:
    feed = ShrinkingFeed(120, acking=False)
    poller = FeedPoller(feed, store, MAPPING, clock=lambda: T0)
    assert await poller.run_once() == FeedReport(seen=120, new=120)
    assert await poller.run_once() == FeedReport(seen=120, new=0)
    assert len(await queued(store)) == 120


async def test_unparseable_items_are_queued_by_id(store: SqliteStore) -> None:
    feed = ShrinkingFeed(4, acking=False, unparseable=frozenset({1, 3}))
    report = await FeedPoller(feed, store, MAPPING, clock=lambda: T0).run_once()
    assert report == FeedReport(seen=4, new=4)
    assert await queued(store) == [
        (rev_id(0), "bk-0", "prop-1", "feed"),
        (rev_id(1), None, "prop-1", "feed"),
        (rev_id(2), "bk-2", "prop-1", "feed"),
        (rev_id(3), None, "prop-1", "feed"),
    ]
    row = await store.revisions.get(rev_id(1))
    assert row is not None
    assert row.status == "pending"


async def test_a_revision_known_from_a_webhook_is_not_queued_again(store: SqliteStore) -> None:
    await store.revisions.enqueue_many([(rev_id(0), "bk-0", "prop-1")], T0, source="webhook")
    feed = ShrinkingFeed(2, acking=False)
    report = await FeedPoller(feed, store, MAPPING, clock=lambda: T0).run_once()
    assert report == FeedReport(seen=2, new=1)
    assert await queued(store) == [
        (rev_id(0), "bk-0", "prop-1", "webhook"),
        (rev_id(1), "bk-1", "prop-1", "feed"),
    ]
