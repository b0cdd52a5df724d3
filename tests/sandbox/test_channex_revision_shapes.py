"""Channex emulator revisions shaped like real Channex (contract §5.2a): money, taxes, services,
currencies, payment, guarantee, customers, cancellations with a fee."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.channex_booking_values import BookingSpecError
from tests.sandbox.channex_harness import Api, Hotel, make_hotel, running

MASKED_VISA = {
    "card_number": "411111******1111",
    "card_type": "VI",
    "cvv": "***",
    "expiration_date": "12/2030",
    "is_virtual": False,
    "meta": {},
}


class Ticker:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


def emulator() -> ChannexEmulator:
    return ChannexEmulator(today=lambda: date(2026, 11, 1), now=Ticker())


def twin(h: Hotel, **extra: Any) -> dict[str, Any]:
    return {
        "room_type_id": h.twin,
        "rate_plan_id": h.twin_bar,
        "checkin_date": "2026-11-21",
        "checkout_date": "2026-11-23",
        **extra,
    }


async def revision(api: Api, revision_id: str) -> dict[str, Any]:
    status, body = await api.get(f"/booking_revisions/{revision_id}")
    assert status == 200, body
    attrs: dict[str, Any] = body["data"]["attributes"]
    return attrs


async def test_a_220_booking_com_revision_is_its_room_plus_a_booking_level_breakfast() -> None:
    """The whole revision: inclusive taxes stay inside the room's 200.00, the 20.00 breakfast
    at booking level makes 220.00; guests, meta, customer and commission as given."""
    emu = emulator()
    customer = {
        "name": "John",
        "surname": "Smith",
        "mail": "john@example.com",
        "phone": "+44 20 7946 0000",
        "address": "1 Main St",
        "city": "London",
        "zip": "N1 9GU",
        "country": "GB",
        "language": "en",
        "company": {"title": "ACME", "number": "GB123", "number_type": "vat", "type": "company"},
        "meta": {"is_genius": True},
    }
    meta = {"meal_plan": "Breakfast included", "policies": "Non-refundable"}
    async with running(emu) as api:
        h = await make_hotel(api)
        status, made = await api.post(
            "/_control/bookings",
            {
                "property_id": h.property_id,
                "arrival_hour": "15:00",
                "notes": "Late check-in",
                "customer": customer,
                "rooms": [
                    twin(
                        h,
                        adults=2,
                        children=1,
                        ages=[7],
                        infants=1,
                        amount="200.00",
                        guests=[{"name": "Jane", "surname": "Smith"}],
                        taxes=[{"name": "VAT", "total_price": "18.18", "is_inclusive": True}],
                        collected_taxes=[{"name": "City tax", "total_price": "5.00"}],
                        meta=meta,
                    )
                ],
                "services": [
                    {
                        "name": "Breakfast",
                        "type": "meal",
                        "nights": 2,
                        "persons": 2,
                        "price_mode": "per_person_per_night",
                        "total_price": "20.00",
                    }
                ],
                "ota_commission": "33.00",
            },
        )
        assert status == 201, made
        attrs = await revision(api, made["revision_id"])
    booking_room_id = attrs["rooms"][0]["booking_room_id"]
    assert attrs == {
        "id": made["revision_id"],
        "booking_id": made["booking_id"],
        "property_id": h.property_id,
        "unique_id": "BDC-9996013801",
        "system_id": "12331233101",
        "ota_reservation_code": "9996013801",
        "ota_name": "BookingCom",
        "status": "new",
        "arrival_date": "2026-11-21",
        "departure_date": "2026-11-23",
        "arrival_hour": "15:00",
        "amount": "220.00",
        "currency": "USD",
        "notes": "Late check-in",
        "occupancy": {"adults": 2, "children": 1, "infants": 1},
        "customer": customer,
        "rooms": [
            {
                "room_type_id": h.twin,
                "rate_plan_id": h.twin_bar,
                "checkin_date": "2026-11-21",
                "checkout_date": "2026-11-23",
                "occupancy": {"adults": 2, "children": 1, "infants": 1, "ages": [7]},
                "amount": "200.00",
                "days": {"2026-11-21": "100.00", "2026-11-22": "100.00"},
                "guests": [{"name": "Jane", "surname": "Smith"}],
                "services": [],
                "taxes": [
                    {"is_inclusive": True, "name": "VAT", "total_price": "18.18", "type": "tax"}
                ],
                "collected_taxes": [{"name": "City tax", "total_price": "5.00", "type": "tax"}],
                "booking_room_id": booking_room_id,
                "ota_unique_id": "49",
                "is_cancelled": False,
                "meta": meta,
            }
        ],
        "services": [
            {
                "name": "Breakfast",
                "type": "meal",
                "nights": 2,
                "persons": 2,
                "price_mode": "per_person_per_night",
                "price_per_unit": "5.00",
                "total_price": "20.00",
            }
        ],
        "guarantee": {**MASKED_VISA, "cardholder_name": "John Smith"},
        "payment_collect": "property",
        "payment_type": "credit_card",
        "ota_commission": "33.00",
        "channel_id": attrs["channel_id"],
        "secondary_ota": None,
        "is_crs_revision": False,
        "deposits": [],
        "agent": None,
        "meta": {},
        "inserted_at": "2026-11-21T12:00:01.000000",
        "acknowledge_status": "pending",
    }
    assert len(booking_room_id) == 36


async def test_kwd_money_has_three_decimals_and_exclusive_taxes_and_room_services_add_up() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api, currency="KWD")
        _, revision_id = emu.create_booking(
            property_id=h.property_id,
            rooms=[
                twin(
                    h,
                    amount="123.451",
                    taxes=[
                        {"name": "City tax", "total_price": "1.125", "type": "city_tax"},
                        {"name": "VAT", "total_price": "11.2", "is_inclusive": True},
                    ],
                    services=[{"name": "Parking", "price_per_unit": "2.5", "nights": 2}],
                ),
                twin(h, days={"2026-11-21": "10", "2026-11-22": "20.5"}),
            ],
            services=[{"name": "Late checkout", "total_price": 5}],
        )
        attrs = await revision(api, revision_id)
    first, second = attrs["rooms"]
    assert (first["amount"], first["days"]) == (
        "124.576",  # 123.451 + the exclusive city tax 1.125; the inclusive VAT is inside
        {"2026-11-21": "61.726", "2026-11-22": "61.725"},
    )
    assert [t["total_price"] for t in first["taxes"]] == ["1.125", "11.200"]
    assert first["services"] == [
        {
            "name": "Parking",
            "type": "other",
            "nights": 2,
            "persons": 1,
            "price_mode": "per_stay",
            "price_per_unit": "2.500",
            "total_price": "5.000",
        }
    ]
    assert (second["amount"], second["days"]) == (
        "30.500",
        {"2026-11-21": "10.000", "2026-11-22": "20.500"},
    )
    assert attrs["services"][0]["total_price"] == "5.000"
    # the rooms with their own services, plus the booking-level ones
    assert (attrs["currency"], attrs["amount"]) == ("KWD", "165.076")


async def test_jpy_has_no_decimals_and_a_fraction_is_refused() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api, currency="JPY")
        _, revision_id = emu.create_booking(rooms=[twin(h, amount="24001")])
        attrs = await revision(api, revision_id)
        with pytest.raises(BookingSpecError, match=r"more than 0 decimals \(JPY\)"):
            emu.create_booking(rooms=[twin(h, amount="100.50")])
    assert (attrs["amount"], attrs["rooms"][0]["days"]) == (
        "24001",
        {"2026-11-21": "12000", "2026-11-22": "12001"},
    )
    assert attrs["guarantee"]["cardholder_name"] == "Guest Sandbox"


async def test_a_cancellation_keeps_its_rooms_and_its_amount_is_the_fee() -> None:
    """Booking.com: 153.00 cancelled with 76.50 still due → amount 76.50 and a service."""
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api, currency="EUR")
        booking_id, new_id = emu.create_booking(
            rooms=[twin(h, amount="133.00")], services=[{"name": "Breakfast", "total_price": 20}]
        )
        status, body = await api.post(f"/_control/bookings/{booking_id}/cancel", {"fee": "76.50"})
        assert status == 200, body
        new, cancelled = [await revision(api, r) for r in (new_id, body["revision_id"])]
        assert await api.post(f"/_control/bookings/{booking_id}/cancel", {"fee": "1"}) == (
            400,
            {"error": f"booking {booking_id} is already cancelled"},
        )
    assert new["amount"] == "153.00"
    assert (cancelled["status"], cancelled["amount"]) == ("cancelled", "76.50")
    assert cancelled["rooms"] == new["rooms"]
    assert [r["is_cancelled"] for r in cancelled["rooms"]] == [False]
    assert cancelled["services"] == [
        *new["services"],
        {
            "name": "Cancellation Fee",
            "type": "fee",
            "nights": 1,
            "persons": 1,
            "price_mode": "per_stay",
            "price_per_unit": "76.50",
            "total_price": "76.50",
        },
    ]


async def test_airbnb_has_no_card_collects_itself_and_a_cancellation_keeps_the_payout() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        booking_id, new_id = emu.create_booking(
            ota_name="Airbnb",
            rooms=[twin(h, amount="400.00")],
            customer={"name": "Kai", "surname": "Lee"},
        )
        cancelled_id = emu.cancel_booking(booking_id, fee="300.00")
        new, cancelled = [await revision(api, r) for r in (new_id, cancelled_id)]
    assert {k: new[k] for k in ("unique_id", "guarantee", "payment_collect", "payment_type")} == {
        "unique_id": "ABB-9996013801",
        "guarantee": None,
        "payment_collect": "ota",
        "payment_type": None,
    }
    assert new["rooms"][0]["ota_unique_id"] is None
    assert (new["customer"]["mail"], new["customer"]["phone"]) == (None, None)
    assert (cancelled["amount"], cancelled["services"]) == ("300.00", [])


async def test_expedia_collect_virtual_card_and_its_instruction_in_room_meta() -> None:
    emu = emulator()
    instruction = "Expedia collect: charge the virtual card from the check-in date"
    async with running(emu) as api:
        h = await make_hotel(api)
        _, revision_id = emu.create_booking(
            ota_name="A-Expedia",
            payment_collect="ota",
            guarantee={"card_type": "MC", "is_virtual": True, "cardholder_name": "Expedia VCC"},
            rooms=[twin(h, meta={"payment_instruction": instruction})],
        )
        attrs = await revision(api, revision_id)
    assert attrs["unique_id"].startswith("EXP-")
    assert attrs["guarantee"] == {
        **MASKED_VISA,
        "card_type": "MC",
        "is_virtual": True,
        "cardholder_name": "Expedia VCC",
    }
    assert attrs["payment_collect"] == "ota"
    assert attrs["rooms"][0]["meta"] == {"payment_instruction": instruction}
    assert attrs["rooms"][0]["ota_unique_id"] is None


async def test_goibibo_bank_transfer_sold_by_makemytrip_in_thb() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api, currency="THB")
        _, revision_id = emu.create_booking(
            ota_name="Goibibo",
            secondary_ota="MakeMyTrip",
            payment_collect="ota",
            payment_type="bank_transfer",
            guarantee=None,
            rooms=[twin(h, amount="3500")],
        )
        attrs = await revision(api, revision_id)
    assert {
        k: attrs[k]
        for k in ("unique_id", "ota_name", "secondary_ota", "payment_collect", "payment_type")
    } == {
        "unique_id": "GBB-9996013801",
        "ota_name": "Goibibo",
        "secondary_ota": "MakeMyTrip",
        "payment_collect": "ota",
        "payment_type": "bank_transfer",
    }
    assert (attrs["guarantee"], attrs["amount"], attrs["currency"]) == (None, "3500.00", "THB")


async def test_a_whole_card_passes_through_verbatim_and_customer_nulls_stay_null() -> None:
    """Tests inject sample full card data to prove the middleware never leaks it."""
    emu = emulator()
    card = {
        "card_number": "4111111111111111",
        "card_type": "VI",
        "cardholder_name": "Maria Silva",
        "cvv": "737",
        "expiration_date": "10/2030",
        "is_virtual": False,
        "meta": {"source": "test"},
    }
    async with running(emu) as api:
        h = await make_hotel(api)
        booking_id, first = emu.create_booking(
            ota_name="Booking.com",
            guarantee=card,
            rooms=[twin(h)],
            customer={"name": "Maria", "surname": "Silva", "mail": None, "phone": "+55 1"},
        )
        second = emu.modify_booking(booking_id, customer={"phone": None, "language": "pt"})
        new, modified = [await revision(api, r) for r in (first, second)]
    assert new["guarantee"] == modified["guarantee"] == card
    assert new["ota_name"] == "Booking.com"
    assert new["rooms"][0]["ota_unique_id"] == "49"
    assert (new["customer"]["mail"], new["customer"]["phone"]) == (None, "+55 1")
    assert {k: modified["customer"][k] for k in ("name", "mail", "phone", "language")} == {
        "name": "Maria",
        "mail": None,
        "phone": None,
        "language": "pt",
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"payment_collect": "hotel"}, "payment_collect must be one of"),
        ({"payment_type": "cash"}, "payment_type must be one of"),
        ({"arrival_hour": "3pm"}, "arrival_hour must be HH:MM or null"),
        ({"customer": {"email": "x@example.com"}}, "unknown customer fields: email"),
        ({"services": [{"name": "Spa"}]}, r"services\[0\] needs total_price or price_per_unit"),
        ({"ota_commission": "1.234"}, "ota_commission '1.234' has more than 2 decimals"),
        ({"rooms": [{"colour": "red"}]}, r"unknown rooms\[1\] fields: colour"),
        ({"rooms": [{"from": 0}]}, r"rooms\[1\].from is only for a modification"),
        ({"rooms": [{"children": 2, "ages": [5]}]}, r"rooms\[1\].ages must list 2 ages"),
        (
            {"rooms": [{"days": {"2026-11-21": "1"}}]},
            r"rooms\[1\].days must price exactly the nights",
        ),
        ({"rooms": [{"amount": "10", "days": {"2026-11-21": "1", "2026-11-22": "2"}}]},
         r"rooms\[1\].amount is not the sum of its days"),
    ],
)  # fmt: skip
async def test_a_spec_the_emulator_cannot_honour_is_refused_by_name(
    spec: dict[str, Any], message: str
) -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        rooms = [twin(h, **room) for room in spec.pop("rooms", [{}])]
        with pytest.raises(BookingSpecError, match=message):
            emu.create_booking(rooms=[twin(h), *rooms], **spec)
        assert emu.state.bookings == {}
        _, revision_id = emu.create_booking(rooms=[twin(h)])
        attrs = await revision(api, revision_id)
    assert attrs["rooms"][0]["ota_unique_id"] == "49"  # a refused spec took no room number
