"""Accepted edge values, each to its whole parsed value: the bounds of counts and ages, nights
at the ends of the stay, service quantities, tax names and defaults, card brands, hours."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from middleware.channex.revision_parser import parse_revision
from middleware.domain.revision import Card, NightPrice, Person, Service, Tax
from tests.channex.test_revision_parser_errors import DELETE, broken, revision


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("adults", 0, 0),
        ("adults", 999, 999),
        ("adults", " 12 ", 12),
        ("children", 999, 999),
        ("children", None, 0),
        ("children", DELETE, 0),
        ("infants", 999, 999),
        ("infants", DELETE, 0),
    ],
)
def test_guest_counts_at_their_bounds(kind: str, value: Any, expected: int) -> None:
    room = parse_revision(broken(("rooms", 0, "occupancy", kind), value)).rooms[0]
    assert getattr(room, kind) == expected


@pytest.mark.parametrize(
    ("ages", "expected"),
    [
        ([0, 17], (0, 17)),
        ([17, 0, 5], (17, 0, 5)),
        ([], ()),
        (None, ()),
        ([3] * 999, (3,) * 999),
    ],
)
def test_child_ages_from_0_to_17_and_up_to_999_of_them(
    ages: list[int] | None, expected: tuple[int, ...]
) -> None:
    room = parse_revision(broken(("rooms", 0, "occupancy", "ages"), ages)).rooms[0]
    assert room.child_ages == expected


def test_nights_at_both_ends_of_the_stay_in_night_order_a_missing_price_is_zero() -> None:
    """The first night is check-in, the last is the night before check-out; `null` and ""
    prices are 0."""
    days = {"2026-12-11": None, "2026-12-10": ""}
    room = parse_revision(broken(("rooms", 0, "days"), days)).rooms[0]
    assert room.nights == (
        NightPrice(night=date(2026, 12, 10), price=Decimal(0)),
        NightPrice(night=date(2026, 12, 11), price=Decimal(0)),
    )


@pytest.mark.parametrize(
    ("nights", "persons", "quantity"),
    [
        (3, 2, 6),
        (2, 3, 6),
        (1, 4, 4),
        (4, 1, 4),
        (0, 2, 2),
        (2, 0, 2),
        (0, 0, 1),
        (999, 1, 999),
        (1000, 1, None),
        (2, -1, None),
        (True, 2, None),
        ("2", 2, None),
        (2, None, None),
        (None, 2, None),
        (None, None, None),
    ],
)
def test_a_service_quantity_is_nights_times_persons_when_both_are_counts(
    nights: Any, persons: Any, quantity: int | None
) -> None:
    """0 counts as 1 (a per-stay or per-booking extra); anything else but a count gives None."""
    attrs = broken(("services", 0), {"name": "Breakfast", "total_price": "20.00"})
    attrs["services"][0].update(nights=nights, persons=persons)
    assert parse_revision(attrs).services == (
        Service(name="Breakfast", kind=None, quantity=quantity, total=Decimal("20.00")),
    )


def test_a_service_without_a_name_is_called_service_and_room_services_are_read() -> None:
    attrs = broken(("services", 0), {"name": " ", "type": "fee", "total_price": "1.50"})
    revision_ = parse_revision(attrs)
    assert revision_.services == (
        Service(name="Service", kind="fee", quantity=None, total=Decimal("1.50")),
    )
    assert revision_.rooms[0].services == (
        Service(name="Parking", kind="parking", quantity=None, total=Decimal("5.00")),
    )


@pytest.mark.parametrize(
    ("tax", "expected"),
    [
        ({"name": "City tax", "type": "city_tax"}, "City tax"),
        ({"name": None, "type": "city_tax"}, "city_tax"),
        ({"name": "", "type": " vat "}, "vat"),
        ({"type": None}, "Tax"),
        ({}, "Tax"),
    ],
)
def test_a_tax_is_named_by_its_name_else_its_type_else_tax(
    tax: dict[str, Any], expected: str
) -> None:
    attrs = broken(("rooms", 0, "taxes", 0), {**tax, "total_price": "10.00"})
    assert parse_revision(attrs).rooms[0].taxes == (
        Tax(name=expected, total=Decimal("10.00"), inclusive=False),
    )


@pytest.mark.parametrize(
    ("key", "is_inclusive", "inclusive"),
    [
        ("taxes", DELETE, False),
        ("taxes", True, True),
        ("taxes", False, False),
        ("collected_taxes", DELETE, True),
        ("collected_taxes", False, False),
    ],
)
def test_taxes_are_exclusive_and_collected_taxes_inclusive_unless_they_say(
    key: str, is_inclusive: Any, inclusive: bool
) -> None:
    tax: dict[str, Any] = {"name": "T", "total_price": "1.00"}
    if is_inclusive is not DELETE:
        tax["is_inclusive"] = is_inclusive
    room = parse_revision(broken(("rooms", 0, key), [tax])).rooms[0]
    assert getattr(room, key if key == "taxes" else "withheld_taxes")[0].inclusive is inclusive


@pytest.mark.parametrize(
    ("guarantee", "card"),
    [
        ({"card_type": "VI", "is_virtual": True}, Card(brand="VI", virtual=True)),
        ({"card_type": " MC ", "is_virtual": "true"}, Card(brand="MC", virtual=False)),
        ({"card_type": "V" * 20 + "W"}, Card(brand="V" * 20, virtual=False)),
        ({"card_type": " "}, Card(brand=None, virtual=False)),
        ({"card_type": 4}, Card(brand=None, virtual=False)),
        ({}, Card(brand=None, virtual=False)),
        (None, None),
    ],
)
def test_a_card_is_its_brand_cut_at_20_and_whether_it_is_virtual(
    guarantee: dict[str, Any] | None, card: Card | None
) -> None:
    assert parse_revision(broken(("guarantee",), guarantee)).card == card


@pytest.mark.parametrize(
    ("hour", "expected"),
    [
        ("15:00", "15:00"),
        ("23:59:59", "23:59"),
        ("00:00:00", "00:00"),
        (" 09:30 ", "09:30"),
        (None, None),
        ("", None),
    ],
)
def test_an_arrival_hour_keeps_hh_mm(hour: str | None, expected: str | None) -> None:
    assert parse_revision(broken(("arrival_hour",), hour)).arrival_hour == expected


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"currency": None}, "currency", None),
        ({"currency": " KWD "}, "currency", "KWD"),
        ({"secondary_ota": "Expedia"}, "secondary_ota", "Expedia"),
        ({"secondary_ota": None}, "secondary_ota", None),
        ({"payment_collect": "ota"}, "payment_collect", "ota"),
        ({"payment_type": "bank_transfer"}, "payment_type", "bank_transfer"),
        ({"payment_type": None}, "payment_type", None),
        ({"ota_commission": 0}, "ota_commission", Decimal(0)),
        ({"customer": {"company": "Acme"}}, "customer", Person(name="Jane Smith")),
        (
            {"customer": {"name": " Ana ", "company": {"title": " Acme "}}},
            "customer",
            Person(name="Ana", company="Acme"),
        ),
    ],
)
def test_booking_level_fields(changes: dict[str, Any], field: str, expected: Any) -> None:
    assert getattr(parse_revision(revision() | changes), field) == expected


def test_the_customer_name_falls_back_to_the_first_room_with_a_named_guest() -> None:
    attrs = revision()
    second = broken(("rooms", 0, "guests"), [{"name": "Ana"}, {"name": "Bea", "surname": "Li"}])
    attrs["rooms"][0]["guests"] = [{"name": None}, {}]
    attrs["rooms"].append(second["rooms"][0])
    attrs["customer"] = {"name": "", "surname": None, "mail": "a@example.com"}
    parsed = parse_revision(attrs)
    assert (parsed.customer.name, parsed.customer.email) == ("Ana", "a@example.com")
    assert [room.guest_name for room in parsed.rooms] == [None, "Ana"]


def test_attributes_win_over_a_data_key_beside_them() -> None:
    """A resource object is read by its `attributes`, whatever else it holds."""
    parsed = parse_revision({"id": "R1", "data": {"other": 1}, "attributes": revision()})
    assert parsed.id == "R1"


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """The process's local time zone set to one far from UTC, for the test's length."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
@pytest.mark.parametrize(
    "inserted_at", ["2026-11-21T23:30:00+05:30", "2026-11-21T18:00:00Z", "2026-11-21T18:00:00"]
)
def test_an_instant_comes_out_in_utc_whatever_the_local_zone(inserted_at: str) -> None:
    moment = parse_revision(broken(("inserted_at",), inserted_at)).inserted_at
    assert (moment, moment.tzinfo, moment.isoformat()) == (
        datetime(2026, 11, 21, 18, 0, tzinfo=UTC),
        UTC,
        "2026-11-21T18:00:00+00:00",
    )
