"""The booking revision parser: Channex JSON → `BookingRevision`; bad input → `PayloadError`."""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from middleware.channex.revision_parser import parse_revision
from middleware.domain.revision import BookingRevision, NightPrice, Person, RevisionRoom
from middleware.errors import PayloadError

REV = "8ad5c1d6-9a4d-4c5f-8f67-0b2f1c0b7d11"
BOOKING = "b6f1c7a4-6d4e-4b8e-9d53-d1f4a9a1e0a2"
PROP = "716305c4-561a-4561-a187-7f5b8aeb5920"
RT = "994d1375-dbbd-4072-8724-b2ab32ce781b"
RP = "bab451e7-9ab1-4cc6-b803-ac4e5b2d5c6e"


def attributes() -> dict[str, Any]:
    """A realistic revision as the feed serves it (contract §5.2)."""
    return {
        "id": REV,
        "booking_id": BOOKING,
        "property_id": PROP,
        "status": "new",
        "inserted_at": "2026-11-21T14:03:12.123456",
        "unique_id": "BDC-9996013801",
        "system_id": "9996013801-1",
        "ota_reservation_code": "9996013801",
        "ota_name": "Booking.com",
        "arrival_date": "2026-12-10",
        "departure_date": "2026-12-13",
        "arrival_hour": None,
        "amount": "1350.00",
        "currency": "BRL",
        "notes": "late arrival",
        "occupancy": {"adults": 2, "children": 1, "infants": 0},
        "customer": {
            "name": "Maria",
            "surname": "Silva",
            "mail": "maria@example.com",
            "phone": "+55 11 99999-0000",
            "country": "BR",
        },
        "rooms": [
            {
                "room_type_id": RT,
                "rate_plan_id": RP,
                "checkin_date": "2026-12-10",
                "checkout_date": "2026-12-13",
                "occupancy": {"adults": 2, "children": 1, "infants": 0},
                "amount": "1350.00",
                "days": {"2026-12-10": "450.00", "2026-12-11": "450.00", "2026-12-12": "450.00"},
                "guests": [{"name": "Maria", "surname": "Silva"}],
                "is_cancelled": False,
            }
        ],
        "services": [],
        "guarantee": None,
    }


EXPECTED = BookingRevision(
    id=REV,
    booking_id=BOOKING,
    property_id=PROP,
    status="new",
    inserted_at=datetime(2026, 11, 21, 14, 3, 12, 123456, tzinfo=UTC),
    unique_id="BDC-9996013801",
    ota_name="Booking.com",
    ota_reservation_code="9996013801",
    arrival_date=date(2026, 12, 10),
    departure_date=date(2026, 12, 13),
    amount=Decimal("1350.00"),
    currency="BRL",
    notes="late arrival",
    customer=Person(
        name="Maria Silva", email="maria@example.com", phone="+55 11 99999-0000", country="BR"
    ),
    rooms=(
        RevisionRoom(
            index=0,
            room_type_id=RT,
            rate_plan_id=RP,
            checkin=date(2026, 12, 10),
            checkout=date(2026, 12, 13),
            adults=2,
            children=1,
            infants=0,
            amount=Decimal("1350.00"),
            is_cancelled=False,
            guest_name="Maria Silva",
            nights=tuple(
                NightPrice(night=date(2026, 12, d), price=Decimal("450.00")) for d in (10, 11, 12)
            ),
        ),
    ),
    system_id="9996013801-1",
)


def with_changes(**changes: Any) -> dict[str, Any]:
    attrs = attributes()
    attrs.update(changes)
    return attrs


@pytest.mark.parametrize(
    "document",
    [
        {"data": {"type": "booking_revision", "id": REV, "attributes": attributes()}},
        {"type": "booking_revision", "id": REV, "attributes": attributes()},
        attributes(),
    ],
    ids=["envelope", "resource", "bare-attributes"],
)
def test_every_accepted_shape_parses_to_the_same_value(document: dict[str, Any]) -> None:
    assert parse_revision(document) == EXPECTED


def test_envelope_id_is_used_when_attributes_omit_it() -> None:
    attrs = attributes()
    del attrs["id"]
    assert parse_revision(
        {"data": {"type": "booking_revision", "id": REV, "attributes": attrs}}
    ).id == (REV)


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        (
            {"inserted_at": "2026-11-21T14:03:12Z"},
            "inserted_at",
            datetime(2026, 11, 21, 14, 3, 12, tzinfo=UTC),
        ),
        (
            {"inserted_at": "2026-11-21T11:03:12-03:00"},
            "inserted_at",
            datetime(2026, 11, 21, 14, 3, 12, tzinfo=UTC),
        ),
        ({"amount": 1350}, "amount", Decimal("1350")),
        ({"amount": 1350.5}, "amount", Decimal("1350.5")),
        ({"amount": None}, "amount", None),
        ({"amount": ""}, "amount", None),
        ({"status": "cancelled"}, "status", "cancelled"),
        ({"status": "modified"}, "status", "modified"),
        ({"notes": "   "}, "notes", None),
        ({"ota_reservation_code": 9996013801}, "ota_reservation_code", "9996013801"),
        ({"unique_id": None, "ota_name": None}, "unique_id", None),
        (
            {"customer": None},
            "customer",
            Person(name="Maria Silva"),
        ),  # falls back to the room guest
        (
            {"customer": {"name": "Ana", "surname": None, "mail": "", "phone": None}},
            "customer",
            Person(name="Ana"),
        ),
        ({"customer": {"surname": "Souza"}}, "customer", Person(name="Souza")),
    ],
)
def test_field_variants(changes: dict[str, Any], field: str, expected: object) -> None:
    assert getattr(parse_revision(with_changes(**changes)), field) == expected


def test_rooms_fall_back_to_booking_dates_and_default_counts() -> None:
    """Index = position; absent per-room dates are the booking's; null room type is kept."""
    second = {
        "room_type_id": None,
        "rate_plan_id": None,
        "occupancy": {"adults": "1"},
        "amount": None,
        "is_cancelled": True,
    }
    third = {
        "room_type_id": RT,
        "rate_plan_id": "derived-plan",
        "meta": {"parent_rate_plan_id": RP},
        "checkin_date": "2026-12-11",
        "checkout_date": "2026-12-12",
        "occupancy": {"adults": 3, "children": None, "infants": 1},
        "amount": "500",
    }
    revision = parse_revision(with_changes(rooms=[attributes()["rooms"][0], second, third]))
    assert revision.rooms[1:] == (
        RevisionRoom(
            index=1,
            room_type_id=None,
            rate_plan_id=None,
            checkin=date(2026, 12, 10),
            checkout=date(2026, 12, 13),
            adults=1,
            children=0,
            infants=0,
            amount=None,
            is_cancelled=True,
        ),
        RevisionRoom(
            index=2,
            room_type_id=RT,
            rate_plan_id=RP,
            checkin=date(2026, 12, 11),
            checkout=date(2026, 12, 12),
            adults=3,
            children=0,
            infants=1,
            amount=Decimal("500"),
        ),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": None}, "'id' is missing"),
        ({"booking_id": None}, "'booking_id' is missing"),
        ({"property_id": ""}, "'property_id' is missing"),
        ({"status": "pending"}, "'status' 'pending' is not one of new, modified, cancelled"),
        ({"status": None}, "'status' is missing"),
        ({"inserted_at": "yesterday"}, "'inserted_at' 'yesterday' is not an ISO timestamp"),
        ({"inserted_at": 1700000000}, "'inserted_at' must be an ISO timestamp"),
        ({"arrival_date": "2026-13-01"}, "'arrival_date' '2026-13-01' is not a YYYY-MM-DD date"),
        ({"departure_date": None}, "'departure_date' must be a YYYY-MM-DD date"),
        ({"departure_date": "2026-12-10"}, "'departure_date' must be after 'arrival_date'"),
        ({"amount": "12,50"}, "'amount' '12,50' is not a decimal amount"),
        ({"amount": "NaN"}, "'amount' 'NaN' is not a finite amount"),
        ({"amount": True}, "'amount' must be a decimal string"),
        ({"currency": ["BRL"]}, "'currency' must be a string"),
        ({"customer": "Maria"}, "'customer' must be an object"),
        ({"rooms": None}, "'rooms' must be a list"),
        ({"rooms": ["x"]}, "rooms[0]: must be an object"),
        ({"rooms": [{"occupancy": None}]}, "rooms[0]: 'occupancy' must be an object"),
        ({"rooms": [{"occupancy": {"children": 1}}]}, "'adults' must be a non-negative integer"),
        ({"rooms": [{"occupancy": {"adults": -1}}]}, "'adults' must be a non-negative integer"),
        ({"rooms": [{"occupancy": {"adults": True}}]}, "'adults' must be a non-negative integer"),
        (
            {"rooms": [{"occupancy": {"adults": 2}, "is_cancelled": "no"}]},
            "'is_cancelled' must be a boolean",
        ),
        (
            {"rooms": [{"occupancy": {"adults": 2}, "checkout_date": "2026-12-09"}]},
            "'checkout_date' must be after 'checkin_date'",
        ),
    ],
)
def test_bad_revisions_raise_payload_error_naming_the_field(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_revision(with_changes(**changes))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "document",
    [None, [], "revision", 42, {"data": None}, {"data": {"attributes": []}}],
)
def test_non_objects_raise_payload_error(document: object) -> None:
    with pytest.raises(PayloadError):
        parse_revision(document)


def test_other_offsets_convert_to_utc() -> None:
    revision = parse_revision(with_changes(inserted_at="2026-11-21T23:30:00+05:30"))
    assert revision.inserted_at == datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    assert revision.inserted_at.utcoffset() == timedelta(0)
    assert revision.inserted_at == datetime(
        2026, 11, 21, 23, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )


# --------------------------------------------------------------------------- properties

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "new", "2026-12-10", "2026-11-21T14:03:12", "1e999999", "-0", "Infinity"]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
ROOM_KEYS = ["room_type_id", "rate_plan_id", "checkin_date", "checkout_date", "occupancy", "amount"]
ROOM_KEYS += ["is_cancelled", "meta", "guests"]


def _mutate(document: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    target: Any = out
    for key in path[:-1]:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and target:
            target = target[0]
        else:
            return out
    if isinstance(target, dict):
        target[path[-1]] = value
    return out


MUTATION_PATHS = st.one_of(
    st.sampled_from(sorted(attributes())).map(lambda k: [k]),
    st.sampled_from(["name", "surname", "mail", "phone"]).map(lambda k: ["customer", k]),
    st.sampled_from(ROOM_KEYS).map(lambda k: ["rooms", "0", k]),
    st.sampled_from(["adults", "children", "infants"]).map(
        lambda k: ["rooms", "0", "occupancy", k]
    ),
)


@settings(max_examples=300, deadline=None)
@given(mutations=st.lists(st.tuples(MUTATION_PATHS, JSON_VALUES), min_size=1, max_size=4))
def test_mutated_revisions_parse_or_raise_payload_error(
    mutations: list[tuple[list[str], Any]],
) -> None:
    """Whatever a field is replaced by, the parser returns a revision or raises PayloadError."""
    document = attributes()
    for path, value in mutations:
        document = _mutate(document, path, value)
    try:
        revision = parse_revision({"data": {"type": "booking_revision", "attributes": document}})
    except PayloadError:
        return
    assert revision.inserted_at.tzinfo is not None
    assert all(room.checkout > room.checkin for room in revision.rooms)
    assert revision.amount is None or revision.amount.is_finite()


@settings(max_examples=200, deadline=None)
@given(document=JSON_VALUES)
def test_random_documents_never_raise_anything_but_payload_error(document: Any) -> None:
    with contextlib.suppress(PayloadError):
        parse_revision(document)
