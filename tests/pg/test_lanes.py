"""Lanes on PostgreSQL: the rate limit holds across connections, the 429 pause is shared,
and every operation gives what the SQLite module gives."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.domain.models import Lane
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.sqlite import lanes as sqlite_lanes
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LANE = Lane("prop-1", "availability")
HOUR_S = 3600.0  # a window no test run outlasts


async def test_thirty_concurrent_reservers_admit_exactly_the_limit(pg_url: str) -> None:
    """30 reservers at once, each on its own connection, by the database clock: 10 go."""
    db = await PostgresDatabase.open(pg_url, min_size=30, max_size=30)
    store = PostgresLanes(db)
    try:
        answers = await asyncio.gather(
            *(store.reserve_call(LANE, T0, limit=10, window_s=HOUR_S) for _ in range(30))
        )
        assert sum(answer is None for answer in answers) == 10
        state = await store.get(LANE, T0, window_s=HOUR_S)
        assert state is not None and state.calls_in_window == 10
        # every refusal names a slot an hour after the first admitted call
        first = min((await db.fetchall("SELECT min(sent_at) AS t FROM rate_calls"))[0].values())
        assert {a for a in answers if a is not None} == {first + timedelta(seconds=HOUR_S)}
    finally:
        await db.close()


async def test_concurrent_reservers_under_a_test_clock_admit_exactly_the_limit(
    pg_url: str,
) -> None:
    db = await PostgresDatabase.open(pg_url, caller_clock=True, min_size=30, max_size=30)
    store = PostgresLanes(db)
    try:
        answers = await asyncio.gather(*(store.reserve_call(LANE, T0, limit=10) for _ in range(30)))
        assert (
            sorted(answers, key=lambda a: a is not None)
            == [None] * 10 + [T0 + timedelta(seconds=60)] * 20
        )
    finally:
        await db.close()


async def test_a_429_pause_holds_every_worker(pg_url: str) -> None:
    """Two processes (two pools): one is told 429 and pauses; the other sees the pause, is
    refused a read-back, and its own 429 climbs the same ladder."""
    first = await PostgresDatabase.open(pg_url, caller_clock=True)
    second = await PostgresDatabase.open(pg_url, caller_clock=True)
    try:
        a, b = PostgresLanes(first), PostgresLanes(second)
        until = await a.pause(LANE, T0, retry_after_s=None)
        assert until == T0 + timedelta(seconds=60)
        seen = await b.get(LANE, T0)
        assert seen is not None and (seen.pause_count, seen.paused_until) == (1, until)
        assert await b.reserve_read(LANE, T0, limit=10) is False
        assert await b.pause(LANE, T0, retry_after_s=None) == T0 + timedelta(seconds=120)
        await a.clean_push(LANE, T0)
        assert await b.reserve_read(LANE, T0, limit=10) is True
    finally:
        await first.close()
        await second.close()


async def _scenario(store: Any, record: Any) -> list[Any]:
    """Every lanes operation, in an order that touches each rule; the results in a list."""
    other = Lane("prop-2", "restrictions")
    out: list[Any] = []
    for step in range(12):
        out.append(await store.reserve_call(LANE, T0 + timedelta(seconds=step), limit=10))
    out.append(
        await store.call_answered(LANE, T0 + timedelta(seconds=1), T0 + timedelta(seconds=3))
    )
    out.append(await store.reserve_call(LANE, T0 + timedelta(seconds=61), limit=10))
    out.append(await store.reserve_read(LANE, T0 + timedelta(seconds=62), limit=10))
    out.append(await store.reserve_read(other, T0, limit=10))
    out.append(await store.reserve_read(other, T0, limit=10, own_limit=1))
    out.append(await store.reserve_read(other, T0, limit=10, own_limit=1))
    out.append(await store.pause(other, T0, retry_after_s=30))
    out.append(await store.pause(other, T0, retry_after_s=500))
    out.append(await store.reserve_read(other, T0 + timedelta(seconds=5), limit=10))
    await record("record_failure", other, T0, error="boom", retry_at=T0 + timedelta(seconds=9))
    await record("record_failure", other, T0, error="boom 2", retry_at=T0 + timedelta(seconds=19))
    out.append(await store.states(T0 + timedelta(seconds=30)))
    await store.clean_push(other, T0)
    await record("record_success", other, T0 + timedelta(seconds=40))
    await record("record_rejection", LANE, T0 + timedelta(seconds=41), error="no")
    out.append(await store.states(T0 + timedelta(seconds=62)))
    out.append(await store.get(LANE, T0 + timedelta(seconds=62)))
    out.append(await store.get(Lane("prop-3", "availability"), T0))
    return out


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    pg = PostgresLanes(pg_db)

    async def record_sqlite(name: str, *args: Any, **kwargs: Any) -> None:
        async with sqlite_db.transaction() as conn:
            await getattr(sqlite_lanes, name)(conn, *args, **kwargs)

    async def record_pg(name: str, *args: Any, **kwargs: Any) -> None:
        async with pg_db.transaction() as conn:
            await getattr(pg, name)(conn, *args, **kwargs)

    try:
        expected = await _scenario(Bound(sqlite_lanes, sqlite_db), record_sqlite)
    finally:
        await sqlite_db.close()
    assert await _scenario(pg, record_pg) == expected
