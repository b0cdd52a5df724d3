"""Wake-ups on PostgreSQL: the SQLite module's results on one scenario; workers claiming at
once never take one wake-up twice, and a dead worker's wake-up is taken when its lease ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.wakeups import PostgresWakeups
from middleware.store.sqlite import wakeups as sqlite_wakeups
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def _scenario(wakeups: Any) -> list[Any]:
    out: list[Any] = []
    out.append(await wakeups.claim("poll_feed", at(0), lease_s=30))
    out.append(await wakeups.ask("poll_feed", by="admin ana", now=at(1)))
    out.append(await wakeups.ask("process_bookings", by="console", now=at(2)))
    out.append(await wakeups.ask("poll_feed", by="cli", now=at(3)))
    out.append(await wakeups.claim("poll_feed", at(4), lease_s=30))
    out.append(await wakeups.claim("poll_feed", at(5), lease_s=30))  # leased
    out.append(await wakeups.ask("poll_feed", by="admin bo", now=at(6)))
    out.append(await wakeups.claim("poll_feed", at(7), lease_s=30))  # only the new one
    out.append(await wakeups.get(1))
    await wakeups.finish([1, 3], at(8), result='{"found": 2}')
    out.append(await wakeups.claim("poll_feed", at(35), lease_s=30))  # 1 and 3 done
    out.append(await wakeups.claim("poll_feed", at(38), lease_s=30))  # 4's lease ran out
    out.append([await wakeups.get(n) for n in (1, 2, 3, 4, 9)])
    # work about one thing (the kinds migration 10 / 0004 added): the newest ask per subject
    out.append(await wakeups.ask("ack_handled", by="console", now=at(40), subject="rev-1"))
    out.append(await wakeups.ask("read_back", by="console", now=at(41), subject="h1/2026-12"))
    out.append(await wakeups.ask("ack_handled", by="admin", now=at(42), subject="rev-1"))
    out.append(await wakeups.latest("ack_handled", "rev-1"))
    out.append(await wakeups.latest("ack_handled", "rev-1", done=True))
    await wakeups.finish([5], at(43), result='{"acked": true}')
    out.append(await wakeups.latest("ack_handled", "rev-1", done=True))
    out.append(await wakeups.latest("read_back", "h1/2026-12"))
    out.append(await wakeups.claim("read_catalog", at(44), lease_s=30))
    return out


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        expected = await _scenario(Bound(sqlite_wakeups, sqlite_db))
    finally:
        await sqlite_db.close()
    got = await _scenario(PostgresWakeups(pg_db))
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


async def test_workers_claiming_at_once_never_take_one_wakeup_twice(pg_url: str) -> None:
    dbs = [await PostgresDatabase.open(pg_url, caller_clock=True) for _ in range(4)]
    try:
        asker = PostgresWakeups(dbs[0])
        asked = [await asker.ask("process_bookings", by=f"web {n}", now=at(0)) for n in range(30)]

        async def worker(wakeups: PostgresWakeups) -> list[int]:
            taken: list[int] = []
            for _ in range(5):
                taken.extend(await wakeups.claim("process_bookings", at(1), lease_s=60))
                await asker.ask("process_bookings", by="web", now=at(1))
            return taken

        claims = await asyncio.gather(*(worker(PostgresWakeups(db)) for db in dbs))
        taken = [wakeup_id for ids in claims for wakeup_id in ids]
        assert len(taken) == len(set(taken))
        assert set(asked) <= set(taken)
    finally:
        for db in dbs:
            await db.close()


async def test_a_dead_workers_wakeup_is_taken_when_its_lease_runs_out(pg_url: str) -> None:
    first = await PostgresDatabase.open(pg_url, caller_clock=True)
    second = await PostgresDatabase.open(pg_url, caller_clock=True)
    try:
        dead, alive = PostgresWakeups(first), PostgresWakeups(second)
        wakeup_id = await dead.ask("parity_check", by="console", now=at(0))
        assert await dead.claim("parity_check", at(1), lease_s=30) == [wakeup_id]
        await first.close()
        assert await alive.claim("parity_check", at(31), lease_s=30) == []
        assert await alive.claim("parity_check", at(32), lease_s=30) == [wakeup_id]
    finally:
        await second.close()


async def test_a_lease_runs_out_by_the_database_clock(pg_url: str) -> None:
    """Production clock: a caller a year ahead cannot take a wake-up another holds."""
    db = await PostgresDatabase.open(pg_url)
    try:
        wakeups = PostgresWakeups(db)
        wakeup_id = await wakeups.ask("poll_feed", by="admin", now=at(0))
        assert await wakeups.claim("poll_feed", at(0), lease_s=3600) == [wakeup_id]
        assert await wakeups.claim("poll_feed", at(365 * 86400), lease_s=3600) == []
        await db.execute("UPDATE wakeups SET taken_until = taken_until - interval '2 hours'")
        assert await wakeups.claim("poll_feed", at(0), lease_s=3600) == [wakeup_id]
    finally:
        await db.close()
