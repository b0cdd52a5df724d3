"""One room of a revision → the whole PMS request: who stays, who pays, what it costs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from middleware.domain.pms_booking import Payment, PmsBookingRequest
from middleware.domain.pms_request import RoomPlace, build_request, payment_of
from middleware.domain.revision import Card, NightPrice, Person, Service, Tax
from tests.domain.test_booking_plan import BOOKER, D10, make_request, make_revision, make_room

PLACE = RoomPlace(slot=0, primary=True, rooms=1, total=Decimal("1350.00"))
EXPEDIA_COLLECT = "Expedia Collect booking: charge the Expedia virtual card"
HOTEL_COLLECT = (
    "Collect payment from traveler upon arrival. This Expedia virtual card can only be used"
    " in the case of a no-show or cancellation."
)


def build(
    revision_changes: dict[str, Any],
    room_changes: dict[str, Any] | None = None,
    place: RoomPlace = PLACE,
) -> PmsBookingRequest:
    room = make_room(**(room_changes or {}))
    revision = make_revision(rooms=(room,), **revision_changes)
    return build_request(
        revision, room, place=place, room_code="ov", plan_code="padrao", currency="BRL"
    )


def test_the_room_guest_stays_and_the_booker_is_recorded_apart() -> None:
    """The room's own guest is who stays; the booker's contact is not theirs to keep."""
    request = build({}, {"guest_name": "Ana Lima"})
    assert (request.guest_name, request.guest_email, request.guest_phone) == (
        "Ana Lima",
        None,
        None,
    )
    assert request.booker == BOOKER


def test_the_booker_stays_when_the_room_names_nobody_else() -> None:
    for room_guest in (None, "maria silva"):
        request = build({}, {"guest_name": room_guest})
        assert (request.guest_name, request.guest_email, request.guest_phone) == (
            "Maria Silva",
            "maria@example.com",
            "+55 11 99999-0000",
        )


def test_everything_of_the_room_reaches_the_request() -> None:
    nights = (NightPrice(night=D10, price=Decimal("450.00")),)
    tax = Tax(name="City tax", total=Decimal("7.56"), inclusive=False)
    vat = Tax(name="VAT", total=Decimal("12.00"), inclusive=True)
    breakfast = Service(name="Breakfast", kind="meal", quantity=2, total=Decimal("40.00"))
    request = build(
        {"arrival_hour": "15:00", "ota_commission": Decimal("202.50"), "services": (breakfast,)},
        {
            "infants": 1,
            "child_ages": (7,),
            "nights": nights,
            "taxes": (tax,),
            "withheld_taxes": (vat,),
            "booking_room_id": "br-1",
            "ota_unique_id": "49",
            "meal_plan": "Breakfast included",
            "requests": "Room with a view",
        },
    )
    assert request == make_request(
        plan_code="padrao",
        infants=1,
        child_ages=(7,),
        arrival_hour="15:00",
        nights=nights,
        services=(breakfast,),
        taxes=(tax,),
        withheld_taxes=(vat,),
        commission=Decimal("202.50"),
        booking_room_id="br-1",
        ota_unique_id="49",
        notes=(
            "late arrival\n[Channex] Pagamento: no hotel | Serviços: Breakfast (40.00 BRL)"
            " | Chegada: 15:00 | Regime: Breakfast included | Pedidos: Room with a view"
        ),
    )


def test_booking_level_extras_stay_off_the_other_rooms() -> None:
    breakfast = Service(name="Breakfast", total=Decimal("20.00"))
    place = RoomPlace(slot=1, primary=False, rooms=2, total=Decimal("200.00"))
    request = build({"services": (breakfast,), "ota_commission": Decimal("30.00")}, place=place)
    assert (request.services, request.commission, request.room_index) == ((), None, 1)
    assert (request.total, request.rooms_in_booking) == (Decimal("200.00"), 2)


@pytest.mark.parametrize(
    ("revision_changes", "instruction", "payment"),
    [
        ({}, None, Payment(collector="hotel")),
        (
            {
                "payment_collect": "property",
                "payment_type": "credit_card",
                "card": Card(brand="VI", virtual=False),
            },
            None,
            Payment(collector="hotel", kind="card", card_brand="VI"),
        ),
        (
            {"payment_collect": "ota", "payment_type": "bank_transfer", "currency": "THB"},
            None,
            Payment(collector="ota", kind="bank_transfer"),
        ),
        (
            {"card": Card(brand="MC", virtual=True)},
            EXPEDIA_COLLECT,
            Payment(
                collector="ota",
                kind="card",
                virtual_card=True,
                card_brand="MC",
                instructions=EXPEDIA_COLLECT,
            ),
        ),
        (
            {"card": Card(brand="MC", virtual=True)},
            HOTEL_COLLECT,
            Payment(
                collector="hotel",
                kind="card",
                virtual_card=True,
                card_brand="MC",
                instructions=HOTEL_COLLECT,
            ),
        ),
        (
            {"card": Card(brand="MC", virtual=True)},
            None,
            Payment(collector="ota", kind="card", virtual_card=True, card_brand="MC"),
        ),
        (
            {"payment_collect": "ota", "card": Card(brand="AX", virtual=False)},
            HOTEL_COLLECT,
            Payment(collector="ota", kind="card", card_brand="AX", instructions=HOTEL_COLLECT),
        ),
    ],
    ids=[
        "nothing said: the hotel",
        "property collects by card",
        "Goibibo: the OTA collects by bank transfer",
        "Expedia collect: virtual card",
        "Expedia: the traveler pays at the hotel",
        "virtual card, nothing else said: the OTA",
        "payment_collect ota wins",
    ],
)
def test_who_collects(
    revision_changes: dict[str, Any], instruction: str | None, payment: Payment
) -> None:
    room = make_room(payment_instruction=instruction)
    revision = make_revision(rooms=(room,), **revision_changes)
    assert payment_of(revision, room) == payment


def test_the_digest_says_who_collects_and_the_seller() -> None:
    request = build(
        {
            "notes": None,
            "payment_collect": "ota",
            "card": Card(brand="MC", virtual=True),
            "secondary_ota": "MakeMyTrip",
        }
    )
    assert request.notes == (
        "[Channex] Pagamento: cobrado pela OTA, cartão virtual MC | Vendido por: MakeMyTrip"
    )


def test_a_booker_with_nothing_known_is_not_sent() -> None:
    request = build({"customer": Person(name=""), "unique_id": "EXP-1"})
    assert (request.guest_name, request.booker) == ("Guest EXP-1", None)


def test_the_channel_has_one_name() -> None:
    assert build({"ota_name": "BookingCom"}).channel == "Booking.com"
    assert build({"ota_name": "A-Expedia"}).channel == "Expedia"


@pytest.mark.parametrize(
    ("changes", "guest_name", "ota_code"),
    [
        ({"customer": Person(name="  ")}, "Guest BDC-9996013801", "BDC-9996013801"),
        ({"customer": Person(name=""), "unique_id": None}, "Guest 9996013801", "9996013801"),
        (
            {"customer": Person(name=""), "unique_id": None, "ota_reservation_code": None},
            "Guest bk-1",
            None,
        ),
    ],
)
def test_a_nameless_booking_is_the_guest_of_its_code(
    changes: dict[str, Any], guest_name: str, ota_code: str | None
) -> None:
    request = build(changes)
    assert (request.guest_name, request.ota_code) == (guest_name, ota_code)


def test_a_nameless_booker_still_gives_the_guest_its_contact() -> None:
    """Nobody named: the guest is the booker, reachable by the booker's e-mail and phone."""
    booker = Person(name="", email="x@example.com", phone="+55 11 98888-0000")
    request = build({"customer": booker})
    assert (request.guest_name, request.guest_email, request.guest_phone, request.booker) == (
        "Guest BDC-9996013801",
        "x@example.com",
        "+55 11 98888-0000",
        booker,
    )


@pytest.mark.parametrize(
    "booker",
    [Person(name="", email="x@example.com"), Person(name="", phone="+55 11 98888-0000")],
)
def test_a_booker_known_by_one_contact_is_sent(booker: Person) -> None:
    assert build({"customer": booker}).booker == booker


def test_every_service_is_named_in_the_digest() -> None:
    services = (
        Service(name="Breakfast", total=Decimal("40.00")),
        Service(name="Parking", total=Decimal("15.00")),
    )
    assert build({"notes": None, "services": services}).notes == (
        "[Channex] Pagamento: no hotel | Serviços: Breakfast, Parking (55.00 BRL)"
    )


@pytest.mark.parametrize(
    ("revision_changes", "payment"),
    [
        (
            {"payment_collect": "property", "card": Card(brand="MC", virtual=True)},
            Payment(collector="hotel", kind="card", virtual_card=True, card_brand="MC"),
        ),
        ({"payment_type": "credit_card"}, Payment(collector="hotel", kind="card")),
    ],
    ids=["property collects even with a virtual card", "a card payment without card data"],
)
def test_who_collects_more(revision_changes: dict[str, Any], payment: Payment) -> None:
    room = make_room()
    assert payment_of(make_revision(rooms=(room,), **revision_changes), room) == payment
