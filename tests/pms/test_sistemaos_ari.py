"""The sistema-os ARI document parser: both shapes, corrections as problems, structural errors."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from middleware.domain.models import PlanDay, PmsAri, RoomAri, RoomDay
from middleware.errors import PayloadError
from middleware.pms import sistemaos_ari
from middleware.pms.sistemaos_ari import parse_ari_document

D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)


def _parse(doc: Any, date_from: date = D1, date_to: date = D3) -> tuple[PmsAri, list[str]]:
    return parse_ari_document(doc, date_from=date_from, date_to=date_to)


def _one_day(day: dict[str, Any], total: int = 11) -> dict[str, Any]:
    return {"room_types": [{"categoria": "lvu", "total": total, "days": [day]}]}


def _first_day(ari: PmsAri) -> RoomDay:
    return ari.rooms[0].days[0]


# --------------------------------------------------------------------------- shapes


def test_per_date_document_with_two_plans() -> None:
    doc = {
        "currency": "BRL",
        "room_types": [
            {
                "categoria": "lvu",
                "total": 11,
                "days": [
                    {
                        "date": "2026-12-02",
                        "available": 7,
                        "rates": [
                            {"plano": "padrao", "rate": "450.00", "min_stay_arrival": 2},
                            {"plano": "promo", "rate": "399.90", "stop_sell": True},
                        ],
                    },
                    {
                        "date": "2026-12-01",
                        "available": 9,
                        "rates": [
                            {
                                "plano": "padrao",
                                "rate": "450.00",
                                "min_stay_arrival": 2,
                                "min_stay_through": 1,
                                "max_stay": 0,
                                "closed_to_arrival": False,
                                "closed_to_departure": True,
                                "stop_sell": False,
                            },
                            {"plano": "promo", "rate": "399.90"},
                        ],
                    },
                ],
            },
            {"categoria": "ov", "total": 5, "days": []},
        ],
    }
    full = PlanDay(
        plan_code="padrao",
        rate=Decimal("450.00"),
        min_stay_arrival=2,
        min_stay_through=1,
        max_stay=0,
        closed_to_arrival=False,
        closed_to_departure=True,
        stop_sell=False,
    )
    expected = PmsAri(
        currency="BRL",
        rooms=(
            RoomAri(
                room_code="lvu",
                total=11,
                days=(
                    RoomDay(
                        day=D1,
                        available=9,
                        plans=(full, PlanDay(plan_code="promo", rate=Decimal("399.90"))),
                    ),
                    RoomDay(
                        day=D2,
                        available=7,
                        plans=(
                            PlanDay(plan_code="padrao", rate=Decimal("450.00"), min_stay_arrival=2),
                            PlanDay(plan_code="promo", rate=Decimal("399.90"), stop_sell=True),
                        ),
                    ),
                ),
            ),
            RoomAri(room_code="ov", total=5, days=()),
        ),
    )
    assert _parse(doc) == (expected, [])


def test_bare_rate_on_a_day_is_the_single_plan_padrao() -> None:
    doc = _one_day({"date": "2026-12-01", "available": 3, "rate": "500.00", "stop_sell": False})
    ari, problems = _parse(doc)
    plan = PlanDay(plan_code="padrao", rate=Decimal("500.00"), stop_sell=False)
    assert ari.rooms == (
        RoomAri(room_code="lvu", total=11, days=(RoomDay(day=D1, available=3, plans=(plan,)),)),
    )
    assert problems == []


def test_day_without_rate_fields_has_availability_only() -> None:
    ari, problems = _parse(_one_day({"date": "2026-12-01", "available": 3, "rate": None}))
    assert _first_day(ari) == RoomDay(day=D1, available=3, plans=())
    assert problems == []


def test_flat_document_for_one_day() -> None:
    doc = {
        "room_types": [
            {"categoria": "lvu", "total": 11, "available": 9, "rate": "450.00", "currency": "BRL"},
            {"categoria": "ov", "total": 5, "available": 0, "rate": 900, "currency": "BRL"},
        ]
    }
    expected = PmsAri(
        currency="BRL",
        rooms=(
            RoomAri(
                room_code="lvu",
                total=11,
                days=(
                    RoomDay(
                        day=D2,
                        available=9,
                        plans=(PlanDay(plan_code="padrao", rate=Decimal("450.00")),),
                    ),
                ),
            ),
            RoomAri(
                room_code="ov",
                total=5,
                days=(
                    RoomDay(
                        day=D2, available=0, plans=(PlanDay(plan_code="padrao", rate=Decimal(900)),)
                    ),
                ),
            ),
        ),
    )
    assert _parse(doc, D2, D2) == (expected, [])


def test_flat_document_for_a_range_holds_for_every_day() -> None:
    doc = {"room_types": [{"categoria": "lvu", "total": 11, "available": 9}]}
    ari, _ = _parse(doc)
    assert ari.rooms[0].days == tuple(RoomDay(day=d, available=9) for d in (D1, D2, D3))


@pytest.mark.parametrize(
    ("doc", "shape"),
    [
        (
            {"room_types": [{"categoria": "a", "days": []}, {"categoria": "b", "days": []}]},
            "per_date",
        ),
        ({"room_types": [{"categoria": "a", "available": 1}]}, "flat"),
        ({"room_types": [{"categoria": "a", "days": []}, {"categoria": "b"}]}, "flat"),
        ({"room_types": []}, None),
        ({"room_types": "x"}, None),
        ([], None),
    ],
)
def test_ari_shape(doc: Any, shape: str | None) -> None:
    assert sistemaos_ari.ari_shape(doc) == shape


def test_merge_aris_joins_per_day_reads() -> None:
    def part(day: date, available: int) -> PmsAri:
        room = RoomAri(room_code="lvu", total=11, days=(RoomDay(day=day, available=available),))
        return PmsAri(currency="BRL", rooms=(room,))

    merged = sistemaos_ari.merge_aris([part(D2, 5), part(D1, 4), PmsAri(currency=None, rooms=())])
    days = (RoomDay(day=D1, available=4), RoomDay(day=D2, available=5))
    assert merged == PmsAri(currency="BRL", rooms=(RoomAri(room_code="lvu", total=11, days=days),))


# --------------------------------------------------------------------------- corrections


@pytest.mark.parametrize(
    ("available", "expected", "problems"),
    [
        (9, 9, []),
        (0, 0, []),
        (11, 11, []),
        (-3, 0, ["lvu 2026-12-01: available -3 outside [0, 11], clamped to 0"]),
        (15, 11, ["lvu 2026-12-01: available 15 outside [0, 11], clamped to 11"]),
        ("7", 7, []),
        (Decimal("7.0"), 7, []),
    ],
)
def test_availability_is_clamped_to_total(
    available: object, expected: int, problems: list[str]
) -> None:
    ari, found = _parse(_one_day({"date": "2026-12-01", "available": available}))
    assert (_first_day(ari).available, found) == (expected, problems)


@pytest.mark.parametrize("available", [None, "nine", 7.5, True, [3]])
def test_unreadable_availability_ignores_the_day(available: object) -> None:
    ari, problems = _parse(_one_day({"date": "2026-12-01", "available": available, "rate": "1"}))
    assert ari.rooms[0].days == ()
    assert problems == [
        f"lvu 2026-12-01: available {available!r} is not a whole number, day ignored"
    ]


@pytest.mark.parametrize(
    ("rate", "expected", "problems"),
    [
        ("450.00", Decimal("450.00"), []),
        (Decimal("450.5"), Decimal("450.5"), []),
        (450.5, Decimal("450.5"), []),
        (450, Decimal(450), []),
        ("0.00", None, ["'0.00' is not a positive decimal"]),
        ("-10", None, ["'-10' is not a positive decimal"]),
        ("abc", None, ["'abc' is not a positive decimal"]),
        ("NaN", None, ["'NaN' is not a positive decimal"]),
        (True, None, ["True is not a positive decimal"]),
        ("450.12345", None, ["'450.12345' is out of range"]),
        ("1e12", None, ["'1e12' is out of range"]),
    ],
)
def test_rate_that_is_not_a_positive_decimal_is_dropped(
    rate: object, expected: Decimal | None, problems: list[str]
) -> None:
    day = {"date": "2026-12-01", "available": 1, "rates": [{"plano": "p", "rate": rate}]}
    ari, found = _parse(_one_day(day))
    assert _first_day(ari).plans == (PlanDay(plan_code="p", rate=expected),)
    assert found == [f"lvu 2026-12-01: rate {p}, dropped from plano p" for p in problems]


def test_json_number_rate_is_exact() -> None:
    text = '{"room_types": [{"categoria": "lvu", "total": 1, "available": 1, "rate": 450.5}]}'
    ari, _ = _parse(sistemaos_ari.load_ari_json(text), D1, D1)
    rate = _first_day(ari).plans[0].rate
    assert (rate, str(rate)) == (Decimal("450.5"), "450.5")


@pytest.mark.parametrize(
    ("fields", "expected", "problems"),
    [
        ({"min_stay_arrival": -1}, PlanDay(plan_code="p"), ["min_stay_arrival -1"]),
        ({"min_stay_through": -2}, PlanDay(plan_code="p"), ["min_stay_through -2"]),
        ({"max_stay": -1}, PlanDay(plan_code="p"), ["max_stay -1"]),
        ({"min_stay_arrival": 0}, PlanDay(plan_code="p", min_stay_arrival=1), []),
        ({"max_stay": 0}, PlanDay(plan_code="p", max_stay=0), []),
        ({"min_stay_arrival": "3"}, PlanDay(plan_code="p", min_stay_arrival=3), []),
        ({"min_stay_arrival": 2.5}, PlanDay(plan_code="p"), ["min_stay_arrival 2.5"]),
        ({"stop_sell": None}, PlanDay(plan_code="p"), []),
    ],
)
def test_stay_restrictions(fields: dict[str, Any], expected: PlanDay, problems: list[str]) -> None:
    day = {"date": "2026-12-01", "available": 1, "rates": [{"plano": "p", **fields}]}
    ari, found = _parse(_one_day(day))
    assert _first_day(ari).plans == (expected,)
    suffix = "is not a whole number of nights >= 0, dropped from plano p"
    assert found == [f"lvu 2026-12-01: {p} {suffix}" for p in problems]


@pytest.mark.parametrize("flag", ["yes", 1, 0, "true"])
def test_non_boolean_flag_is_dropped(flag: object) -> None:
    day = {
        "date": "2026-12-01",
        "available": 1,
        "rates": [{"plano": "p", "closed_to_arrival": flag}],
    }
    ari, found = _parse(_one_day(day))
    assert _first_day(ari).plans == (PlanDay(plan_code="p"),)
    assert found == [
        f"lvu 2026-12-01: closed_to_arrival {flag!r} is not a boolean, dropped from plano p"
    ]


def test_days_outside_the_range_are_ignored_and_repeats_take_the_last() -> None:
    doc = {
        "room_types": [
            {
                "categoria": "lvu",
                "total": 11,
                "days": [
                    {"date": "2026-11-30", "available": 1},
                    {"date": "2026-12-01", "available": 2},
                    {"date": "2026-12-01", "available": 3},
                    {"date": "2026-12-04", "available": 4},
                ],
            },
            {"categoria": "lvu", "total": 10, "days": [{"date": "2026-12-02", "available": 4}]},
        ]
    }
    ari, problems = _parse(doc)
    assert ari.rooms == (RoomAri(room_code="lvu", total=10, days=(RoomDay(day=D2, available=4),)),)
    assert problems == [
        "lvu 2026-11-30: date outside 2026-12-01..2026-12-03, day ignored",
        "lvu 2026-12-01: date repeated, last entry wins",
        "lvu 2026-12-04: date outside 2026-12-01..2026-12-03, day ignored",
        "lvu: categoria repeated, last entry wins",
    ]


def test_repeated_plano_takes_the_last() -> None:
    rates = [{"plano": "p", "rate": "1.00"}, {"plano": "p", "rate": "2.00"}]
    ari, problems = _parse(_one_day({"date": "2026-12-01", "available": 1, "rates": rates}))
    assert _first_day(ari).plans == (PlanDay(plan_code="p", rate=Decimal("2.00")),)
    assert problems == ["lvu 2026-12-01: plano p repeated, last wins"]


def test_negative_total_becomes_zero_and_clamps_availability() -> None:
    ari, problems = _parse(_one_day({"date": "2026-12-01", "available": 2}, total=-1))
    assert ari.rooms == (RoomAri(room_code="lvu", total=0, days=(RoomDay(day=D1, available=0),)),)
    assert problems == [
        "lvu: total -1 < 0, clamped to 0",
        "lvu 2026-12-01: available 2 outside [0, 0], clamped to 0",
    ]


def test_structured_problems_name_room_day_field_and_action() -> None:
    _, problems = sistemaos_ari.read_ari_document(
        _one_day({"date": "2026-12-01", "available": 15}), date_from=D1, date_to=D3
    )
    assert problems == [
        sistemaos_ari.AriProblem(
            room_code="lvu",
            day=D1,
            field="available",
            action="clamped",
            message="lvu 2026-12-01: available 15 outside [0, 11], clamped to 11",
        )
    ]


def test_every_correction_is_a_structured_problem() -> None:
    """Each correction names its room, day, field and action (what `/status` and logs show)."""
    doc = {
        "room_types": [
            {
                "categoria": "lvu",
                "total": -2,
                "days": [
                    {"date": "2026-11-30", "available": 1},
                    {"date": "2026-12-01", "available": "x"},
                    {"date": "2026-12-02", "available": 1, "rate": "-1"},
                    {
                        "date": "2026-12-02",
                        "available": 0,
                        "rates": [{"plano": "p", "rate": "1"}, {"plano": "p", "stop_sell": "no"}],
                    },
                ],
            },
            {"categoria": "lvu", "total": 3, "available": "x"},
        ]
    }
    ari, problems = sistemaos_ari.read_ari_document(doc, date_from=D1, date_to=D3)
    assert ari == PmsAri(currency=None, rooms=(RoomAri(room_code="lvu", total=3, days=()),))
    problem = sistemaos_ari.AriProblem
    assert problems == [
        problem(
            room_code="lvu",
            day=None,
            field="total",
            action="clamped",
            message="lvu: total -2 < 0, clamped to 0",
        ),
        problem(
            room_code="lvu",
            day=date(2026, 11, 30),
            field="date",
            action="ignored",
            message="lvu 2026-11-30: date outside 2026-12-01..2026-12-03, day ignored",
        ),
        problem(
            room_code="lvu",
            day=D1,
            field="available",
            action="ignored",
            message="lvu 2026-12-01: available 'x' is not a whole number, day ignored",
        ),
        problem(
            room_code="lvu",
            day=D2,
            field="available",
            action="clamped",
            message="lvu 2026-12-02: available 1 outside [0, 0], clamped to 0",
        ),
        problem(
            room_code="lvu",
            day=D2,
            field="rate",
            action="dropped",
            message="lvu 2026-12-02: rate '-1' is not a positive decimal,"
            " dropped from plano padrao",
        ),
        problem(
            room_code="lvu",
            day=D2,
            field="plano",
            action="last_wins",
            message="lvu 2026-12-02: plano p repeated, last wins",
        ),
        problem(
            room_code="lvu",
            day=D2,
            field="stop_sell",
            action="dropped",
            message="lvu 2026-12-02: stop_sell 'no' is not a boolean, dropped from plano p",
        ),
        problem(
            room_code="lvu",
            day=D2,
            field="date",
            action="last_wins",
            message="lvu 2026-12-02: date repeated, last entry wins",
        ),
        problem(
            room_code="lvu",
            day=D1,
            field="available",
            action="ignored",
            message="lvu 2026-12-01: available 'x' is not a whole number, day ignored",
        ),
        problem(
            room_code="lvu",
            day=None,
            field="categoria",
            action="last_wins",
            message="lvu: categoria repeated, last entry wins",
        ),
    ]


def test_an_unusable_day_does_not_end_the_room_and_the_last_day_counts() -> None:
    days = [{"date": "2026-12-01", "available": None}, {"date": "2026-12-03", "available": 2}]
    ari, problems = _parse({"room_types": [{"categoria": "lvu", "total": 4, "days": days}]})
    assert ari.rooms == (RoomAri(room_code="lvu", total=4, days=(RoomDay(day=D3, available=2),)),)
    assert problems == ["lvu 2026-12-01: available None is not a whole number, day ignored"]


def test_a_room_with_no_units_is_no_problem() -> None:
    ari, problems = _parse(_one_day({"date": "2026-12-01", "available": 0}, total=0))
    assert ari.rooms == (RoomAri(room_code="lvu", total=0, days=(RoomDay(day=D1, available=0),)),)
    assert problems == []


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (10**15 - 1, 10**15 - 1),
        ("999999999999999", 10**15 - 1),
        (Decimal("999999999999999"), 10**15 - 1),
        (7.0, 7),
        ("7.0", 7),
        (" 8 ", 8),
        (Decimal("8E0"), 8),
    ],
)
def test_whole_numbers_up_to_fifteen_digits_are_read(total: object, expected: int) -> None:
    doc = {"room_types": [{"categoria": "lvu", "total": total, "days": []}]}
    assert _parse(doc) == (
        PmsAri(currency=None, rooms=(RoomAri(room_code="lvu", total=expected, days=()),)),
        [],
    )


@pytest.mark.parametrize(
    "total", [10**15, -(10**15), "1000000000000000", Decimal("1E15"), "1e15", 7.5, "7.5", "seven"]
)
def test_what_is_not_a_whole_number_of_at_most_fifteen_digits_is_refused(total: object) -> None:
    doc = {"room_types": [{"categoria": "lvu", "total": total, "days": []}]}
    with pytest.raises(PayloadError) as caught:
        _parse(doc)
    assert str(caught.value) == "PMS ARI: room_types[0].total is missing or not a whole number"


@pytest.mark.parametrize(
    ("rate", "expected", "problems"),
    [
        ("100000000", Decimal("100000000"), []),
        ("100000000.01", None, ["'100000000.01' is out of range"]),
        ("450.1234", Decimal("450.1234"), []),
        ("1E+3", Decimal("1E+3"), []),
    ],
)
def test_rate_limits(rate: str, expected: Decimal | None, problems: list[str]) -> None:
    """MAX_RATE itself and MAX_RATE_PLACES decimals are accepted; one step further is not."""
    day = {"date": "2026-12-01", "available": 1, "rates": [{"plano": "p", "rate": rate}]}
    ari, found = _parse(_one_day(day))
    assert _first_day(ari).plans == (PlanDay(plan_code="p", rate=expected),)
    assert found == [f"lvu 2026-12-01: rate {p}, dropped from plano p" for p in problems]


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        ("x" * 38, "'" + "x" * 38 + "'"),
        ("x" * 39, "'" + "x" * 36 + "..."),
    ],
)
def test_a_long_value_is_shortened_in_the_problem(rate: str, shown: str) -> None:
    """A value is shown whole up to MAX_SHOWN_CHARS characters, else cut with an ellipsis."""
    day = {"date": "2026-12-01", "available": 1, "rates": [{"plano": "p", "rate": rate}]}
    _, problems = _parse(_one_day(day))
    assert problems == [
        f"lvu 2026-12-01: rate {shown} is not a positive decimal, dropped from plano p"
    ]


def test_a_flat_entry_with_unreadable_availability_is_a_room_without_days() -> None:
    doc = {"room_types": [{"categoria": "ov", "total": 5, "available": 2.5, "rate": "900"}]}
    ari, problems = sistemaos_ari.read_ari_document(doc, date_from=D2, date_to=D3)
    assert ari == PmsAri(currency=None, rooms=(RoomAri(room_code="ov", total=5, days=()),))
    assert problems == [
        sistemaos_ari.AriProblem(
            room_code="ov",
            day=D2,
            field="available",
            action="ignored",
            message="ov 2026-12-02: available 2.5 is not a whole number, day ignored",
        )
    ]


def test_merge_aris_without_any_currency() -> None:
    part = PmsAri(currency=None, rooms=(RoomAri(room_code="ov", total=5, days=()),))
    assert sistemaos_ari.merge_aris([part, part]) == part


def test_a_range_that_ends_before_it_starts_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"^date_from 2026-12-03 is after date_to 2026-12-01$"):
        _parse({"room_types": []}, D3, D1)


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "PMS ARI: the document is a list, expected an object"),
        ("x", "PMS ARI: the document is a string, expected an object"),
        ({}, "PMS ARI: room_types is missing, expected a list"),
        ({"room_types": {}}, "PMS ARI: room_types is an object, expected a list"),
        ({"room_types": [3]}, "PMS ARI: room_types[0] is a number, expected an object"),
        (
            {"room_types": [{"total": 1, "days": []}]},
            "PMS ARI: room_types[0].categoria is missing or not a non-empty string",
        ),
        (
            {"room_types": [{"categoria": " ", "total": 1}]},
            "PMS ARI: room_types[0].categoria is missing or not a non-empty string",
        ),
        (
            {"room_types": [{"categoria": "a", "days": []}]},
            "PMS ARI: room_types[0].total is missing or not a whole number",
        ),
        (
            {"room_types": [{"categoria": "a", "total": 1, "days": None}]},
            "PMS ARI: room_types[0].days is missing, expected a list",
        ),
        (
            {"room_types": [{"categoria": "a", "total": 1, "days": "2026-12-01"}]},
            "PMS ARI: room_types[0].days is a string, expected a list",
        ),
        (
            {"room_types": ({"categoria": "a", "total": 1, "days": []},)},
            "PMS ARI: room_types is tuple, expected a list",
        ),
        (
            {"room_types": [{"categoria": "a", "total": 1, "available": 1, "rates": "450"}]},
            "PMS ARI: room_types[0].rates is a string, expected a list",
        ),
        (
            {"room_types": [{"categoria": "a", "total": 1, "days": [True]}]},
            "PMS ARI: room_types[0].days[0] is a boolean, expected an object",
        ),
        (
            {"room_types": [{"categoria": "a", "total": 1, "days": [{"date": "12/01/2026"}]}]},
            "PMS ARI: room_types[0].days[0].date is missing or not YYYY-MM-DD",
        ),
        (
            _one_day({"date": "2026-12-01", "available": 1, "rates": "450"}),
            "PMS ARI: room_types[0].days[0].rates is a string, expected a list",
        ),
        (
            _one_day({"date": "2026-12-01", "available": 1, "rates": [[]]}),
            "PMS ARI: room_types[0].days[0].rates[0] is a list, expected an object",
        ),
        (
            _one_day({"date": "2026-12-01", "available": 1, "rates": [{"rate": "1"}]}),
            "PMS ARI: room_types[0].days[0].rates[0].plano is missing or not a string",
        ),
    ],
)
def test_structural_garbage_is_a_payload_error_naming_the_path(doc: Any, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        _parse(doc)
    assert str(caught.value) == message


@pytest.mark.parametrize("text", ["not json", '{"rate": NaN}', '{"rate": Infinity}', ""])
def test_load_ari_json_rejects_what_is_not_strict_json(text: str) -> None:
    with pytest.raises(PayloadError, match="body is not JSON"):
        sistemaos_ari.load_ari_json(text)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_load_ari_json_names_the_constant_it_refuses(constant: str) -> None:
    with pytest.raises(PayloadError) as caught:
        sistemaos_ari.load_ari_json(f'{{"rate": {constant}}}')
    assert str(caught.value) == f"PMS ARI: body is not JSON: {constant} is not a number"


@pytest.mark.parametrize(
    "text",
    [
        r'{"categoria": "\ud800"}',
        r'{"categoria": "a\udfffb"}',
        r'{"\udc00": 1}',
        r'{"room_types": [1, ["\uDBFF"]]}',
    ],
)
def test_load_ari_json_refuses_a_lone_surrogate(text: str) -> None:
    """No UTF-8 writer (orjson logs, SQLite) takes one: it would fail every sync later."""
    with pytest.raises(PayloadError) as caught:
        sistemaos_ari.load_ari_json(text)
    assert str(caught.value) == "PMS ARI: body is not JSON: a string holds a lone surrogate"


def test_load_ari_json_keeps_an_escaped_surrogate_pair() -> None:
    """A pair escapes one character beyond the BMP (an emoji in a name): that is fine."""
    text = r'{"categoria": "su\ud83d\ude00te", "total": 2.0, "tags": [true, null, "\u00e9"]}'
    assert sistemaos_ari.load_ari_json(text) == {
        "categoria": "su\U0001f600te",
        "total": Decimal("2.0"),
        "tags": [True, None, "\u00e9"],
    }


def test_load_ari_json_keeps_numbers_exact() -> None:
    doc = sistemaos_ari.load_ari_json('{"a": 450.10, "b": 3, "c": 0.1}')
    assert doc == {"a": Decimal("450.10"), "b": 3, "c": Decimal("0.1")}
    assert str(doc["a"]) == "450.10"


# --------------------------------------------------------------------------- properties

JSON_LEAVES = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.decimals() | st.text(max_size=12)
)
JSON_DOCS = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=40,
)
RANGE_FROM, RANGE_TO = D1, D3


def _or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly well-typed values, sometimes anything: reaches deep into the parser."""
    return st.integers(0, 9).flatmap(lambda n: JSON_DOCS if n == 0 else strategy)


NEAR_DATES = st.dates(RANGE_FROM - timedelta(days=2), RANGE_TO + timedelta(days=2))
NUMBERS = (
    st.integers(-5, 20)
    | st.decimals(-5, 1000, places=2)
    | st.floats(-5, 1000)
    | st.text("0123456789.-e", max_size=6)
)


def _mostly(good: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.integers(0, 2).flatmap(lambda n: other if n == 0 else good)


WHOLES = _mostly(st.integers(-5, 20), NUMBERS)
RATES = _mostly(st.decimals(-1, 1000, places=2).map(str), NUMBERS)
PLAN_ENTRIES = st.fixed_dictionaries(
    {"plano": _or_junk(st.sampled_from(["padrao", "promo"]))},
    optional={
        "rate": _or_junk(RATES),
        "min_stay_arrival": _or_junk(WHOLES),
        "max_stay": _or_junk(WHOLES),
        "stop_sell": _or_junk(st.booleans()),
    },
)
DAY_ENTRIES = st.fixed_dictionaries(
    {"date": _or_junk(NEAR_DATES.map(date.isoformat)), "available": _or_junk(WHOLES)},
    optional={
        "rate": _or_junk(RATES),
        "rates": _or_junk(st.lists(PLAN_ENTRIES, max_size=3)),
        "closed_to_arrival": _or_junk(st.booleans()),
    },
)
ROOM_ENTRIES = st.fixed_dictionaries(
    {
        "categoria": _or_junk(st.sampled_from(["lvu", "ov"])),
        "total": _or_junk(st.integers(-2, 12)),
    },
    optional={
        "available": _or_junk(WHOLES),
        "rate": _or_junk(RATES),
        "days": _or_junk(st.lists(DAY_ENTRIES, max_size=4)),
        "currency": _or_junk(st.just("BRL")),
    },
)
SHAPED_DOCS = st.fixed_dictionaries(
    {"room_types": _or_junk(st.lists(ROOM_ENTRIES, max_size=3))},
    optional={"currency": JSON_LEAVES},
)


def _check_invariants(ari: PmsAri) -> None:
    for room in ari.rooms:
        assert room.total >= 0
        days = [room_day.day for room_day in room.days]
        assert days == sorted(set(days))
        for room_day in room.days:
            assert RANGE_FROM <= room_day.day <= RANGE_TO
            assert 0 <= room_day.available <= room.total
            for plan in room_day.plans:
                assert plan.rate is None or plan.rate > 0
                assert plan.min_stay_arrival is None or plan.min_stay_arrival >= 1
                assert plan.max_stay is None or plan.max_stay >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=JSON_DOCS | SHAPED_DOCS)
def test_any_document_parses_or_raises_payload_error(doc: Any) -> None:
    """Whatever the PMS sends, the parser answers a clamped `PmsAri` or a `PayloadError`."""
    try:
        ari, problems = _parse(doc, RANGE_FROM, RANGE_TO)
    except PayloadError:
        return
    assert all(isinstance(problem, str) for problem in problems)
    _check_invariants(ari)
