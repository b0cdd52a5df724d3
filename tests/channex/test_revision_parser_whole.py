"""Everything of a real Channex revision a hotel acts on (§5.2a) parses to typed values;
card data is reduced to brand and virtual flag; bad values are refused by name."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from middleware.channex.revision_parser import MAX_AMOUNT, parse_revision
from middleware.domain.revision import (
    BookingRevision,
    Card,
    NightPrice,
    Person,
    RevisionRoom,
    Service,
    Tax,
)
from middleware.errors import PayloadError

RT, RP, PARENT = "rt-1", "rp-derived", "rp-parent"


def booking_com() -> dict[str, Any]:
    """Shaped like Channex's documented Booking.com revision: 220.00 = one room of 200.00
    (holding a 10.00 exclusive city tax) + a 20.00 breakfast at booking level."""
    return {
        "id": "rev-1",
        "booking_id": "bk-1",
        "property_id": "prop-1",
        "status": "new",
        "inserted_at": "2026-11-21T14:03:12.123456",
        "unique_id": "BDC-3510127681",
        "system_id": "12331233123",
        "ota_reservation_code": "3510127681",
        "ota_name": "BookingCom",
        "secondary_ota": None,
        "arrival_date": "2026-12-10",
        "departure_date": "2026-12-12",
        "arrival_hour": "15:00",
        "amount": "220.00",
        "currency": "EUR",
        "notes": "Non-smoking please",
        "occupancy": {"adults": 2, "children": 1, "infants": 1},
        "ota_commission": "33.00",
        "payment_collect": "property",
        "payment_type": "credit_card",
        "customer": {
            "name": "John",
            "surname": "Smith",
            "mail": "john@example.com",
            "phone": "+44 20 7946 0000",
            "country": "GB",
            "language": "en",
            "company": {"title": "Acme Ltd", "number": "123", "number_type": "VAT", "type": None},
            "meta": {"is_genius": True},
        },
        "guarantee": {
            "card_number": "411111******1111",
            "card_type": "VI",
            "cardholder_name": "John Smith",
            "cvv": "***",
            "expiration_date": "10/2030",
            "is_virtual": False,
            "meta": {},
        },
        "services": [
            {
                "name": "Breakfast",
                "type": "meal",
                "nights": 2,
                "persons": 1,
                "price_mode": "Per person per night",
                "price_per_unit": "10.00",
                "total_price": "20.00",
            }
        ],
        "rooms": [
            {
                "room_type_id": RT,
                "rate_plan_id": RP,
                "booking_room_id": "br-1",
                "ota_unique_id": "49",
                "checkin_date": "2026-12-10",
                "checkout_date": "2026-12-12",
                "occupancy": {"adults": 2, "children": 1, "infants": 1, "ages": [7]},
                "amount": "200.00",
                "days": {"2026-12-11": "95.00", "2026-12-10": "95.00"},
                "guests": [{"name": "Jane", "surname": "Smith"}],
                "services": [],
                "taxes": [
                    {
                        "is_inclusive": False,
                        "name": "City tax",
                        "total_price": "10.00",
                        "type": "city_tax",
                    }
                ],
                "collected_taxes": [{"name": "VAT", "total_price": "18.18", "type": "vat"}],
                "is_cancelled": False,
                "meta": {
                    "parent_rate_plan_id": PARENT,
                    "meal_plan": "Breakfast included",
                    "free_text": "High floor",
                    "cancel_penalties": [],
                },
            }
        ],
    }


EXPECTED = BookingRevision(
    id="rev-1",
    booking_id="bk-1",
    property_id="prop-1",
    status="new",
    inserted_at=datetime(2026, 11, 21, 14, 3, 12, 123456, tzinfo=UTC),
    unique_id="BDC-3510127681",
    ota_name="BookingCom",
    ota_reservation_code="3510127681",
    arrival_date=date(2026, 12, 10),
    departure_date=date(2026, 12, 12),
    amount=Decimal("220.00"),
    currency="EUR",
    notes="Non-smoking please",
    customer=Person(
        name="John Smith",
        email="john@example.com",
        phone="+44 20 7946 0000",
        country="GB",
        language="en",
        company="Acme Ltd",
    ),
    rooms=(
        RevisionRoom(
            index=0,
            room_type_id=RT,
            rate_plan_id=PARENT,
            checkin=date(2026, 12, 10),
            checkout=date(2026, 12, 12),
            adults=2,
            children=1,
            infants=1,
            child_ages=(7,),
            amount=Decimal("200.00"),
            booking_room_id="br-1",
            ota_unique_id="49",
            guest_name="Jane Smith",
            nights=(
                NightPrice(night=date(2026, 12, 10), price=Decimal("95.00")),
                NightPrice(night=date(2026, 12, 11), price=Decimal("95.00")),
            ),
            taxes=(Tax(name="City tax", total=Decimal("10.00"), inclusive=False),),
            withheld_taxes=(Tax(name="VAT", total=Decimal("18.18"), inclusive=True),),
            meal_plan="Breakfast included",
            requests="High floor",
        ),
    ),
    system_id="12331233123",
    arrival_hour="15:00",
    services=(Service(name="Breakfast", kind="meal", quantity=2, total=Decimal("20.00")),),
    payment_collect="property",
    payment_type="credit_card",
    card=Card(brand="VI", virtual=False),
    ota_commission=Decimal("33.00"),
)


def test_a_booking_com_revision_parses_whole() -> None:
    assert parse_revision({"data": {"id": "rev-1", "attributes": booking_com()}}) == EXPECTED


def test_card_data_never_reaches_the_value() -> None:
    """Whatever the guarantee holds, only brand and virtual flag come through."""
    attrs = booking_com()
    attrs["guarantee"] = {
        "card_number": "4111111111111111",
        "cvv": "737",
        "expiration_date": "10/2030",
        "cardholder_name": "John Smith",
        "card_type": "MC",
        "is_virtual": True,
    }
    revision = parse_revision(attrs)
    assert revision.card == Card(brand="MC", virtual=True)
    for secret in ("4111111111111111", "737", "10/2030"):
        assert secret not in repr(revision)


def test_airbnb_and_expedia_shapes() -> None:
    """Airbnb: no guarantee, a customer with a name only, no room meta; Expedia: its payment
    instruction in the room's meta."""
    airbnb = booking_com()
    airbnb.update(
        ota_name="Airbnb",
        guarantee=None,
        payment_collect="ota",
        payment_type=None,
        customer={"name": "Ana", "surname": "Lima"},
    )
    airbnb["rooms"][0].update(meta=None, ota_unique_id=None, guests=None)
    revision = parse_revision(airbnb)
    assert (revision.card, revision.payment_collect, revision.customer) == (
        None,
        "ota",
        Person(name="Ana Lima"),
    )
    assert (revision.rooms[0].rate_plan_id, revision.rooms[0].guest_name) == (RP, None)

    expedia = booking_com()
    expedia["ota_name"] = "A-Expedia"
    expedia["rooms"][0]["meta"] = {"payment_instruction": "Collect payment from traveler."}
    room = parse_revision(expedia).rooms[0]
    assert (room.payment_instruction, room.meal_plan) == ("Collect payment from traveler.", None)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", Decimal("0")),
        ("0.00", Decimal("0.00")),
        ("0.50", Decimal("0.50")),
        (str(MAX_AMOUNT), MAX_AMOUNT),
        ("123.450", Decimal("123.450")),
    ],
)
def test_amount_edges(amount: str, expected: Decimal) -> None:
    """Zero, under one, the largest real amount, and three decimals kept as written."""
    attrs = booking_com()
    attrs["amount"] = amount
    attrs["rooms"][0]["amount"] = amount
    revision = parse_revision(attrs)
    assert (revision.amount, revision.rooms[0].amount) == (expected, expected)
    assert str(revision.amount) == amount


def test_an_amount_above_the_maximum_is_refused() -> None:
    attrs = booking_com()
    attrs["amount"] = str(MAX_AMOUNT + 1)
    with pytest.raises(PayloadError, match="'amount'"):
        parse_revision(attrs)


def test_a_booking_with_no_name_anywhere_parses_with_an_empty_name() -> None:
    attrs = booking_com()
    attrs["customer"] = {"name": None, "surname": "", "mail": "x@example.com"}
    attrs["rooms"][0]["guests"] = [{"name": None, "surname": None}]
    revision = parse_revision(attrs)
    assert (revision.customer, revision.rooms[0].guest_name) == (
        Person(name="", email="x@example.com"),
        None,
    )


@pytest.mark.parametrize("inserted_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_timestamp_whose_offset_leaves_the_calendar_is_refused(inserted_at: str) -> None:
    attrs = booking_com()
    attrs["inserted_at"] = inserted_at
    with pytest.raises(PayloadError, match=r"'inserted_at' .* is out of range"):
        parse_revision(attrs)


def _broken(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    attrs = copy.deepcopy(booking_com())
    target: Any = attrs
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return attrs


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("payment_collect",), "hotel", "'payment_collect' 'hotel' is not one of ota, property"),
        (("payment_type",), "cash", "'payment_type' 'cash' is not one of"),
        (("arrival_hour",), "25:00", "'arrival_hour' '25:00' is not HH:MM"),
        (("guarantee",), "VI", "'guarantee' must be an object or null"),
        (("services",), {"name": "x"}, "'services' must be a list of objects"),
        (("services", 0, "total_price"), None, r"services\[0\]: 'total_price' is missing"),
        (("rooms", 0, "taxes", 0, "is_inclusive"), "no", "'is_inclusive' must be a boolean"),
        (("rooms", 0, "days"), {"2026-12-15": "1.00"}, "night '2026-12-15' is outside the stay"),
        (("rooms", 0, "days"), ["95.00"], "'days' must be an object of night → price"),
        (("rooms", 0, "occupancy", "ages"), [7, 30], "'ages' must hold whole ages from 0 to 17"),
        (("rooms", 0, "meta"), "x", "'meta' must be an object or null"),
        (("ota_commission",), "a lot", "'ota_commission' 'a lot' is not a decimal amount"),
    ],
)
def test_bad_values_are_refused_by_name(path: tuple[Any, ...], value: Any, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        parse_revision(_broken(path, value))


def test_ota_specific_meta_that_is_not_text_is_passed_over() -> None:
    room = parse_revision(_broken(("rooms", 0, "meta"), {"meal_plan": 3, "free_text": []}))
    assert (room.rooms[0].meal_plan, room.rooms[0].requests) == (None, None)
