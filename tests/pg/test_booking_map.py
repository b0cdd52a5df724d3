"""The booking map on PostgreSQL: the SQLite module's results on one scenario, and two
workers recording two revisions of one booking at once (the newer one stays)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from middleware.store.postgres.booking_map import PostgresBookingMap
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.sqlite import booking_map as sqlite_booking_map
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.db import Database
from tests.domain.test_booking_plan import make_request
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LOCK_POLLS = 5000
LEGACY = {
    "bk-a": {"pms_reserva_id": 501, "status": "confirmed", "last_revision_id": "rev-a"},
    "bk-b": {"qloapps_order_id": "77", "status": "cancelled", "revision_id": "rev-b"},
    "bk-c": {"status": "new"},
    "bk-d": "garbage",
    "bk-e": {"pms_reserva_id": "9", "status": "modified", "channex_property_id": "prop-1"},
    "bk-1": {"pms_reserva_id": "1", "status": "new"},  # already known: skipped
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def room(index: int, pms_id: str | None, *, active: bool = True, **changes: Any) -> Any:
    request = make_request(room_index=index, **changes) if changes else None
    return {
        "channex_booking_id": "bk-1",
        "room_index": index,
        "pms_id": pms_id,
        "active": active,
        "request": request,
    }


def booking(revision_id: str, inserted_s: float, status: str, ota: str | None) -> Any:
    return {
        "channex_booking_id": "bk-1",
        "property_id": "prop-1",
        "ota_code": ota,
        "status": status,
        "revision_id": revision_id,
        "inserted_at": at(inserted_s),
    }


async def _scenario(store: Any, queue: Any, tmp_path: Path) -> list[Any]:
    out: list[Any] = []
    applied = ("rev-1", "rev-3", "rev-2", "rev-3b")
    await queue.enqueue_many([(r, "bk-1", "prop-1") for r in applied], at(0), source="webhook")
    out.append(await store.load("bk-1"))
    await store.save_room(**room(0, None, guest_name="Ana"), revision_id="rev-1", now=at(1))
    out.append(await store.load("bk-1"))  # rooms, no booking row yet
    await store.save_room(**room(0, "pms-10", guest_name="Ana"), revision_id="rev-1", now=at(2))
    await store.save_room(**room(1, "pms-11", adults=1), revision_id="rev-1", now=at(2))
    out.append(await store.record_applied(**booking("rev-1", 0, "new", "BDC-1"), now=at(3)))
    out.append(await store.record_applied(**booking("rev-3", 20, "modified", None), now=at(4)))
    out.append(await store.record_applied(**booking("rev-2", 10, "modified", "X"), now=at(5)))
    out.append(await store.record_applied(**booking("rev-3b", 20, "cancelled", None), now=at(6)))
    await store.save_room(**room(1, "pms-11", active=False), revision_id="rev-3b", now=at(6))
    out.append(await store.load("bk-1"))
    out.append([(await queue.get(r)).status for r in applied])  # older ones applied too
    path = tmp_path / "bookings.json"
    path.write_bytes(orjson.dumps(LEGACY))
    out.append(await store.import_legacy(path, at(7)))
    for key in ("bk-a", "bk-b", "bk-e", "bk-c"):
        out.append(await store.load(key))
    out.append(await store.import_legacy(path, at(8)))
    out.append(await store.import_legacy(tmp_path / "missing.json", at(9)))
    (tmp_path / "list.json").write_bytes(b"[1, 2]")
    out.append(await store.import_legacy(tmp_path / "list.json", at(9)))
    return out


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        expected = await _scenario(
            Bound(sqlite_booking_map, sqlite_db), Bound(sqlite_revisions, sqlite_db), tmp_path
        )
    finally:
        await sqlite_db.close()
    got = await _scenario(PostgresBookingMap(pg_db), PostgresRevisions(pg_db), tmp_path)
    assert expected[7] == ["applied"] * 4
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


async def _waiting_on_a_lock(db: PostgresDatabase) -> None:
    """Return once another session of this database waits for a row lock (the server is
    asked until it says so; a few thousand asks without it fail the test)."""
    for _ in range(LOCK_POLLS):
        if await db.fetchall(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        ):
            return
        await asyncio.sleep(0)
    raise AssertionError("no session came to wait on the row lock")


@pytest.mark.parametrize(
    ("first_in", "then"),
    [(("rev-old", 10), ("rev-new", 20)), (("rev-new", 20), ("rev-old", 10))],
)
async def test_of_two_revisions_recorded_at_once_the_newer_stays(
    pg_url: str, first_in: tuple[str, float], then: tuple[str, float]
) -> None:
    """Two workers record revisions of one booking at once: the first holds its transaction
    open until the second waits on the row; whichever came first, the newer revision stays."""
    dbs = [await PostgresDatabase.open(pg_url, caller_clock=True) for _ in range(3)]
    try:
        written = asyncio.Event()

        async def hold(db: PostgresDatabase) -> bool:
            async with db.transaction() as conn:
                saved = await PostgresBookingMap(db).save_booking_in(
                    conn, **booking(first_in[0], first_in[1], "modified", None), now=at(1)
                )
                written.set()
                await _waiting_on_a_lock(dbs[2])
                return saved

        async def follow(db: PostgresDatabase) -> bool:
            await written.wait()
            async with db.transaction() as conn:
                return await PostgresBookingMap(db).save_booking_in(
                    conn, **booking(then[0], then[1], "modified", None), now=at(2)
                )

        saved = await asyncio.gather(hold(dbs[0]), follow(dbs[1]))
        assert list(saved) == [True, then[0] == "rev-new"]
        stored = await PostgresBookingMap(dbs[2]).load("bk-1")
        assert stored is not None
        assert (stored.last_revision_id, stored.last_inserted_at) == ("rev-new", at(20))
    finally:
        for db in dbs:
            await db.close()
