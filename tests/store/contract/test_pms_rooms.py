"""The record of mapped categorias sistema-os did not serve: a read of one hotel (or of some
rooms) leaves what an earlier read found for the others, while they are still mapped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.store import pms_rooms
from middleware.store.port import Store

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def open_refs(store: Store) -> list[str]:
    return sorted(
        n.ref or "" for n in await store.notices.open_notices() if n.kind == pms_rooms.NOTICE
    )


async def test_a_read_of_one_hotel_keeps_the_other_hotels_findings(store: Store) -> None:
    mapped = ("h1-lvu", "h1-ov", "h2-lvu")
    await store.pms_rooms.record(["h1-ov"], T0, covered=("h1-lvu", "h1-ov"), mapped=mapped)
    await store.pms_rooms.record(["h2-lvu"], T0, covered=("h2-lvu",), mapped=mapped)
    later = T0 + timedelta(seconds=5)
    assert await store.pms_rooms.last() == pms_rooms.Unserved(at=T0, categorias=("h1-ov", "h2-lvu"))
    assert await open_refs(store) == ["h1-ov", "h2-lvu"]

    # hotel 1 serves its room again: only its own finding goes
    await store.pms_rooms.record([], later, covered=("h1-lvu", "h1-ov"), mapped=mapped)
    assert await store.pms_rooms.last() == pms_rooms.Unserved(at=later, categorias=("h2-lvu",))
    assert await open_refs(store) == ["h2-lvu"]

    # hotel 2's room leaves the mapping: the next read of anyone forgets it
    await store.pms_rooms.record([], later, covered=("h1-lvu",), mapped=("h1-lvu", "h1-ov"))
    assert await store.pms_rooms.last() == pms_rooms.Unserved(at=later, categorias=())
    assert await open_refs(store) == []


async def test_a_read_of_everything_replaces_the_record(store: Store) -> None:
    await store.pms_rooms.record(["ov"], T0, covered=("ov",))
    await store.pms_rooms.record(["lvu"], T0)
    assert await store.pms_rooms.last() == pms_rooms.Unserved(at=T0, categorias=("lvu",))
    assert await open_refs(store) == ["lvu"]
