"""The record of mapped categorias sistema-os did not serve, kept per property: a read of one
hotel (or of some rooms) leaves what an earlier read found for the others, while they are
still mapped — and two hotels that both map a categoria code never clear or flip each other's
finding or notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.store import pms_rooms
from middleware.store.pms_rooms import Unserved
from middleware.store.port import Store

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=5)


async def open_notices(store: Store) -> list[tuple[str | None, str]]:
    return sorted(
        (n.property_id, n.ref or "")
        for n in await store.notices.open_notices()
        if n.kind == pms_rooms.NOTICE
    )


async def test_a_read_of_one_hotel_keeps_the_other_hotels_findings(store: Store) -> None:
    mapped = {("h1", "lvu"), ("h1", "ov"), ("h2", "lvu")}
    await store.pms_rooms.record("h1", ["ov"], T0, covered=("lvu", "ov"), mapped=mapped)
    await store.pms_rooms.record("h2", ["lvu"], T0, covered=("lvu",), mapped=mapped)
    assert await store.pms_rooms.found() == [
        Unserved(property_id="h1", at=T0, categorias=("ov",)),
        Unserved(property_id="h2", at=T0, categorias=("lvu",)),
    ]
    assert await open_notices(store) == [("h1", "h1/ov"), ("h2", "h2/lvu")]

    # hotel 1 serves its room again: only its own finding goes
    await store.pms_rooms.record("h1", [], LATER, covered=("lvu", "ov"), mapped=mapped)
    assert await store.pms_rooms.found() == [
        Unserved(property_id="h1", at=LATER, categorias=()),
        Unserved(property_id="h2", at=T0, categorias=("lvu",)),
    ]
    assert await open_notices(store) == [("h2", "h2/lvu")]

    # hotel 2's room leaves the mapping: the next read of anyone forgets it
    await store.pms_rooms.record("h1", [], LATER, covered=("lvu",), mapped={("h1", "lvu")})
    assert await store.pms_rooms.last("h2") == Unserved(property_id="h2", at=T0, categorias=())
    assert await open_notices(store) == []


async def test_two_hotels_sharing_a_code_keep_their_own_finding(store: Store) -> None:
    """Both map "ov"; hotel 1's PMS lacks it, hotel 2's serves it: each read of hotel 2 (all
    its rooms, or "ov" alone) leaves hotel 1's finding and notice as they were, and hotel 1
    serving it again clears only hotel 1's."""
    mapped = {("h1", "ov"), ("h1", "lvu"), ("h2", "ov")}
    await store.pms_rooms.record("h1", ["ov"], T0, mapped=mapped)
    for covered in (None, ("ov",)):
        await store.pms_rooms.record("h2", [], LATER, covered=covered, mapped=mapped)
        assert await store.pms_rooms.found() == [
            Unserved(property_id="h1", at=T0, categorias=("ov",)),
            Unserved(property_id="h2", at=LATER, categorias=()),
        ]
        assert await open_notices(store) == [("h1", "h1/ov")]

    # now hotel 2 lacks it too: two notices, one per hotel, neither refreshing the other
    await store.pms_rooms.record("h2", ["ov"], LATER, mapped=mapped)
    assert await open_notices(store) == [("h1", "h1/ov"), ("h2", "h2/ov")]
    await store.pms_rooms.record("h1", [], LATER, covered=("ov",), mapped=mapped)
    assert await open_notices(store) == [("h2", "h2/ov")]
    assert [u.categorias for u in await store.pms_rooms.found()] == [(), ("ov",)]


async def test_a_read_of_every_room_replaces_the_property_record(store: Store) -> None:
    await store.pms_rooms.record("h1", ["ov"], T0, covered=("ov",))
    await store.pms_rooms.record("h1", ["lvu"], T0)
    assert await store.pms_rooms.found() == [Unserved(property_id="h1", at=T0, categorias=("lvu",))]
    assert await open_notices(store) == [("h1", "h1/lvu")]
    assert await store.pms_rooms.last("h2") is None
