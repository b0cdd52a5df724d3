"""SQLite only: its tables, its transactions, its files.

The outbox: coalescing, in-flight protection, outcomes of a push, crash recovery.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from middleware.domain.models import CellKey, Cells, FieldValue, Lane
from middleware.store import outbox
from middleware.store.sqlite.store import SqliteStore

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


LANE = Lane("prop-1", "restrictions")


AVAIL = Lane("prop-1", "availability")


D21, D22, D23 = date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)


LEASE_S = 120.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def cells(*items: tuple[str, date, dict[str, FieldValue]]) -> Cells:
    return {CellKey(entity, day): dict(fields) for entity, day, fields in items}


async def push_ok(
    store: SqliteStore, claim: outbox.Claim, now: datetime, **overrides: object
) -> None:
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


async def ack(store: SqliteStore, lane: Lane, changes: Cells, now: datetime) -> None:
    """Put `changes` into ari_state the way production does: enqueue, claim, complete."""
    await store.outbox.enqueue(lane, changes, now)
    claim = await store.outbox.claim(lane, now, lease_s=LEASE_S)
    assert claim is not None
    await push_ok(store, claim, now)


async def acked(store: SqliteStore, lane: Lane = LANE) -> Cells:
    return await store.ari_state.acked(lane, None, D21, D23)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def test_release_expired_recovers_a_crashed_workers_claim(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    crashed = await SqliteStore.open(path)
    await crashed.outbox.enqueue(LANE, cells(("bar", D21, {"rate": Decimal(100)})), at(0))
    claim = await crashed.outbox.claim(LANE, at(1), lease_s=LEASE_S)
    assert claim is not None
    await crashed.close()  # the worker dies without completing

    store = await SqliteStore.open(path)
    try:
        assert await store.outbox.release_expired(at(1 + LEASE_S)) == 0
        assert await store.outbox.due_lanes(at(1 + LEASE_S), debounce_s=2, max_delay_s=6) == []
        assert await store.outbox.release_expired(at(2 + LEASE_S)) == 1
        assert await store.outbox.due_lanes(at(2 + LEASE_S), debounce_s=2, max_delay_s=6) == [LANE]
        again = await store.outbox.claim(LANE, at(2 + LEASE_S), lease_s=LEASE_S)
        assert again is not None and again.cells == claim.cells
        assert again.push_id != claim.push_id
    finally:
        await store.close()


async def test_two_processes_claiming_concurrently_never_share_a_row(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    one, two = await SqliteStore.open(path), await SqliteStore.open(path)
    try:
        all_lanes = [Lane(f"prop-{n}", kind) for n in range(4) for kind in ("availability",)]
        all_lanes += [Lane(f"prop-{n}", "restrictions") for n in range(4)]
        expected: dict[Lane, Cells] = {}
        for lane in all_lanes:
            name = "availability" if lane.kind == "availability" else "min_stay_arrival"
            changes: Cells = {
                CellKey(f"e{i}", D21 + timedelta(days=i)): {name: i + 1} for i in range(30)
            }
            await one.outbox.enqueue(lane, changes, at(0))
            expected[lane] = changes

        attempts = [
            store.outbox.claim(lane, at(10), lease_s=LEASE_S)
            for lane in all_lanes
            for store in (one, two)
        ]
        claims = [c for c in await asyncio.gather(*attempts) if c is not None]

        assert sorted(c.lane for c in claims) == sorted(all_lanes)
        assert {c.lane: c.cells for c in claims} == expected
        assert len({c.push_id for c in claims}) == len(all_lanes)
        flying = await one.db.fetchall("SELECT push_id, COUNT(*) AS n FROM outbox GROUP BY push_id")
        assert sorted((r["push_id"], r["n"]) for r in flying) == sorted(
            (c.push_id, 30) for c in claims
        )
    finally:
        await one.close()
        await two.close()
