"""The outbox on PostgreSQL: the SQLite module's results on the same scenario, and claims
shared by several workers (never one lane twice; an expired lease taken up by another)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from middleware.domain.models import CellKey, Cells, FieldValue, Lane
from middleware.store.outbox import Claim, PushRecord
from middleware.store.postgres.ari_state import PostgresAriState
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.sqlite import ari_state as sqlite_ari_state
from middleware.store.sqlite import lanes as sqlite_lanes
from middleware.store.sqlite import outbox as sqlite_outbox
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LANE = Lane("prop-1", "restrictions")
AVAIL = Lane("prop-1", "availability")
D21, D22, D23 = date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def cells(*items: tuple[str, date, dict[str, FieldValue]]) -> Cells:
    return {CellKey(entity, day): dict(fields) for entity, day, fields in items}


def keyless(value: Any) -> Any:
    """A claim or push record with its random idempotency key blanked (the rest compared)."""
    if isinstance(value, Claim | PushRecord):
        return dataclasses.replace(value, idempotency_key="")
    if isinstance(value, list):
        return [keyless(item) for item in value]
    return value


def outbox_pg(db: PostgresDatabase) -> PostgresOutbox:
    return PostgresOutbox(db, PostgresLanes(db))


def ok(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "task_ids": ["task-1"],
        "warnings": [],
        "rejected": [],
        "values_count": 3,
        "bytes_sent": 120,
        "calls": 1,
        "payload_sha256": "ab" * 32,
        "duration_ms": 40,
    }
    return base | overrides


async def _scenario(box: Any, acked: Any, lanes: Any) -> list[Any]:
    """Every outbox operation through each coalescing rule; every result kept."""
    out: list[Any] = []
    rate = Decimal("120.50")
    out.append(
        await box.enqueue(LANE, cells(("r1", D21, {"rate": rate, "stop_sell": False})), at(0))
    )
    out.append(await box.enqueue(LANE, cells(("r1", D21, {"rate": Decimal("99")})), at(1)))
    out.append(await box.enqueue(AVAIL, cells(("rt", D22, {"availability": 3})), at(2)))
    out.append(await box.due_lanes(at(3), debounce_s=5, max_delay_s=60))
    out.append(await box.due_lanes(at(7), debounce_s=5, max_delay_s=60))
    first = await box.claim(LANE, at(8), lease_s=120)
    out.append(first)
    out.append(await box.claim(LANE, at(8), lease_s=120))  # one push per lane at a time
    out.append(await box.enqueue(LANE, cells(("r1", D21, {"stop_sell": True})), at(9)))
    out.append(await box.backlog(at(9)))
    await box.complete(
        first,
        at(10),
        **ok(warnings=[{"code": "w", "n": 1}], rejected=[(CellKey("r1", D21), "rate")]),
    )
    out.append(await acked.acked(LANE, None, D21, D23))
    out.append(await box.effective_state(LANE, ["r1"], D21, D23))
    # the rejected field: dead until its value changes; an equal value is not resent
    out.append(
        await box.enqueue_diff(
            LANE, cells(("r1", D21, {"rate": Decimal("99")})), at(11), day_from=D21, day_to=D23
        )
    )
    out.append(await box.enqueue(LANE, cells(("r1", D21, {"rate": Decimal("98")})), at(12)))
    # change then revert to the acked value: nothing left to send for that field
    out.append(await box.enqueue(LANE, cells(("r1", D21, {"stop_sell": True})), at(13)))
    out.append(await box.enqueue(LANE, cells(("r1", D21, {"stop_sell": False})), at(14)))
    out.append(
        await box.enqueue_diff(
            LANE,
            cells(("r1", D22, {"min_stay_arrival": 2}), ("r1", D23, {"max_stay": 9})),
            at(15),
            day_from=D22,
            day_to=D22,
        )
    )
    second = await box.claim(LANE, at(20), lease_s=120)
    out.append(second)
    out.append(
        await box.fail(
            second, at(21), error="timeout", retry_at=at(40), max_attempts=2, outcome_unknown=True
        )
    )
    out.append(await lanes.states(at(21)))
    out.append(await box.due_lanes(at(30), debounce_s=5, max_delay_s=60))
    third = await box.claim(LANE, at(41), lease_s=120)
    out.append(await box.fail(third, at(42), error="5xx", retry_at=at(50), max_attempts=2))
    out.append(await box.backlog(at(43)))
    out.append(await box.retry_dead(at(44), property_id="prop-1", kind="restrictions"))
    fourth = await box.claim(LANE, at(60), lease_s=120)
    out.append(await box.reject(fourth, at(61), error="422 bad rate"))
    out.append(
        await box.enqueue(LANE, cells(("r1", D22, {"min_stay_arrival": 2})), at(62), full_sync=True)
    )
    out.append(
        await box.enqueue_diff(
            LANE,
            cells(("r1", D21, {"stop_sell": False})),
            at(63),
            day_from=D21,
            day_to=D21,
            force=True,
            full_sync=True,
        )
    )
    out.append(await box.retry_dead(at(64)))
    avail = await box.claim(AVAIL, at(65), lease_s=30)
    out.append(avail)
    out.append(await box.release_expired(at(90)))
    out.append(await box.release_expired(at(96)))
    out.append(await box.claim(AVAIL, at(97), lease_s=30))
    out.append(await box.drop_past("prop-1", D22))
    out.append(await box.backlog(at(98)))
    out.append(await box.effective_state(LANE, ["r1", "rt"], D21, D23))
    out.append(await box.recent_pushes(limit=10))
    out.append(await box.recent_pushes(limit=2, property_id="prop-1"))
    out.append(await box.recent_pushes(property_id="prop-9"))
    out.append(await lanes.states(at(99)))
    result: list[Any] = keyless(out)
    return result  # fmt: skip


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        expected = await _scenario(
            Bound(sqlite_outbox, sqlite_db),
            Bound(sqlite_ari_state, sqlite_db),
            Bound(sqlite_lanes, sqlite_db),
        )
    finally:
        await sqlite_db.close()
    got = await _scenario(outbox_pg(pg_db), PostgresAriState(pg_db), PostgresLanes(pg_db))
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


LANES = [
    Lane(f"prop-{n:02d}", kind) for n in range(10) for kind in ("availability", "restrictions")
]


async def _claim_all(box: PostgresOutbox) -> list[Claim]:
    taken = []
    for lane in await box.due_lanes(at(10), debounce_s=0, max_delay_s=0):
        claim = await box.claim(lane, at(10), lease_s=120)
        if claim is not None:
            taken.append(claim)
    return taken


async def test_two_concurrent_claimers_never_take_the_same_lane(pg_url: str) -> None:
    first = await PostgresDatabase.open(pg_url, caller_clock=True)
    second = await PostgresDatabase.open(pg_url, caller_clock=True)
    try:
        a, b = outbox_pg(first), outbox_pg(second)
        for lane in LANES:
            field = "availability" if lane.kind == "availability" else "min_stay_arrival"
            await a.enqueue(lane, cells(("e", D21, {field: 2})), at(0))
        claims_a, claims_b = await asyncio.gather(_claim_all(a), _claim_all(b))
        lanes_a = [claim.lane for claim in claims_a]
        lanes_b = [claim.lane for claim in claims_b]
        assert set(lanes_a) & set(lanes_b) == set()
        assert sorted(lanes_a + lanes_b, key=str) == sorted(LANES, key=str)
        rows = await first.fetchall("SELECT count(*) AS n FROM pushes WHERE status = 'claimed'")
        assert rows == [{"n": len(LANES)}]
    finally:
        await first.close()
        await second.close()


async def test_a_crashed_workers_lease_is_taken_up_by_another(pg_url: str) -> None:
    first = await PostgresDatabase.open(pg_url, caller_clock=True)
    second = await PostgresDatabase.open(pg_url, caller_clock=True)
    try:
        crashed, survivor = outbox_pg(first), outbox_pg(second)
        await crashed.enqueue(AVAIL, cells(("rt", D21, {"availability": 4})), at(0))
        lost = await crashed.claim(AVAIL, at(1), lease_s=30)
        assert lost is not None
        await first.close()  # the worker dies holding the claim
        assert await survivor.claim(AVAIL, at(20), lease_s=30) is None
        assert await survivor.release_expired(at(31)) == 0  # lease_until = 31: not yet past
        assert await survivor.release_expired(at(32)) == 1
        again = await survivor.claim(AVAIL, at(32), lease_s=30)
        assert again is not None
        assert (again.lane, again.cells, again.claimed_at) == (AVAIL, lost.cells, at(32))
        assert again.push_id != lost.push_id
    finally:
        await second.close()


async def test_a_lease_runs_out_by_the_database_clock(pg_url: str) -> None:
    """Production clock: the caller's `now` (a year off) does not decide the lease."""
    db = await PostgresDatabase.open(pg_url)
    try:
        box = outbox_pg(db)
        far_future = at(365 * 86400)
        await box.enqueue(AVAIL, cells(("rt", D21, {"availability": 4})), at(0))
        claim = await box.claim(AVAIL, far_future, lease_s=3600)
        assert claim is not None
        assert await box.release_expired(far_future) == 0
        await db.execute("UPDATE pushes SET lease_until = lease_until - interval '2 hours'")
        assert await box.release_expired(at(0)) == 1
        assert await box.claim(AVAIL, at(0), lease_s=3600) is not None
    finally:
        await db.close()
