"""Every way a revision is refused, each with its whole message: where (the revision, the
room, the item), which field, and the bad value echoed (cut short when it is long)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from middleware.channex.revision_parser import MAX_AMOUNT, parse_revision
from middleware.errors import PayloadError

W = "booking revision R1"
R = f"{W}: rooms[0]"
DELETE = object()


def revision() -> dict[str, Any]:
    """A revision that parses, with every field that can be refused present."""
    return {
        "id": "R1",
        "booking_id": "B1",
        "property_id": "P1",
        "status": "new",
        "inserted_at": "2026-11-21T14:03:12",
        "unique_id": "BDC-1",
        "system_id": "S1",
        "ota_reservation_code": "1",
        "ota_name": "BookingCom",
        "secondary_ota": "Agoda",
        "arrival_date": "2026-12-10",
        "departure_date": "2026-12-12",
        "arrival_hour": "15:00",
        "amount": "220.00",
        "currency": "EUR",
        "notes": "quiet room",
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
            "company": {"title": "Acme Ltd"},
        },
        "guarantee": {"card_type": "VI", "is_virtual": False},
        "services": [{"name": "Breakfast", "type": "meal", "total_price": "20.00"}],
        "rooms": [
            {
                "room_type_id": "RT",
                "rate_plan_id": "RP",
                "booking_room_id": "br-1",
                "ota_unique_id": "49",
                "checkin_date": "2026-12-10",
                "checkout_date": "2026-12-12",
                "occupancy": {"adults": 2, "children": 1, "infants": 1, "ages": [7]},
                "amount": "200.00",
                "days": {"2026-12-10": "100.00", "2026-12-11": "100.00"},
                "guests": [{"name": "Jane", "surname": "Smith"}],
                "services": [{"name": "Parking", "type": "parking", "total_price": "5.00"}],
                "taxes": [{"name": "City tax", "type": "city_tax", "total_price": "10.00"}],
                "collected_taxes": [{"name": "VAT", "type": "vat", "total_price": "18.18"}],
                "is_cancelled": False,
                "meta": {"meal_plan": "Breakfast included"},
            }
        ],
    }


def broken(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """`revision()` with the value at `path` replaced (or deleted, for `DELETE`)."""
    attrs = copy.deepcopy(revision())
    target: Any = attrs
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return attrs


def test_the_base_revision_parses() -> None:
    """The cases below break one thing each of a revision that is otherwise good."""
    assert parse_revision(revision()).id == "R1"


NOT_TEXT = [1.5]  # neither a string nor an integer (integers are read as their digits)
LONG = "X" * 30 + "Y" * 30  # 60 characters: the messages echo only the first 40 (or 20)

ERRORS: list[tuple[tuple[str | int, ...], Any, str]] = [
    # the revision itself
    (("id",), NOT_TEXT, "booking revision: 'id' must be a string"),
    (("id",), None, "booking revision: 'id' is missing"),
    (("id",), " ", "booking revision: 'id' is missing"),
    (("booking_id",), NOT_TEXT, f"{W}: 'booking_id' must be a string"),
    (("booking_id",), DELETE, f"{W}: 'booking_id' is missing"),
    (("property_id",), NOT_TEXT, f"{W}: 'property_id' must be a string"),
    (("property_id",), "", f"{W}: 'property_id' is missing"),
    (("status",), NOT_TEXT, f"{W}: 'status' must be a string"),
    (("status",), None, f"{W}: 'status' is missing"),
    (("status",), "pending", f"{W}: 'status' 'pending' is not one of new, modified, cancelled"),
    (("inserted_at",), 1700000000, f"{W}: 'inserted_at' must be an ISO timestamp"),
    (("inserted_at",), "yesterday", f"{W}: 'inserted_at' 'yesterday' is not an ISO timestamp"),
    (
        ("inserted_at",),
        "0001-01-01T00:00:00+01:00",
        f"{W}: 'inserted_at' '0001-01-01T00:00:00+01:00' is out of range",
    ),
    (("arrival_date",), 20261210, f"{W}: 'arrival_date' must be a YYYY-MM-DD date"),
    (("arrival_date",), "2026-13-01", f"{W}: 'arrival_date' '2026-13-01' is not a YYYY-MM-DD date"),
    (("departure_date",), None, f"{W}: 'departure_date' must be a YYYY-MM-DD date"),
    (("departure_date",), "soon", f"{W}: 'departure_date' 'soon' is not a YYYY-MM-DD date"),
    (("departure_date",), "2026-12-10", f"{W}: 'departure_date' must be after 'arrival_date'"),
    (("rooms",), {"0": {}}, f"{W}: 'rooms' must be a list"),
    (("rooms",), [], f"{W}: 'rooms' is empty in a new revision"),
    (("unique_id",), NOT_TEXT, f"{W}: 'unique_id' must be a string"),
    (("ota_name",), NOT_TEXT, f"{W}: 'ota_name' must be a string"),
    (("ota_reservation_code",), NOT_TEXT, f"{W}: 'ota_reservation_code' must be a string"),
    (("notes",), NOT_TEXT, f"{W}: 'notes' must be a string"),
    (("system_id",), NOT_TEXT, f"{W}: 'system_id' must be a string"),
    (("secondary_ota",), NOT_TEXT, f"{W}: 'secondary_ota' must be a string"),
    # money
    (("amount",), [1], f"{W}: 'amount' must be a decimal string"),
    (("amount",), True, f"{W}: 'amount' must be a decimal string"),
    (("amount",), "12,50", f"{W}: 'amount' '12,50' is not a decimal amount"),
    (("amount",), "1_000", f"{W}: 'amount' '1_000' is not a decimal amount"),
    (("amount",), ".5", f"{W}: 'amount' '.5' is not a decimal amount"),
    (("amount",), "Infinity", f"{W}: 'amount' 'Infinity' is not a finite amount"),
    (("amount",), "-0.01", f"{W}: 'amount' '-0.01' is not an amount in [0, {MAX_AMOUNT}]"),
    (
        ("amount",),
        str(MAX_AMOUNT + 1),
        f"{W}: 'amount' '{MAX_AMOUNT + 1}' is not an amount in [0, {MAX_AMOUNT}]",
    ),
    (("ota_commission",), [1], f"{W}: 'ota_commission' must be a decimal string"),
    (("ota_commission",), "a lot", f"{W}: 'ota_commission' 'a lot' is not a decimal amount"),
    (("currency",), NOT_TEXT, f"{W}: 'currency' must be a string"),
    (("currency",), "brl", f"{W}: 'currency' 'brl' is not an ISO 4217 code"),
    (("currency",), LONG, f"{W}: 'currency' {LONG[:40]!r} is not an ISO 4217 code"),
    # the booker
    (("customer",), "John", f"{W}: 'customer' must be an object"),
    (("customer", "name"), NOT_TEXT, f"{W}: customer: 'name' must be a string"),
    (("customer", "surname"), NOT_TEXT, f"{W}: customer: 'surname' must be a string"),
    (("customer", "mail"), NOT_TEXT, f"{W}: customer: 'mail' must be a string"),
    (("customer", "phone"), NOT_TEXT, f"{W}: customer: 'phone' must be a string"),
    (("customer", "country"), NOT_TEXT, f"{W}: customer: 'country' must be a string"),
    (("customer", "language"), NOT_TEXT, f"{W}: customer: 'language' must be a string"),
    (
        ("customer", "company", "title"),
        NOT_TEXT,
        f"{W}: customer.company: 'title' must be a string",
    ),
    # arrival hour, payment, guarantee
    (("arrival_hour",), NOT_TEXT, f"{W}: 'arrival_hour' must be a string"),
    (("arrival_hour",), "24:00", f"{W}: 'arrival_hour' '24:00' is not HH:MM"),
    (("arrival_hour",), LONG, f"{W}: 'arrival_hour' {LONG[:20]!r} is not HH:MM"),
    (("payment_collect",), NOT_TEXT, f"{W}: 'payment_collect' must be a string"),
    (("payment_collect",), "hotel", f"{W}: 'payment_collect' 'hotel' is not one of ota, property"),
    (
        ("payment_collect",),
        LONG,
        f"{W}: 'payment_collect' {LONG[:40]!r} is not one of ota, property",
    ),
    (("payment_type",), NOT_TEXT, f"{W}: 'payment_type' must be a string"),
    (
        ("payment_type",),
        "cash",
        f"{W}: 'payment_type' 'cash' is not one of credit_card, bank_transfer",
    ),
    (("guarantee",), "VI", f"{W}: 'guarantee' must be an object or null"),
    # booking-level services
    (("services",), {"name": "x"}, f"{W}: 'services' must be a list of objects"),
    (("services",), ["x"], f"{W}: 'services' must be a list of objects"),
    (("services", 0, "total_price"), None, f"{W}: services[0]: 'total_price' is missing"),
    (
        ("services", 0, "total_price"),
        "free",
        f"{W}: services[0]: 'total_price' 'free' is not a decimal amount",
    ),
    (("services", 0, "name"), NOT_TEXT, f"{W}: services[0]: 'name' must be a string"),
    (("services", 0, "type"), NOT_TEXT, f"{W}: services[0]: 'type' must be a string"),
    # a room
    (("rooms", 0), "x", f"{R}: must be an object"),
    (("rooms", 0, "checkin_date"), 1, f"{R}: 'checkin_date' must be a YYYY-MM-DD date"),
    (("rooms", 0, "checkout_date"), 1, f"{R}: 'checkout_date' must be a YYYY-MM-DD date"),
    (
        ("rooms", 0, "checkout_date"),
        "2026-12-10",
        f"{R}: 'checkout_date' must be after 'checkin_date'",
    ),
    (
        ("rooms", 0, "checkout_date"),
        "2026-12-09",
        f"{R}: 'checkout_date' must be after 'checkin_date'",
    ),
    (("rooms", 0, "occupancy"), None, f"{R}: 'occupancy' must be an object"),
    (("rooms", 0, "is_cancelled"), "no", f"{R}: 'is_cancelled' must be a boolean"),
    (("rooms", 0, "meta"), "x", f"{R}: 'meta' must be an object or null"),
    (("rooms", 0, "room_type_id"), NOT_TEXT, f"{R}: 'room_type_id' must be a string"),
    (("rooms", 0, "rate_plan_id"), NOT_TEXT, f"{R}: 'rate_plan_id' must be a string"),
    (
        ("rooms", 0, "meta", "parent_rate_plan_id"),
        NOT_TEXT,
        f"{R}.meta: 'parent_rate_plan_id' must be a string",
    ),
    (("rooms", 0, "amount"), [1], f"{R}: 'amount' must be a decimal string"),
    (("rooms", 0, "amount"), "x", f"{R}: 'amount' 'x' is not a decimal amount"),
    (("rooms", 0, "booking_room_id"), NOT_TEXT, f"{R}: 'booking_room_id' must be a string"),
    (("rooms", 0, "ota_unique_id"), NOT_TEXT, f"{R}: 'ota_unique_id' must be a string"),
    # a room's occupancy
    *(
        (
            ("rooms", 0, "occupancy", kind),
            value,
            f"{R}.occupancy: '{kind}' must be a non-negative integer <= 999",
        )
        for kind in ("adults", "children", "infants")
        for value in (-1, 1000, True, "two", 1.0)
    ),
    (
        ("rooms", 0, "occupancy", "adults"),
        DELETE,
        f"{R}.occupancy: 'adults' must be a non-negative integer <= 999",
    ),
    (("rooms", 0, "occupancy", "ages"), "7", f"{R}.occupancy: 'ages' must be a list of ages"),
    (
        ("rooms", 0, "occupancy", "ages"),
        [0] * 1000,
        f"{R}.occupancy: 'ages' must be a list of ages",
    ),
    *(
        (
            ("rooms", 0, "occupancy", "ages"),
            [7, age],
            f"{R}.occupancy: 'ages' must hold whole ages from 0 to 17",
        )
        for age in (-1, 18, True, "7", 7.0)
    ),
    # a room's guests
    (("rooms", 0, "guests", 0, "name"), NOT_TEXT, f"{R}.guests[0]: 'name' must be a string"),
    (
        ("rooms", 0, "guests"),
        [{"name": "Jane"}, {"surname": NOT_TEXT}],
        f"{R}.guests[1]: 'surname' must be a string",
    ),
    # a room's nights
    (("rooms", 0, "days"), ["100.00"], f"{R}: 'days' must be an object of night → price"),
    (
        ("rooms", 0, "days"),
        {"tomorrow": "100.00"},
        f"{R}: days: 'night' 'tomorrow' is not a YYYY-MM-DD date",
    ),
    (
        ("rooms", 0, "days"),
        {"2026-12-12": "100.00"},
        f"{R}: days: night '2026-12-12' is outside the stay",
    ),
    (
        ("rooms", 0, "days"),
        {"2026-12-09": "100.00"},
        f"{R}: days: night '2026-12-09' is outside the stay",
    ),
    (
        ("rooms", 0, "days", "2026-12-11"),
        "cheap",
        f"{R}: days: '2026-12-11' 'cheap' is not a decimal amount",
    ),
    # a room's services and taxes
    (("rooms", 0, "services"), "x", f"{R}: 'services' must be a list of objects"),
    (
        ("rooms", 0, "services", 0, "total_price"),
        None,
        f"{R}: services[0]: 'total_price' is missing",
    ),
    (("rooms", 0, "taxes"), "x", f"{R}: 'taxes' must be a list of objects"),
    (("rooms", 0, "collected_taxes"), [1], f"{R}: 'collected_taxes' must be a list of objects"),
    (("rooms", 0, "taxes", 0, "total_price"), DELETE, f"{R}: taxes[0]: 'total_price' is missing"),
    (
        ("rooms", 0, "taxes", 0, "total_price"),
        "ten",
        f"{R}: taxes[0]: 'total_price' 'ten' is not a decimal amount",
    ),
    (
        ("rooms", 0, "collected_taxes", 0, "total_price"),
        None,
        f"{R}: collected_taxes[0]: 'total_price' is missing",
    ),
    (
        ("rooms", 0, "taxes", 0, "is_inclusive"),
        "no",
        f"{R}: taxes[0]: 'is_inclusive' must be a boolean",
    ),
    (("rooms", 0, "taxes", 0, "name"), NOT_TEXT, f"{R}: taxes[0]: 'name' must be a string"),
    (
        ("rooms", 0, "taxes", 0),
        {"type": NOT_TEXT, "total_price": "1"},
        f"{R}: taxes[0]: 'type' must be a string",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), ERRORS)
def test_a_bad_value_is_refused_with_its_whole_message(
    path: tuple[str | int, ...], value: Any, message: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_revision(broken(path, value))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "booking revision: expected a JSON object"),
        ([revision()], "booking revision: expected a JSON object"),
        ({"data": None}, "booking revision: 'data' must be an object"),
        ({"data": [revision()]}, "booking revision: 'data' must be an object"),
        ({"data": {"attributes": []}}, "booking revision: 'attributes' must be an object"),
        ({"id": "R1", "attributes": "x"}, "booking revision: 'attributes' must be an object"),
    ],
)
def test_a_document_that_is_no_revision_is_refused_with_its_whole_message(
    document: Any, message: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_revision(document)
    assert str(caught.value) == message


@pytest.mark.parametrize("outer_id", [42, "", None, ["R1"]])
def test_an_envelope_id_that_is_not_text_does_not_stand_in_for_the_revision_id(
    outer_id: Any,
) -> None:
    attrs = broken(("id",), DELETE)
    with pytest.raises(PayloadError) as caught:
        parse_revision({"data": {"id": outer_id, "attributes": attrs}})
    assert str(caught.value) == "booking revision: 'id' is missing"


@pytest.mark.parametrize("status", ["new", "modified"])
def test_only_a_cancellation_may_have_no_rooms(status: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_revision(broken(("status",), status) | {"rooms": []})
    assert str(caught.value) == f"{W}: 'rooms' is empty in a {status} revision"
    assert parse_revision(broken(("status",), "cancelled") | {"rooms": []}).rooms == ()
