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
    """Two hotels that share the code "dx": each keeps its own finding."""
    mapped = {("h1", c) for c in ("dx", "ov", "st", "lx")} | {("h2", "dx")}
    out: list[Any] = []
    out.append((await rooms.last("h1"), await rooms.found()))
    await rooms.record("h1", ["dx", "ov"], at(1))
    await rooms.record("h2", ["dx"], at(1.5))
    out.append((await rooms.last("h1"), await rooms.last("h2")))
    await rooms.record("h1", ["st"], at(2), covered={"st", "dx"}, mapped=mapped)
    out.append(await rooms.found())  # h1: ov kept (not covered), dx served again; h2 kept
    out.append(await notices.open_notices())
    await rooms.record("h1", [], at(3), covered={"st"}, mapped={("h1", "st"), ("h2", "dx")})
    out.append(await rooms.found())  # h1's ov no longer mapped
    out.append(await notices.open_notices())
    await rooms.record("h2", [], at(4), covered={"dx"})
    out.append(await rooms.found())
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
    """Eight workers, one hotel each, each finding the same code unserved at once."""
    hotels = [f"hotel-{n}" for n in range(8)]
    dbs = [await PostgresDatabase.open(pg_url, caller_clock=True) for _ in hotels]
    try:
        await asyncio.gather(
            *(
                PostgresPmsRooms(db).record(hotel, ["dx"], at(1), covered={"dx"})
                for db, hotel in zip(dbs, hotels, strict=True)
            )
        )
        found = await PostgresPmsRooms(dbs[0]).found()
        assert [(u.property_id, u.categorias) for u in found] == [(h, ("dx",)) for h in hotels]
        notices = await PostgresNotices(dbs[0]).open_notices()
        assert sorted(n.ref or "" for n in notices) == [f"{h}/dx" for h in hotels]
    finally:
        for db in dbs:
            await db.close()
