"""Channex emulator modifications: rooms dropped, reordered, added and renamed between revisions
(`from`, `renew_booking_room_ids`), as real Channex revisions do (contract §5.2a)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.channex_booking_values import BookingSpecError
from tests.sandbox.channex_harness import Api, Hotel, make_hotel, running


def emulator() -> ChannexEmulator:
    return ChannexEmulator(today=lambda: date(2026, 11, 1))


def room(h: Hotel, room_type_id: str, adults: int, amount: str) -> dict[str, Any]:
    return {
        "room_type_id": room_type_id,
        "rate_plan_id": h.twin_bar if room_type_id == h.twin else h.double_bar,
        "checkin_date": "2026-11-21",
        "checkout_date": "2026-11-23",
        "adults": adults,
        "amount": amount,
    }


async def rooms_of(api: Api, revision_id: str) -> list[dict[str, Any]]:
    status, body = await api.get(f"/booking_revisions/{revision_id}")
    assert status == 200, body
    rooms: list[dict[str, Any]] = body["data"]["attributes"]["rooms"]
    return rooms


def ids(rooms: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(r["booking_room_id"], r["ota_unique_id"]) for r in rooms]


async def two_rooms(emu: ChannexEmulator, api: Api) -> tuple[Hotel, str, list[dict[str, Any]]]:
    h = await make_hotel(api)
    booking_id, first = emu.create_booking(
        rooms=[room(h, h.twin, 2, "200.00"), room(h, h.double, 1, "150.00")]
    )
    return h, booking_id, await rooms_of(api, first)


async def test_dropping_the_first_room_keeps_the_second_one_whole() -> None:
    emu = emulator()
    async with running(emu) as api:
        _, booking_id, before = await two_rooms(emu, api)
        status, body = await api.post(
            f"/_control/bookings/{booking_id}/modify", {"rooms": [{"from": 1}]}
        )
        assert status == 200, body
        after = await rooms_of(api, body["revision_id"])
    assert [r["ota_unique_id"] for r in before] == ["49", "50"]
    assert after == [before[1]]


async def test_reordering_keeps_every_room_and_fields_given_override_inherited_ones() -> None:
    emu = emulator()
    async with running(emu) as api:
        _, booking_id, before = await two_rooms(emu, api)
        second = emu.modify_booking(booking_id, rooms=[{"from": 1, "adults": 2}, {"from": 0}])
        after = await rooms_of(api, second)
    assert after == [{**before[1], "occupancy": {**before[1]["occupancy"], "adults": 2}}, before[0]]


async def test_an_item_without_from_is_a_new_room_and_unnamed_rooms_are_gone() -> None:
    emu = emulator()
    async with running(emu) as api:
        h, booking_id, before = await two_rooms(emu, api)
        second = emu.modify_booking(
            booking_id, rooms=[{"from": 0}, {"from": 1}, room(h, h.twin, 1, "180.00")]
        )
        third = emu.modify_booking(booking_id, rooms=[room(h, h.twin, 2, "200.00")])
        grown, replaced = await rooms_of(api, second), await rooms_of(api, third)
    assert grown[:2] == before
    assert grown[2]["ota_unique_id"] == "51"
    assert grown[2]["booking_room_id"] not in {r["booking_room_id"] for r in before}
    assert grown[2]["amount"] == "180.00"
    # same stay as the old room 0, but not named: a new room, new ids
    assert [r["ota_unique_id"] for r in replaced] == ["52"]
    assert replaced[0]["booking_room_id"] not in {r["booking_room_id"] for r in grown}


async def test_renewed_booking_room_ids_keep_the_ota_unique_ids() -> None:
    """Channex's own Booking.com example: `booking_room_id` changes, `ota_unique_id` stays."""
    emu = emulator()
    async with running(emu) as api:
        _, booking_id, before = await two_rooms(emu, api)
        status, body = await api.post(
            f"/_control/bookings/{booking_id}/modify",
            {"renew_booking_room_ids": True, "notes": "renewed"},
        )
        assert status == 200, body
        after = await rooms_of(api, body["revision_id"])
    assert [r["ota_unique_id"] for r in after] == ["49", "50"]
    assert not {r["booking_room_id"] for r in after} & {r["booking_room_id"] for r in before}
    strip = [{**r, "booking_room_id": None} for r in after]
    assert strip == [{**r, "booking_room_id": None} for r in before]


async def test_a_modification_without_rooms_moves_every_room_and_keeps_their_ids() -> None:
    emu = emulator()
    async with running(emu) as api:
        _, booking_id, before = await two_rooms(emu, api)
        second = emu.modify_booking(
            booking_id, checkin_date="2026-11-22", checkout_date="2026-11-24"
        )
        after = await rooms_of(api, second)
    assert ids(after) == ids(before)
    assert [(r["checkin_date"], r["days"]) for r in after] == [
        ("2026-11-22", {"2026-11-22": "100.00", "2026-11-23": "100.00"})
    ] * 2  # new nights are priced from the stored rates


@pytest.mark.parametrize(
    ("rooms", "message"),
    [
        ([{"from": 2}], r"rooms\[0\].from must index the previous 2 rooms"),
        ([{"from": 0}, {"from": 0}], r"rooms\[1\].from: room 0 is already taken"),
        ([{"from": True}], r"rooms\[0\].from must index"),
        ([], "rooms must be a non-empty list"),
    ],
)
async def test_a_bad_from_is_refused_and_changes_nothing(
    rooms: list[dict[str, Any]], message: str
) -> None:
    emu = emulator()
    async with running(emu) as api:
        _, booking_id, _ = await two_rooms(emu, api)
        with pytest.raises(BookingSpecError, match=message):
            emu.modify_booking(booking_id, rooms=rooms)
    assert len(emu.state.bookings[booking_id].revision_ids) == 1
