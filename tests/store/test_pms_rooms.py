"""The record of mapped categorias sistema-os did not serve, kept per property: a read of one
hotel (or of some rooms) leaves what an earlier read found for the others, while they are
still mapped — and two hotels that both map a categoria code never clear or flip each other's
finding or notice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from middleware.store import notices, pms_rooms
from middleware.store.db import Database
from middleware.store.pms_rooms import Unserved

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=5)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.db")
    yield database
    await database.close()


async def open_notices(db: Database) -> list[tuple[str | None, str]]:
    return sorted(
        (n.property_id, n.ref or "")
        for n in await notices.open_notices(db)
        if n.kind == pms_rooms.NOTICE
    )


async def test_a_read_of_one_hotel_keeps_the_other_hotels_findings(db: Database) -> None:
    mapped = {("h1", "lvu"), ("h1", "ov"), ("h2", "lvu")}
    await pms_rooms.record(db, "h1", ["ov"], T0, covered=("lvu", "ov"), mapped=mapped)
    await pms_rooms.record(db, "h2", ["lvu"], T0, covered=("lvu",), mapped=mapped)
    assert await pms_rooms.found(db) == [
        Unserved(property_id="h1", at=T0, categorias=("ov",)),
        Unserved(property_id="h2", at=T0, categorias=("lvu",)),
    ]
    assert await open_notices(db) == [("h1", "h1/ov"), ("h2", "h2/lvu")]

    # hotel 1 serves its room again: only its own finding goes
    await pms_rooms.record(db, "h1", [], LATER, covered=("lvu", "ov"), mapped=mapped)
    assert await pms_rooms.found(db) == [
        Unserved(property_id="h1", at=LATER, categorias=()),
        Unserved(property_id="h2", at=T0, categorias=("lvu",)),
    ]
    assert await open_notices(db) == [("h2", "h2/lvu")]

    # hotel 2's room leaves the mapping: the next read of anyone forgets it
    await pms_rooms.record(db, "h1", [], LATER, covered=("lvu",), mapped={("h1", "lvu")})
    assert await pms_rooms.last(db, "h2") == Unserved(property_id="h2", at=T0, categorias=())
    assert await open_notices(db) == []


async def test_two_hotels_sharing_a_code_keep_their_own_finding(db: Database) -> None:
    """Both map "ov"; hotel 1's PMS lacks it, hotel 2's serves it: each read of hotel 2 (all
    its rooms, or "ov" alone) leaves hotel 1's finding and notice as they were, and hotel 1
    serving it again clears only hotel 1's."""
    mapped = {("h1", "ov"), ("h1", "lvu"), ("h2", "ov")}
    await pms_rooms.record(db, "h1", ["ov"], T0, mapped=mapped)
    for covered in (None, ("ov",)):
        await pms_rooms.record(db, "h2", [], LATER, covered=covered, mapped=mapped)
        assert await pms_rooms.found(db) == [
            Unserved(property_id="h1", at=T0, categorias=("ov",)),
            Unserved(property_id="h2", at=LATER, categorias=()),
        ]
        assert await open_notices(db) == [("h1", "h1/ov")]

    # now hotel 2 lacks it too: two notices, one per hotel, neither refreshing the other
    await pms_rooms.record(db, "h2", ["ov"], LATER, mapped=mapped)
    assert await open_notices(db) == [("h1", "h1/ov"), ("h2", "h2/ov")]
    await pms_rooms.record(db, "h1", [], LATER, covered=("ov",), mapped=mapped)
    assert await open_notices(db) == [("h2", "h2/ov")]
    assert [u.categorias for u in await pms_rooms.found(db)] == [(), ("ov",)]


async def test_a_read_of_every_room_replaces_the_property_record(db: Database) -> None:
    await pms_rooms.record(db, "h1", ["ov"], T0, covered=("ov",))
    await pms_rooms.record(db, "h1", ["lvu"], T0)
    assert await pms_rooms.found(db) == [Unserved(property_id="h1", at=T0, categorias=("lvu",))]
    assert await open_notices(db) == [("h1", "h1/lvu")]
    assert await pms_rooms.last(db, "h2") is None
