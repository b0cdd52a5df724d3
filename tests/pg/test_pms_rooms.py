"""Categorias the PMS did not serve, on PostgreSQL: the SQLite module's results on one
scenario, and workers recording reads of different hotels at once (none lost)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.pms_rooms import PostgresPmsRooms
from middleware.store.sqlite import notices as sqlite_notices
from middleware.store.sqlite import pms_rooms as sqlite_pms_rooms
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def _scenario(rooms: Any, notices: Any) -> list[Any]:
    out: list[Any] = []
    out.append(await rooms.last())
    await rooms.record(["dx", "ov"], at(1))
    out.append(await rooms.last())
    await rooms.record(["st"], at(2), covered={"st", "dx"}, mapped={"dx", "ov", "st", "lx"})
    out.append(await rooms.last())  # ov kept (not covered), dx served again
    out.append(await notices.open_notices())
    await rooms.record([], at(3), covered={"st"}, mapped={"st"})  # ov no longer mapped
    out.append(await rooms.last())
    out.append(await notices.open_notices())
    await rooms.record(["lx"], at(4))
    out.append(await rooms.last())
    out.append(await notices.open_notices())
    return out


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        expected = await _scenario(
            Bound(sqlite_pms_rooms, sqlite_db), Bound(sqlite_notices, sqlite_db)
        )
    finally:
        await sqlite_db.close()
    got = await _scenario(PostgresPmsRooms(pg_db), PostgresNotices(pg_db))
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


async def test_workers_recording_reads_of_different_hotels_at_once_lose_none(
    pg_url: str,
) -> None:
    """Eight workers, one hotel each, each finding its own categoria unserved at once."""
    codes = [f"cat-{n}" for n in range(8)]
    dbs = [await PostgresDatabase.open(pg_url, caller_clock=True) for _ in codes]
    try:
        await asyncio.gather(
            *(
                PostgresPmsRooms(db).record([code], at(1), covered={code}, mapped=set(codes))
                for db, code in zip(dbs, codes, strict=True)
            )
        )
        last = await PostgresPmsRooms(dbs[0]).last()
        assert last is not None
        assert last.categorias == tuple(codes)
        notices = await PostgresNotices(dbs[0]).open_notices()
        assert sorted(n.ref or "" for n in notices) == codes
    finally:
        for db in dbs:
            await db.close()
