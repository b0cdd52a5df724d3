"""Channex emulator bookings: revisions, the unacked feed, ack, bookings reads, control routes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.channex_booking_values import BookingSpecError
from tests.sandbox.channex_harness import Api, Hotel, make_hotel, running

SUCCESS = {"meta": {"message": "Success"}}
NOT_FOUND = {"errors": {"code": "resource_not_found", "title": "Resource Not Found"}}


class Ticker:
    """A wall clock that moves one second per reading."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 21, 12, 0, 0, 123456, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def emulator() -> ChannexEmulator:
    return ChannexEmulator(today=lambda: date(2026, 11, 1), now=Ticker())


def twin_stay(h: Hotel, **extra: Any) -> dict[str, Any]:
    room = {
        "room_type_id": h.twin,
        "rate_plan_id": h.twin_bar,
        "checkin_date": "2026-11-21",
        "checkout_date": "2026-11-23",
        "adults": 2,
        "children": 1,
    }
    return {"property_id": h.property_id, "rooms": [{**room, **extra}]}


async def revision(api: Api, revision_id: str) -> dict[str, Any]:
    status, body = await api.get(f"/booking_revisions/{revision_id}")
    assert status == 200, body
    assert body["data"]["type"] == "booking_revision"
    assert body["data"]["id"] == body["data"]["attributes"]["id"] == revision_id
    attrs: dict[str, Any] = body["data"]["attributes"]
    return attrs


async def test_new_revision_carries_the_full_booking_state() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        booking_id, revision_id = emu.create_booking(
            **twin_stay(h, amount="250.50"),
            customer={"name": "Ana", "surname": "Silva", "mail": "ana@example.com"},
            notes="late arrival",
        )
        attrs = await revision(api, revision_id)
    room = attrs["rooms"][0]
    assert len(room["booking_room_id"]) == 36
    assert attrs == {
        "id": revision_id,
        "booking_id": booking_id,
        "property_id": h.property_id,
        "unique_id": "BDC-9996013801",
        "system_id": "12331233101",
        "ota_reservation_code": "9996013801",
        "ota_name": "BookingCom",
        "status": "new",
        "arrival_date": "2026-11-21",
        "departure_date": "2026-11-23",
        "arrival_hour": None,
        "amount": "250.50",
        "currency": "USD",
        "notes": "late arrival",
        "occupancy": {"adults": 2, "children": 1, "infants": 0},
        "customer": {
            "name": "Ana",
            "surname": "Silva",
            "mail": "ana@example.com",
            "phone": None,  # a given customer lacks what it does not say
            "address": None,
            "city": None,
            "zip": None,
            "country": None,
            "language": None,
            "company": None,
            "meta": None,
        },
        "rooms": [
            {
                "room_type_id": h.twin,
                "rate_plan_id": h.twin_bar,
                "checkin_date": "2026-11-21",
                "checkout_date": "2026-11-23",
                "occupancy": {"adults": 2, "children": 1, "infants": 0, "ages": [8]},
                "amount": "250.50",
                "days": {"2026-11-21": "125.25", "2026-11-22": "125.25"},
                "guests": None,
                "services": [],
                "taxes": [],
                "collected_taxes": [],
                "booking_room_id": room["booking_room_id"],
                "ota_unique_id": "49",
                "is_cancelled": False,
                "meta": None,
            }
        ],
        "services": [],
        "guarantee": {
            "card_number": "411111******1111",
            "card_type": "VI",
            "cardholder_name": "Ana Silva",
            "cvv": "***",
            "expiration_date": "12/2030",
            "is_virtual": False,
            "meta": {},
        },
        "payment_collect": "property",
        "payment_type": "credit_card",
        "ota_commission": None,
        "channel_id": attrs["channel_id"],
        "secondary_ota": None,
        "is_crs_revision": False,
        "deposits": [],
        "agent": None,
        "meta": {},
        "inserted_at": "2026-11-21T12:00:01.123456",
        "acknowledge_status": "pending",
    }


async def test_modify_and_cancel_make_full_state_revisions_and_bookings_show_latest() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        booking_id, first = emu.create_booking(**twin_stay(h))  # amount from the plan: 2 × 100
        second = emu.modify_booking(
            booking_id, checkout_date="2026-11-24", customer={"surname": "Souza"}
        )
        third = emu.cancel_booking(booking_id)
        new, modified, cancelled = [await revision(api, r) for r in (first, second, third)]
        status, booking = await api.get(f"/bookings/{booking_id}")
    assert [r["status"] for r in (new, modified, cancelled)] == ["new", "modified", "cancelled"]
    assert (new["amount"], new["departure_date"]) == ("200.00", "2026-11-23")
    assert (modified["amount"], modified["departure_date"]) == ("300.00", "2026-11-24")
    assert modified["rooms"][0]["days"] == {
        "2026-11-21": "100.00",
        "2026-11-22": "100.00",
        "2026-11-23": "100.00",
    }
    assert modified["customer"]["surname"] == "Souza"
    assert modified["customer"]["name"] == "Guest"
    assert {new["unique_id"], modified["unique_id"], cancelled["unique_id"]} == {"BDC-9996013801"}
    assert [r["system_id"] for r in (new, modified, cancelled)] == [
        "12331233101",
        "12331233102",
        "12331233103",
    ]
    assert new["rooms"][0]["booking_room_id"] == cancelled["rooms"][0]["booking_room_id"]
    # a cancellation keeps its rooms, unflagged; nothing is due by default
    assert [room["is_cancelled"] for room in cancelled["rooms"]] == [False]
    assert (cancelled["amount"], cancelled["services"]) == ("0.00", [])
    assert cancelled["rooms"] == modified["rooms"]
    assert cancelled["departure_date"] == "2026-11-24"
    assert status == 200
    assert booking["data"]["id"] == booking_id
    assert booking["data"]["attributes"]["revision_id"] == third
    assert booking["data"]["attributes"]["status"] == "cancelled"
    with pytest.raises(BookingSpecError, match="already cancelled"):
        emu.cancel_booking(booking_id)


async def test_feed_pages_over_a_shrinking_unacked_set() -> None:
    """Acking between page reads shifts later pages: a client must re-read page 1."""
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        revisions = [emu.create_booking(**twin_stay(h))[1] for _ in range(5)]

        async def page(n: int) -> tuple[list[str], dict[str, Any]]:
            status, body = await api.get(
                "/booking_revisions/feed",
                **{
                    "order[inserted_at]": "asc",
                    "pagination[limit]": "2",
                    "pagination[page]": str(n),
                },
            )
            assert status == 200
            return [item["id"] for item in body["data"]], body["meta"]

        assert await page(1) == (revisions[0:2], {"page": 1, "limit": 2, "total": 5})
        for rev in revisions[0:2]:
            assert await api.post(f"/booking_revisions/{rev}/ack") == (200, SUCCESS)
        # page 2 of what is left skips revisions 3 and 4 — they moved to page 1
        assert await page(2) == (revisions[4:5], {"page": 2, "limit": 2, "total": 3})
        assert await page(1) == (revisions[2:4], {"page": 1, "limit": 2, "total": 3})
        drained: list[str] = []
        while True:  # the right way: ack and re-read page 1 until it is empty
            ids, _ = await page(1)
            if not ids:
                break
            for rev in ids:
                await api.post(f"/booking_revisions/{rev}/ack")
            drained += ids
        assert drained == revisions[2:5]
        _status, newest_first = await api.get("/booking_revisions")
        assert [item["id"] for item in newest_first["data"]] == revisions[::-1]
        assert {item["attributes"]["acknowledge_status"] for item in newest_first["data"]} == {
            "acknowledged"
        }


async def test_ack_twice_unknown_revision_and_feed_property_filter() -> None:
    emu = emulator()
    async with running(emu) as api:
        a = await make_hotel(api)
        b = await make_hotel(api)
        _, rev_a = emu.create_booking(**twin_stay(a))
        _, rev_b = emu.create_booking(**twin_stay(b))
        _, feed = await api.get("/booking_revisions/feed", **{"filter[property_id]": b.property_id})
        assert [item["id"] for item in feed["data"]] == [rev_b]
        assert await api.post(f"/booking_revisions/{rev_a}/ack") == (200, SUCCESS)
        assert await api.post(f"/booking_revisions/{rev_a}/ack") == (200, SUCCESS)
        unknown = "00000000-0000-0000-0000-000000000000"
        assert await api.post(f"/booking_revisions/{unknown}/ack") == (404, NOT_FOUND)
        assert await api.get(f"/booking_revisions/{unknown}") == (404, NOT_FOUND)
        _status, feed = await api.get("/booking_revisions/feed")
        assert [item["id"] for item in feed["data"]] == [rev_b]
        assert feed["meta"] == {"page": 1, "limit": 10, "total": 1}


async def test_new_booking_takes_availability_and_control_routes_drive_bookings() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        await api.post(
            "/availability",
            {
                "values": [
                    {
                        "property_id": h.property_id,
                        "room_type_id": h.twin,
                        "date_from": "2026-11-20",
                        "date_to": "2026-11-23",
                        "availability": 5,
                    }
                ]
            },
        )
        status, made = await api.post("/_control/bookings", twin_stay(h))
        assert status == 201
        booking_id = made["booking_id"]
        assert emu.availability(h.property_id)[h.twin] == {
            date(2026, 11, 20): 5,
            date(2026, 11, 21): 4,
            date(2026, 11, 22): 4,
            date(2026, 11, 23): 5,
        }
        status, modified = await api.post(
            f"/_control/bookings/{booking_id}/modify", {"notes": "sea view"}
        )
        assert status == 200
        assert (await revision(api, modified["revision_id"]))["notes"] == "sea view"
        status, cancelled = await api.post(f"/_control/bookings/{booking_id}/cancel")
        assert (await revision(api, cancelled["revision_id"]))["status"] == "cancelled"
        # modification/cancellation auto-update is off by default: availability stays
        assert emu.availability(h.property_id)[h.twin][date(2026, 11, 21)] == 4
        assert await api.post(
            "/_control/bookings", {"rooms": [], "property_id": h.property_id}
        ) == (
            400,
            {"error": "rooms must be a non-empty list"},
        )
        assert await api.post("/_control/bookings", {"colour": "red"}) == (
            400,
            {"error": "unknown booking fields: colour"},
        )


async def test_amounts_come_from_stored_rates_and_survive_a_modification() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        await api.post(
            "/restrictions",
            {
                "values": [
                    {
                        "property_id": h.property_id,
                        "rate_plan_id": h.twin_bar,
                        "date": "2026-11-22",
                        "rate": "350.00",
                    },
                ]
            },
        )
        booking_id, first = emu.create_booking(**twin_stay(h))
        emu.state.cells[h.twin_bar].clear()  # later rate changes don't rewrite a booking
        second = emu.modify_booking(booking_id, notes="quiet room")
        new, modified = [await revision(api, r) for r in (first, second)]
    for attrs in (new, modified):
        assert attrs["amount"] == "450.00"
        assert attrs["rooms"][0]["days"] == {"2026-11-21": "100.00", "2026-11-22": "350.00"}
    assert modified["notes"] == "quiet room"
