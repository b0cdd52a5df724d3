"""Sync requests on PostgreSQL: the SQLite module's results on one scenario, and several
workers claiming and splitting at once (no request taken twice, none copied twice)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.sync_requests import PostgresSyncRequests
from middleware.store.sqlite import sync_requests as sqlite_sync_requests
from middleware.store.sqlite.db import Database
from middleware.store.sync_requests import SyncRequest
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
D1, D9 = date(2026, 12, 1), date(2026, 12, 9)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def _scenario(requests: Any, in_tx: Any) -> list[Any]:
    out: list[Any] = []
    out.append(
        await requests.request(
            source="pms_notice",
            now=at(0),
            property_id="p1",
            room_codes={"ov", "dx"},
            date_from=D1,
            date_to=D9,
        )
    )
    out.append(await requests.request(source="booking", now=at(1), property_id="p1", due_in_s=30))
    out.append(await in_tx(source="nightly", now=at(2), full_sync=True))
    out.append(await requests.request(source="admin", now=at(3), property_id="p2", due_in_s=60))
    out.append(await requests.pending_count())
    out.append(await requests.due_properties(at(4)))  # the unscoped one is not split yet
    out.append(await requests.split_unscoped(["p1", "p2", "p3"], at(5)))
    out.append(await requests.split_unscoped(["p1", "p2", "p3"], at(5)))
    out.append(await requests.due_properties(at(6)))
    first = await requests.claim_due_for("p1", at(7), lease_s=60)
    out.append(first)
    out.append(await requests.claim_due_for("p1", at(8), lease_s=60))
    out.append(await requests.claim_due_for("p2", at(8), lease_s=60))  # its own share + fresh
    await requests.retry_later([r.id for r in first], at(9), retry_at=at(100), error="PMS 503")
    out.append(await requests.last_error())
    out.append(await requests.claim_due_for("p1", at(50), lease_s=60))  # in backoff: waits
    out.append(await requests.claim_due_for("p1", at(100), lease_s=60))
    out.append(await requests.claim_due(at(101), lease_s=10))  # p3's share, p2's (leased)
    out.append(await requests.claim_due(at(120), lease_s=10))  # p2's lease ran out at 68
    await requests.finish([1, 2, 3, 4, 5, 6], at(121))
    out.append(await requests.pending_count())
    out.append(await requests.last_error())
    out.append(await requests.request(source="admin", now=at(122)))
    out.append(await requests.split_unscoped([], at(123)))
    out.append(await requests.pending_count())
    out.append(await requests.claim_due(at(124), lease_s=10))
    return out  # fmt: skip


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    pg_requests = PostgresSyncRequests(pg_db)

    async def sqlite_tx(**kwargs: Any) -> int:
        async with sqlite_db.transaction() as conn:
            return await sqlite_sync_requests.insert(conn, **kwargs)

    async def pg_tx(**kwargs: Any) -> int:
        async with pg_db.transaction() as conn:
            return await pg_requests.insert(conn, **kwargs)

    try:
        expected = await _scenario(Bound(sqlite_sync_requests, sqlite_db), sqlite_tx)
    finally:
        await sqlite_db.close()
    got = await _scenario(pg_requests, pg_tx)
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


PROPERTIES = [f"p{n}" for n in range(8)]


async def _work(requests: PostgresSyncRequests) -> list[SyncRequest]:
    """One worker's ARI loop, without the PMS: split, then claim every property's share."""
    taken: list[SyncRequest] = []
    for _ in range(3):
        await requests.split_unscoped(PROPERTIES, at(10))
        for property_id in await requests.due_properties(at(10)):
            taken.extend(await requests.claim_due_for(property_id, at(10), lease_s=600))
        taken.extend(await requests.claim_due(at(10), lease_s=600))
    return taken


async def test_concurrent_workers_never_take_one_request_twice(pg_url: str) -> None:
    """Four workers on four pools at once: each request (the unscoped ones split once, a
    share per property) is taken by exactly one of them."""
    dbs = [await PostgresDatabase.open(pg_url, caller_clock=True) for _ in range(4)]
    try:
        asker = PostgresSyncRequests(dbs[0])
        for n in range(40):
            await asker.request(source="pms_notice", now=at(0), property_id=PROPERTIES[n % 8])
        for _ in range(5):
            await asker.request(source="nightly", now=at(0), full_sync=True)
        claims = await asyncio.gather(*(_work(PostgresSyncRequests(db)) for db in dbs))
        claims.append(await _work(asker))  # what a busy moment left for the next pass
        ids = [request.id for taken in claims for request in taken]
        assert len(ids) == len(set(ids)) == 40 + 5 * len(PROPERTIES)
        shares = [r.property_id for taken in claims for r in taken if r.source == "nightly"]
        assert sorted(shares, key=str) == sorted(PROPERTIES * 5)
        assert await asker.pending_count() == 40 + 5 * len(PROPERTIES)  # all running
    finally:
        for db in dbs:
            await db.close()


async def test_a_crashed_workers_claim_is_taken_again_when_its_lease_runs_out(
    pg_url: str,
) -> None:
    first = await PostgresDatabase.open(pg_url, caller_clock=True)
    second = await PostgresDatabase.open(pg_url, caller_clock=True)
    try:
        crashed, survivor = PostgresSyncRequests(first), PostgresSyncRequests(second)
        await crashed.request(source="booking", now=at(0), property_id="p1")
        lost = await crashed.claim_due_for("p1", at(1), lease_s=30)
        await first.close()
        assert await survivor.due_properties(at(31)) == []
        assert await survivor.claim_due_for("p1", at(31), lease_s=30) == []
        assert await survivor.claim_due_for("p1", at(32), lease_s=30) == lost
    finally:
        await second.close()
