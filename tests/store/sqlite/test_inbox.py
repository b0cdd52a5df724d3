"""SQLite only: its tables, its transactions, its files.

The webhook inbox: raw rows, revision dedup, notices, and the group-commit writer.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.store.inbox import InboundEvent, IntakeStoppedError, IntakeWriter
from middleware.store.sqlite.store import SqliteStore

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
async def writer(store: SqliteStore) -> AsyncIterator[IntakeWriter]:
    intake = IntakeWriter(store.inbox, clock=lambda: NOW)
    await intake.start()
    yield intake
    await intake.stop()


async def _revision_rows(store: SqliteStore) -> list[tuple[object, ...]]:
    rows = await store.db.fetchall(
        "SELECT revision_id, booking_id, property_id, source, status FROM revisions"
        " ORDER BY revision_id"
    )
    return [tuple(row) for row in rows]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def test_channex_warning_events_become_notices(
    store: SqliteStore, writer: IntakeWriter
) -> None:
    """A `non_acked_booking` also queues the revision it names (once); the others only note."""
    first = await writer.submit(_event(event="non_acked_booking", revision_id="rev-9"))
    again = await writer.submit(_event(event="non_acked_booking", revision_id="rev-9"))
    unmapped = await writer.submit(_event(event="booking_unmapped_room", revision_id=None))
    assert [first.status, again.status, unmapped.status] == ["queued", "duplicate", "noted"]
    rows = await store.db.fetchall("SELECT kind, property_id, ref, detail FROM notices ORDER BY id")
    assert [tuple(r) for r in rows] == [
        (
            "non_acked_booking",
            PROPERTY,
            "rev-9",
            "Channex sent non_acked_booking, booking bk-1, revision rev-9",
        ),
        (
            "booking_unmapped_room",
            PROPERTY,
            "bk-1",
            "Channex sent booking_unmapped_room, booking bk-1",
        ),
    ]
    assert await _revision_rows(store) == [("rev-9", "bk-1", PROPERTY, "webhook", "pending")]


@pytest.mark.parametrize(("finished", "again"), [("acked", "applied"), ("stale", "pending")])
async def test_non_acked_booking_of_a_finished_revision_acks_it_again(
    store: SqliteStore, writer: IntakeWriter, finished: str, again: str
) -> None:
    """Channex still waits for a revision we finished: an acked one goes back to `applied`
    (processing it only acks, the PMS is not called), a stale one to `pending`."""
    await writer.submit(_event(revision_id="rev-5"))
    await store.db.execute(
        "UPDATE revisions SET status = ? WHERE revision_id = 'rev-5'", (finished,)
    )
    outcome = await writer.submit(_event(event="non_acked_booking", revision_id="rev-5"))
    assert outcome.status == "queued"
    assert await _revision_rows(store) == [("rev-5", "bk-1", PROPERTY, "webhook", again)]
    stored = await store.inbox.list_events()
    assert [(e.event, e.status, e.detail) for e in stored] == [
        ("non_acked_booking", "queued", "finished here, not acked at Channex: ack again"),
        ("booking", "queued", None),
    ]


async def test_stop_commits_what_was_submitted_then_refuses(store: SqliteStore) -> None:
    writer = IntakeWriter(store.inbox)
    await writer.start()
    tasks = [asyncio.create_task(writer.submit(_event(revision_id=f"r{i}"))) for i in range(5)]
    await asyncio.sleep(0)  # let every submitter put its event on the queue
    assert writer.waiting == 5
    await writer.stop()
    assert [t.result().status for t in tasks] == ["queued"] * 5
    with pytest.raises(IntakeStoppedError):
        await writer.submit(_event())
    row = await store.db.fetchone("SELECT COUNT(*) FROM webhook_events")
    assert row is not None and row[0] == 5


async def test_a_database_error_fails_every_event_of_the_batch(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "m.db")
    writer = IntakeWriter(store.inbox)
    await writer.start()
    await store.close()
    results = await asyncio.gather(
        *(writer.submit(_event(revision_id=f"r{i}")) for i in range(3)), return_exceptions=True
    )
    assert [type(r) for r in results] == [ValueError] * 3
    assert writer.commits == 0
    await writer.stop()


async def test_a_failed_batch_does_not_stop_the_writer(
    store: SqliteStore, writer: IntakeWriter
) -> None:
    await store.db.execute("DROP TABLE webhook_events")
    with pytest.raises(Exception, match="webhook_events"):
        await writer.submit(_event())
    assert await _revision_rows(store) == []  # the revision rolled back with the failed batch
    await store.db.execute(
        "CREATE TABLE webhook_events (id INTEGER PRIMARY KEY, received_at TEXT NOT NULL,"
        " event TEXT NOT NULL, property_id TEXT, booking_id TEXT, revision_id TEXT,"
        " payload TEXT NOT NULL, status TEXT NOT NULL, detail TEXT)"
    )
    assert (await writer.submit(_event())).status == "queued"
