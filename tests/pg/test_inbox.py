"""Webhook intake on PostgreSQL: the SQLite module's outcomes on one scenario, and several
web processes storing the same events at once (each revision queued once, one notice each)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from middleware.domain.models import CellKey, Lane
from middleware.store.inbox import InboundEvent, StoreOutcome
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.inbox import PostgresInbox
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.postgres.parity_drift import PostgresParityDrift
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.sqlite import inbox as sqlite_inbox
from middleware.store.sqlite import notices as sqlite_notices
from middleware.store.sqlite import outbox as sqlite_outbox
from middleware.store.sqlite import parity_drift as sqlite_parity_drift
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
PROPERTY = "prop-1"
D1, D2 = date(2026, 12, 1), date(2026, 12, 2)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def event(
    name: str,
    revision_id: str | None = None,
    booking_id: str | None = "bk-1",
    payload: Any = None,
    *,
    seconds: float = 0,
) -> InboundEvent:
    body = {"event": name, "property_id": PROPERTY, "payload": payload or {}}
    return InboundEvent(
        received_at=at(seconds),
        event=name,
        property_id=PROPERTY,
        booking_id=booking_id,
        revision_id=revision_id,
        payload=orjson.dumps(body).decode(),
    )


ECHO = [{"date": "2026-12-01", "room_type_id": "rt-1", "availability": 3}]
CHANGED = [
    {"date": "2026-12-01", "room_type_id": "rt-1", "availability": 1},
    {"date": "2026-12-02", "rate_plan_id": "rp-1", "stop_sell": True},
]
FIRST = [
    event("booking", "rev-1", "bk-1"),
    event("booking_modification", "rev-1", "bk-1"),  # the same revision in one batch
    event("booking_new", "rev-2", "bk-2"),
    event("non_acked_booking", "rev-9", "bk-9", {"reason": "waited 30 min"}),
    event("booking_unmapped_room", None, "bk-3", {"channel_name": "Airbnb"}),
    event("booking_unmapped_room", None, "bk-3", {"channel_name": "Airbnb"}),  # refreshed
    event("test", None, None),
    event("message", None, "bk-1"),
    event("booking_new", None, "bk-4"),
    event("ari", None, None, ECHO),
    event("ari", None, None, CHANGED),
    event("ari", None, None, "not a list"),
]


async def _scenario(
    store_batch: Any, box: Any, queue: Any, intake: Any, notices: Any, parity: Any
) -> list[Any]:
    out: list[Any] = []
    await box.enqueue(
        Lane(PROPERTY, "availability"), {CellKey("rt-1", D1): {"availability": 3}}, at(0)
    )
    out.append(await store_batch(FIRST, at(1)))
    await queue.mark_acked("rev-2", at(2))
    second = [
        event("booking", "rev-1", "bk-1", seconds=3),
        event("non_acked_booking", "rev-2", "bk-2", seconds=3),
        event("non_acked_booking", "rev-9", "bk-9", {"reason": "still waiting"}, seconds=3),
        event("ari", None, None, [{"date": "2026-12-05", "rate_plan_id": "rp-1", "max_stay": 4}]),
    ]
    out.append(await store_batch(second, at(3)))
    out.append(await store_batch([], at(4)))
    out.append(await intake.list_events())
    out.append(await intake.list_events(status="duplicate", limit=2))
    out.append(await intake.list_events(status="noted"))
    out.append(await intake.get_event(3))
    out.append(await intake.get_event(999))
    out.append(await intake.pending_count())
    out.append(await queue.list_by_status(["pending", "applied", "acked"]))
    out.append(await notices.open_notices())
    out.append(await parity.requests())
    return out  # fmt: skip


async def test_every_outcome_is_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")

    sqlite_store = sqlite_inbox.SqliteInbox(sqlite_db).store_events

    try:
        expected = await _scenario(
            sqlite_store,
            Bound(sqlite_outbox, sqlite_db),
            Bound(sqlite_revisions, sqlite_db),
            Bound(sqlite_inbox, sqlite_db),
            Bound(sqlite_notices, sqlite_db),
            Bound(sqlite_parity_drift, sqlite_db),
        )
    finally:
        await sqlite_db.close()
    intake = PostgresInbox(pg_db)
    got = await _scenario(
        intake.store_events,
        PostgresOutbox(pg_db, PostgresLanes(pg_db)),
        PostgresRevisions(pg_db),
        intake,
        PostgresNotices(pg_db),
        PostgresParityDrift(pg_db),
    )
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


BURST = [
    *(event("booking", f"rev-{n:02d}", f"bk-{n:02d}") for n in range(20)),
    *(event("non_acked_booking", f"rev-{n:02d}", f"bk-{n:02d}") for n in range(0, 20, 5)),
    *(event("booking_unmapped_rate", None, f"bk-{n:02d}") for n in range(3)),
    event("ari", None, None, CHANGED),
    event("ari", None, None, list(reversed(CHANGED))),
]


async def test_several_web_processes_storing_the_same_events_queue_each_revision_once(
    pg_url: str,
) -> None:
    """Six processes (six pools) each store the whole burst, in their own order and batch
    sizes, at once: every revision id is queued by exactly one of them and is a duplicate for
    the others; each notice is made once; every event row is kept with its own id."""
    dbs = [await PostgresDatabase.open(pg_url, caller_clock=True) for _ in range(6)]
    try:

        async def web(db: PostgresDatabase, seed: int) -> list[tuple[InboundEvent, StoreOutcome]]:
            events = list(BURST)
            random.Random(seed).shuffle(events)
            intake = PostgresInbox(db)
            done: list[tuple[InboundEvent, StoreOutcome]] = []
            size = 3 + seed
            for start in range(0, len(events), size):
                batch = events[start : start + size]
                done.extend(zip(batch, await intake.store_events(batch, at(1)), strict=True))
            return done

        results = await asyncio.gather(*(web(db, seed) for seed, db in enumerate(dbs)))
        queued_by: dict[str, int] = {}
        for outcomes in results:
            for stored, outcome in outcomes:
                if stored.revision_id is not None:  # booking and non_acked_booking events
                    assert outcome.status in ("queued", "duplicate")
                    if outcome.status == "queued":
                        queued_by[stored.revision_id] = queued_by.get(stored.revision_id, 0) + 1
        assert queued_by == {f"rev-{n:02d}": 1 for n in range(20)}
        ids = [outcome.event_id for outcomes in results for _, outcome in outcomes]
        assert len(set(ids)) == len(ids) == 6 * len(BURST)
        queue = PostgresRevisions(dbs[0])
        assert (await queue.counts())["pending"] == 20
        notices = await PostgresNotices(dbs[0]).open_notices()
        assert sorted((n.kind, n.ref) for n in notices) == sorted(
            [("non_acked_booking", f"rev-{n:02d}") for n in range(0, 20, 5)]
            + [("booking_unmapped_rate", f"bk-{n:02d}") for n in range(3)]
        )
        requests = await PostgresParityDrift(dbs[0]).requests()
        assert sorted((r.kind, r.date_from, r.date_to) for r in requests) == [
            ("availability", D1, D1),
            ("restrictions", D2, D2),
        ]
        assert await PostgresInbox(dbs[0]).pending_count() == 20
    finally:
        for db in dbs:
            await db.close()
