"""The webhook inbox: raw rows, revision dedup, notices, and the group-commit writer."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from middleware.store import inbox
from middleware.store.inbox import InboundEvent, IntakeWriter, StoreOutcome
from middleware.store.port import Store
from tests.store_sql import rows

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


PROPERTY = "prop-1"


def _event(
    event: str = "booking",
    revision_id: str | None = "rev-1",
    booking_id: str | None = "bk-1",
    payload: str = "{}",
) -> InboundEvent:
    return InboundEvent(
        received_at=NOW,
        event=event,
        property_id=PROPERTY,
        booking_id=booking_id,
        revision_id=revision_id,
        payload=payload,
    )


@pytest.fixture
async def writer(store: Store) -> AsyncIterator[IntakeWriter]:
    intake = IntakeWriter(store.inbox, clock=lambda: NOW)
    await intake.start()
    yield intake
    await intake.stop()


async def _revision_rows(store: Store) -> list[tuple[object, ...]]:
    return await rows(
        store,
        "SELECT revision_id, booking_id, property_id, source, status FROM revisions"
        " ORDER BY revision_id",
    )


async def test_booking_event_is_stored_raw_and_queues_its_revision(
    store: Store, writer: IntakeWriter
) -> None:
    outcome = await writer.submit(_event(payload='{"event":"booking"}'))
    assert outcome == StoreOutcome(event_id=1, status="queued")
    assert await store.inbox.get_event(1) == inbox.StoredEvent(
        id=1,
        received_at=NOW,
        event="booking",
        property_id=PROPERTY,
        booking_id="bk-1",
        revision_id="rev-1",
        payload='{"event":"booking"}',
        status="queued",
        detail=None,
    )
    assert await _revision_rows(store) == [("rev-1", "bk-1", PROPERTY, "webhook", "pending")]
    assert await store.inbox.pending_count() == 1


async def test_same_revision_under_any_booking_event_name_is_one_revision(
    store: Store, writer: IntakeWriter
) -> None:
    names = ["booking", "booking_new", "booking", "booking_new"]
    outcomes = [await writer.submit(_event(event=name)) for name in names]
    assert [o.status for o in outcomes] == ["queued", "duplicate", "duplicate", "duplicate"]
    assert await _revision_rows(store) == [("rev-1", "bk-1", PROPERTY, "webhook", "pending")]
    stored = await store.inbox.list_events()
    assert [(e.id, e.event, e.status) for e in stored] == [
        (4, "booking_new", "duplicate"),
        (3, "booking", "duplicate"),
        (2, "booking_new", "duplicate"),
        (1, "booking", "queued"),
    ]
    assert await store.inbox.pending_count() == 1


async def test_non_acked_booking_without_a_revision_id_is_noted(
    store: Store, writer: IntakeWriter
) -> None:
    outcome = await writer.submit(_event(event="non_acked_booking", revision_id=None))
    assert outcome.status == "noted"
    assert await _revision_rows(store) == []


@pytest.mark.parametrize(
    ("event", "revision_id", "detail"),
    [
        ("ari", None, "no cells named"),  # an ari event with cells: tests/flow/test_parity.py
        ("message", None, "event not acted on"),
        ("test", None, "test ping"),
        (
            "booking_new",
            None,
            "no revision id (test ping, or send_data off: the feed poll covers it)",
        ),
    ],
)
async def test_events_we_do_not_act_on_are_stored_as_ignored(
    store: Store, writer: IntakeWriter, event: str, revision_id: str | None, detail: str
) -> None:
    outcome = await writer.submit(_event(event=event, revision_id=revision_id))
    assert outcome.status == "ignored"
    stored = await store.inbox.get_event(outcome.event_id)
    assert stored is not None
    assert (stored.event, stored.status, stored.detail) == (event, "ignored", detail)
    assert await _revision_rows(store) == []
    assert await store.inbox.list_events(status="queued") == []
    assert [e.id for e in await store.inbox.list_events(status="ignored")] == [outcome.event_id]


async def test_events_waiting_together_commit_in_one_transaction(
    store: Store, writer: IntakeWriter
) -> None:
    """Submitters that are runnable at the same time share one transaction."""
    outcomes = await asyncio.gather(
        *(writer.submit(_event(revision_id=f"r{i}")) for i in range(50))
    )
    assert sorted(o.event_id for o in outcomes) == list(range(1, 51))
    assert {o.status for o in outcomes} == {"queued"}
    assert (writer.commits, writer.events_stored) == (1, 50)
    assert len(await _revision_rows(store)) == 50


async def test_a_batch_never_exceeds_max_batch(store: Store) -> None:
    writer = IntakeWriter(store.inbox, max_batch=10)
    await writer.start()
    outcomes = await asyncio.gather(
        *(writer.submit(_event(revision_id=f"r{i}")) for i in range(25))
    )
    await writer.stop()
    assert len(outcomes) == 25
    assert (writer.commits, writer.events_stored) == (3, 25)


async def test_one_batch_dedups_within_itself_and_against_known_revisions(
    store: Store, writer: IntakeWriter
) -> None:
    """Events of one transaction: the first event of a revision id queues it, the rest of the
    batch (and ids already known) are duplicates; notices and ignored events ride along."""
    await writer.submit(_event(revision_id="known"))
    names_and_ids = [
        ("booking", "r1"),
        ("booking_new", "r1"),
        ("booking", "known"),
        ("booking_unmapped_room", "r9"),
        ("test", None),
        ("booking_new", "r2"),
    ]
    outcomes = await asyncio.gather(
        *(writer.submit(_event(event=name, revision_id=rev)) for name, rev in names_and_ids)
    )
    assert (writer.commits, writer.events_stored) == (2, 7)
    assert outcomes == [
        StoreOutcome(event_id=2, status="queued"),
        StoreOutcome(event_id=3, status="duplicate"),
        StoreOutcome(event_id=4, status="duplicate"),
        StoreOutcome(event_id=5, status="noted"),
        StoreOutcome(event_id=6, status="ignored"),
        StoreOutcome(event_id=7, status="queued"),
    ]
    stored = await store.inbox.list_events()
    assert [(e.id, e.event, e.revision_id, e.status) for e in reversed(stored)] == [
        (1, "booking", "known", "queued"),
        (2, "booking", "r1", "queued"),
        (3, "booking_new", "r1", "duplicate"),
        (4, "booking", "known", "duplicate"),
        (5, "booking_unmapped_room", "r9", "noted"),
        (6, "test", None, "ignored"),
        (7, "booking_new", "r2", "queued"),
    ]
    assert [row[0] for row in await _revision_rows(store)] == ["known", "r1", "r2"]


async def test_a_batch_larger_than_one_insert_statement_queues_every_revision(
    store: Store,
) -> None:
    """More events than `revisions.BATCH_ROWS` in one transaction: every id queued once."""
    writer = IntakeWriter(store.inbox, max_batch=500)
    await writer.start()
    count = 2 * 140 + 7  # over two of SQLite's insert batches (`BATCH_ROWS`)
    outcomes = await asyncio.gather(
        *(writer.submit(_event(revision_id=f"r{i:04d}")) for i in range(count))
    )
    await writer.stop()
    assert writer.commits == 1
    assert sorted(o.event_id for o in outcomes) == list(range(1, count + 1))
    assert {o.status for o in outcomes} == {"queued"}
    assert [row[0] for row in await _revision_rows(store)] == [f"r{i:04d}" for i in range(count)]


async def test_events_arriving_on_the_next_loop_turns_join_the_batch(
    store: Store, writer: IntakeWriter
) -> None:
    """While each turn of the event loop brings another event, the writer waits for it."""

    async def arriving_after(turns: int) -> StoreOutcome:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await writer.submit(_event(revision_id=f"r{turns}"))

    outcomes = await asyncio.gather(*(arriving_after(turns) for turns in range(4)))
    assert [o.status for o in outcomes] == ["queued"] * 4
    assert (writer.commits, writer.events_stored) == (1, 4)


async def test_on_queued_runs_for_a_new_revision_only(store: Store) -> None:
    """One-process mode wakes the worker when, and only when, a commit queued new work."""
    wakes: list[str] = []
    writer = IntakeWriter(store.inbox, on_queued=lambda: wakes.append("wake"))
    await writer.start()
    try:
        first = await writer.submit(_event("booking", revision_id="rev-wake-1"))
        again = await writer.submit(_event("booking_new", revision_id="rev-wake-1"))
        ping = await writer.submit(_event("test", revision_id=None))
    finally:
        await writer.stop()
    assert [first.status, again.status, ping.status] == ["queued", "duplicate", "ignored"]
    assert wakes == ["wake"]
