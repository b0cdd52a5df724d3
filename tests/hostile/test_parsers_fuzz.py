"""Hostile documents through the pure parsers: each answers a value whose invariants hold, or
its one documented error (`PayloadError` for the sistema-os ARI and Channex revision parsers,
`ValueError` for `encode.expand_values`). Never another exception."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from middleware.channex.revision_parser import STATUSES, parse_revision
from middleware.domain import encode
from middleware.domain.models import AVAILABILITY_FIELD, RESTRICTION_FIELDS, PlanDay, PmsAri
from middleware.domain.revision import BookingRevision
from middleware.errors import PayloadError
from middleware.pms import sistemaos_ari
from middleware.pms.sistemaos_ari import load_ari_json, parse_ari_document
from tests.hostile import strategies as hs

FUZZ = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
D1, D3 = date(2026, 12, 1), date(2026, 12, 3)
MAX_JSON_INT = 2**63 - 1  # orjson writes nothing wider: a bigger int would crash a push


# --------------------------------------------------------------------------- booking revisions


def revision_attributes(*, status: str = "modified", rooms: int = 2) -> dict[str, Any]:
    return {
        "id": "rev-1",
        "booking_id": "bk-1",
        "property_id": "prop-1",
        "status": status,
        "inserted_at": "2026-11-21T14:03:12.123456",
        "unique_id": "BDC-1",
        "ota_reservation_code": "1",
        "ota_name": "Booking.com",
        "arrival_date": "2026-12-10",
        "departure_date": "2026-12-13",
        "amount": "1350.00",
        "currency": "BRL",
        "notes": "late arrival",
        "customer": {"name": "Maria", "surname": "Silva", "mail": "m@example.com", "phone": "1"},
        "rooms": [
            {
                "room_type_id": f"rt-{n}",
                "rate_plan_id": f"rp-{n}",
                "checkin_date": "2026-12-10",
                "checkout_date": "2026-12-13",
                "occupancy": {"adults": 2, "children": 1, "infants": 0},
                "amount": "675.00",
                "is_cancelled": False,
                "meta": {"parent_rate_plan_id": None},
                "guests": [{"name": "Ana", "surname": "Souza"}],
            }
            for n in range(rooms)
        ],
    }


def revision_documents() -> st.SearchStrategy[Any]:
    """The three accepted envelopes around a new, modified or cancelled revision."""
    attrs = st.builds(
        revision_attributes, status=st.sampled_from(STATUSES), rooms=st.integers(1, 3)
    )
    return st.one_of(
        attrs,
        attrs.map(lambda a: {"type": "booking_revision", "id": a["id"], "attributes": a}),
        attrs.map(lambda a: {"data": {"type": "booking_revision", "id": a["id"], "attributes": a}}),
    )


def check_revision(revision: BookingRevision) -> None:
    """What the booking processor may rely on in any parsed revision."""
    assert revision.id and revision.booking_id and revision.property_id
    assert revision.status in STATUSES
    assert revision.inserted_at.tzinfo is not None
    assert revision.inserted_at.utcoffset() == timedelta(0)
    assert revision.departure_date > revision.arrival_date
    assert revision.rooms or revision.status == "cancelled"
    for amount in (revision.amount, *(room.amount for room in revision.rooms)):
        assert amount is None or (amount.is_finite() and amount >= 0)
    for index, room in enumerate(revision.rooms):
        assert room.index == index
        assert room.checkout > room.checkin
        for count in (room.adults, room.children, room.infants):
            assert type(count) is int and 0 <= count <= MAX_JSON_INT


@FUZZ
@given(doc=st.one_of(revision_documents().flatmap(hs.mutated), hs.json_values()))
def test_revision_parser_answers_a_sound_revision_or_payload_error(doc: Any) -> None:
    """Drop, replace or retype any node of a revision: a sound value or PayloadError."""
    try:
        revision = parse_revision(doc)
    except PayloadError as exc:
        message = str(exc)
    else:
        check_revision(revision)
        return
    assert message.startswith("booking revision")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rooms": []}, "rooms"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1e309"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "１２３"}, "amount"),
        ({"departure_date": "2026-12-09"}, "departure_date"),
        ({"arrival_date": "2026-02-30"}, "arrival_date"),
        ({"status": "confirmed"}, "status"),
        ({"inserted_at": "yesterday"}, "inserted_at"),
    ],
)
def test_revision_parser_refuses_named_hostile_values(changes: dict[str, Any], field: str) -> None:
    """Each hostile value is refused with a PayloadError that names the field."""
    attrs = {**revision_attributes(status="new"), **changes}
    with pytest.raises(PayloadError, match=field):
        parse_revision(attrs)


@pytest.mark.parametrize(
    ("room_changes", "field"),
    [
        ({"occupancy": {"adults": -1}}, "adults"),
        ({"occupancy": {"adults": 2**64 - 1}}, "adults"),
        ({"occupancy": {"adults": "１２"}}, "adults"),
        ({"amount": "-0.01"}, "amount"),
        ({"amount": "1E+400"}, "amount"),
        ({"checkout_date": "2026-12-10"}, "checkout_date"),
    ],
)
def test_revision_parser_refuses_hostile_room_values(
    room_changes: dict[str, Any], field: str
) -> None:
    attrs = revision_attributes(status="new", rooms=1)
    attrs["rooms"][0].update(room_changes)
    with pytest.raises(PayloadError, match=field):
        parse_revision(attrs)


def test_cancelled_revision_may_carry_no_rooms() -> None:
    """A cancellation without rooms is still a cancellation: nothing to refuse."""
    revision = parse_revision({**revision_attributes(status="cancelled"), "rooms": []})
    assert (revision.status, revision.rooms) == ("cancelled", ())


# --------------------------------------------------------------------------- sistema-os ARI


def ari_per_date() -> dict[str, Any]:
    return {
        "currency": "BRL",
        "room_types": [
            {
                "categoria": code,
                "total": total,
                "days": [
                    {
                        "date": (D1 + timedelta(days=n)).isoformat(),
                        "available": total - n,
                        "rates": [
                            {
                                "plano": "padrao",
                                "rate": "450.00",
                                "min_stay_arrival": 2,
                                "min_stay_through": 1,
                                "max_stay": 0,
                                "closed_to_arrival": False,
                                "closed_to_departure": False,
                                "stop_sell": False,
                            },
                            {"plano": "promo", "rate": Decimal("399.90")},
                        ],
                    }
                    for n in range(3)
                ],
            }
            for code, total in (("lvu", 11), ("ov", 5))
        ],
    }


def ari_flat() -> dict[str, Any]:
    return {
        "room_types": [
            {"categoria": "lvu", "total": 11, "available": 9, "rate": "450.00", "currency": "BRL"},
            {"categoria": "ov", "total": 5, "available": 0, "rate": 900, "stop_sell": True},
        ]
    }


def check_ari(ari: PmsAri, flat: bool) -> None:
    codes = [room.room_code for room in ari.rooms]
    assert len(codes) == len(set(codes)) and all(code.strip() for code in codes)
    for room in ari.rooms:
        assert type(room.total) is int and 0 <= room.total <= MAX_JSON_INT
        days = [room_day.day for room_day in room.days]
        assert days == sorted(set(days))
        assert all(D1 <= day <= D3 for day in days)
        if flat and days:
            assert days == [D1 + timedelta(days=n) for n in range(3)]
        for room_day in room.days:
            assert type(room_day.available) is int and 0 <= room_day.available <= room.total
            plans = [plan.plan_code for plan in room_day.plans]
            assert len(plans) == len(set(plans))
            for plan in room_day.plans:
                check_plan(plan)


def check_plan(plan: PlanDay) -> None:
    if plan.rate is not None:
        assert isinstance(plan.rate, Decimal) and plan.rate.is_finite()
        assert 0 < plan.rate <= sistemaos_ari.MAX_RATE
        assert -plan.rate.as_tuple().exponent <= sistemaos_ari.MAX_RATE_PLACES  # type: ignore[operator]
    for stay in (plan.min_stay_arrival, plan.min_stay_through):
        assert stay is None or (type(stay) is int and 1 <= stay <= MAX_JSON_INT)
    assert plan.max_stay is None or (type(plan.max_stay) is int and plan.max_stay >= 0)
    assert plan.max_stay is None or plan.max_stay <= MAX_JSON_INT
    for flag in (plan.closed_to_arrival, plan.closed_to_departure, plan.stop_sell):
        assert flag is None or isinstance(flag, bool)


ARI_DOCS = st.one_of(
    st.just(ari_per_date()).flatmap(lambda d: hs.mutated(d, max_mutations=4)),
    st.just(ari_flat()).flatmap(lambda d: hs.mutated(d, max_mutations=4)),
    hs.json_values(),
)


@FUZZ
@given(doc=ARI_DOCS)
def test_ari_parser_answers_clamped_values_or_payload_error(doc: Any) -> None:
    """Any node of a per-date or flat document dropped, replaced or retyped: PayloadError, or
    availability in [0, total], rates positive Decimals, stays whole, days in the range."""
    shape = sistemaos_ari.ari_shape(doc)
    assert shape in ("per_date", "flat", None)
    try:
        ari, problems = parse_ari_document(doc, date_from=D1, date_to=D3)
    except PayloadError as exc:
        message = str(exc)
    else:
        assert all(isinstance(problem, str) and problem for problem in problems)
        check_ari(ari, flat=shape == "flat")
        return
    assert message.startswith("PMS ARI: ")


@FUZZ
@given(body=hs.bodies(st.sampled_from([ari_per_date(), ari_flat()])))
def test_ari_body_bytes_load_and_parse_or_payload_error(body: bytes) -> None:
    """Raw bytes as the PMS might answer: the loader and parser raise only PayloadError, and
    what they answer can be written as UTF-8 (to the JSON logs and the store)."""
    try:
        doc = load_ari_json(body.decode("utf-8", "replace"))
        ari, problems = parse_ari_document(doc, date_from=D1, date_to=D3)
    except PayloadError:
        return
    check_ari(ari, flat=sistemaos_ari.ari_shape(doc) == "flat")
    orjson.dumps([problems, [(room.room_code, room.days) for room in ari.rooms]], default=str)


@pytest.mark.parametrize(
    "text",
    [
        '{"room_types": [{"categoria": "\\ud800", "total": 1, "available": "x"}]}',
        '{"room_types": [], "currency": ["\\udfff"]}',
        '{"room_types": [{"categoria": "lvu", "total": 1, "days": [], "\\ud800": 1}]}',
    ],
)
def test_ari_lone_surrogates_are_refused(text: str) -> None:
    """The stdlib parser reads "\\ud800" into a str no UTF-8 writer takes: a categoria like
    that made every sync fail on its log line. Refused at the door instead."""
    with pytest.raises(PayloadError, match="lone surrogate"):
        load_ari_json(text)


def test_ari_escaped_surrogate_pairs_still_load() -> None:
    assert load_ari_json('{"currency": "\\ud83c\\udfe8"}') == {"currency": "🏨"}


@pytest.mark.parametrize(
    "available", [2**64, 10**30, "9" * 30, "99999999999999999999", Decimal("1E+20")]
)
def test_ari_huge_availability_is_ignored_not_passed_on(available: Any) -> None:
    """A number no JSON encoder downstream can write never reaches the cells."""
    doc = {"room_types": [{"categoria": "lvu", "total": 11, "days": []}]}
    doc["room_types"][0]["days"] = [{"date": D1.isoformat(), "available": available}]
    ari, problems = parse_ari_document(doc, date_from=D1, date_to=D1)
    assert ari.rooms[0].days == ()
    assert len(problems) == 1 and "available" in problems[0]


def test_ari_huge_total_is_refused() -> None:
    doc = {"room_types": [{"categoria": "lvu", "total": 10**30, "days": []}]}
    with pytest.raises(PayloadError, match="total"):
        parse_ari_document(doc, date_from=D1, date_to=D1)


# --------------------------------------------------------------------------- encode.expand_values

NEAR_DAYS = [(D1 + timedelta(days=n)).isoformat() for n in range(0, 400, 37)]
JUNK_FIELD = st.one_of(hs.hostile_scalars(), st.lists(hs.hostile_scalars(), max_size=3))


def channex_value(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """A value dict whose keys are mostly right and whose values are anything."""
    entity = encode.ENTITY_KEYS[kind]  # type: ignore[index]
    fields = encode.LANE_FIELDS[kind]  # type: ignore[index]
    keys = ["property_id", entity, "date", "date_from", "date_to", "days", *fields, "junk"]
    near = st.sampled_from(NEAR_DAYS)
    return st.dictionaries(
        st.sampled_from(keys),
        st.one_of(near, near, st.just(["mo", "sa"]), st.just("rt-1"), JUNK_FIELD),
        max_size=8,
    )


@FUZZ
@given(
    kind=st.sampled_from(["availability", "restrictions"]),
    data=st.data(),
    currency=st.sampled_from(["BRL", "JPY", "KWD", "", "\x00"]),
)
def test_expand_values_on_junk_raises_only_value_error(
    kind: str, data: st.DataObject, currency: str
) -> None:
    values = data.draw(st.lists(channex_value(kind), max_size=4))
    try:
        cells = encode.expand_values(kind, values, currency=currency)  # type: ignore[arg-type]
    except ValueError:
        return
    names = {AVAILABILITY_FIELD} if kind == "availability" else set(RESTRICTION_FIELDS)
    for key, fields in cells.items():
        assert isinstance(key.day, date) and isinstance(key.entity_id, str) and key.entity_id
        assert fields and set(fields) <= names
        for name, value in fields.items():
            if name == "rate":
                assert isinstance(value, Decimal) and value.is_finite()
            else:
                assert isinstance(value, int)
