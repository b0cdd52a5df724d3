"""A Channex `meta.warnings` entry names every (cell, field) of the value it dropped, no more."""

from datetime import date, timedelta
from typing import Any

import pytest

from middleware.domain import warnings
from middleware.domain.models import CellKey, Kind

D = date.fromisoformat
MON = D("2026-11-16")  # a Monday


def days(first: str, last: str) -> list[date]:
    start, end = D(first), D(last)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"date": "2026-11-22"}, [D("2026-11-22")], id="one date"),
        pytest.param(
            {"date": "2026-11-22", "date_from": "2026-11-01", "date_to": "2026-11-30"},
            [D("2026-11-22")],
            id="a date wins over a range",
        ),
        pytest.param(
            {"date_from": "2026-11-20", "date_to": "2026-11-22"},
            days("2026-11-20", "2026-11-22"),
            id="a range, both ends included",
        ),
        pytest.param(
            {"date_from": "2026-11-20", "date_to": "2026-11-20"}, [D("2026-11-20")], id="one day"
        ),
        pytest.param(
            {"date": "2026-13-01", "date_from": "2026-11-20", "date_to": "2026-11-21"},
            days("2026-11-20", "2026-11-21"),
            id="an unreadable date falls back to the range",
        ),
        pytest.param(
            {"date_from": "2026-11-16", "date_to": "2026-11-29", "days": ["mo", "fr"]},
            [D("2026-11-16"), D("2026-11-20"), D("2026-11-23"), D("2026-11-27")],
            id="days keeps only those weekdays",
        ),
        pytest.param(
            {"date_from": "2026-11-16", "date_to": "2026-11-22", "days": ["sa", "xx", 7]},
            [D("2026-11-21")],
            id="unknown weekday codes are ignored",
        ),
        pytest.param(
            {"date_from": "2026-11-16", "date_to": "2026-11-22", "days": []},
            [],
            id="an empty days filter covers no date",
        ),
        pytest.param(
            {"date_from": "2026-11-16", "date_to": "2026-11-18", "days": "mo"},
            days("2026-11-16", "2026-11-18"),
            id="a days filter that is not a list filters nothing",
        ),
        pytest.param(
            {"date_from": "2026-11-22", "date_to": "2026-11-20"}, [], id="a range ending first"
        ),
        pytest.param({"date_from": "2026-11-22"}, [], id="half a range"),
        pytest.param({"date_to": "2026-11-22"}, [], id="the other half"),
        pytest.param({"date_from": 20261120, "date_to": "2026-11-22"}, [], id="not text"),
        pytest.param({"date_from": "2026-11-20", "date_to": "soon"}, [], id="not a date"),
        pytest.param({"date": None}, [], id="no date at all"),
    ],
)
def test_warning_dates(value: dict[str, Any], expected: list[date]) -> None:
    assert warnings.warning_dates(value) == expected


def test_warning_dates_span_limit() -> None:
    """A range of MAX_SPAN_DAYS days after its first is read; one day longer reads as nothing."""
    last = MON + timedelta(days=warnings.MAX_SPAN_DAYS)
    longest = {"date_from": MON.isoformat(), "date_to": last.isoformat()}
    assert warnings.warning_dates(longest) == [
        MON + timedelta(days=n) for n in range(warnings.MAX_SPAN_DAYS + 1)
    ]
    too_long = {**longest, "date_to": (last + timedelta(days=1)).isoformat()}
    assert warnings.warning_dates(too_long) == []


RATE_WARNING = {
    "property_id": "prop",
    "rate_plan_id": "rp-bar",
    "date_from": "2026-11-21",
    "date_to": "2026-11-22",
    "rate": 0,
    "stop_sell": False,
    "availability": 3,
    "warning": {"rate": ["must be greater than 0"]},
}
AVAILABILITY_WARNING = {
    "property_id": "prop",
    "room_type_id": "rt-twin",
    "date": "2026-11-21",
    "availability": -1,
    "stop_sell": True,
    "warning": {"availability": ["must be greater than or equal to 0"]},
}


@pytest.mark.parametrize(
    ("kind", "warning", "expected"),
    [
        pytest.param(
            "restrictions",
            RATE_WARNING,
            {
                (CellKey("rp-bar", D("2026-11-21")), "rate"),
                (CellKey("rp-bar", D("2026-11-21")), "stop_sell"),
                (CellKey("rp-bar", D("2026-11-22")), "rate"),
                (CellKey("rp-bar", D("2026-11-22")), "stop_sell"),
            },
            id="every restriction field of the dropped value, on every date",
        ),
        pytest.param(
            "availability",
            AVAILABILITY_WARNING,
            {(CellKey("rt-twin", D("2026-11-21")), "availability")},
            id="availability: only the availability field",
        ),
        pytest.param(
            "restrictions",
            {
                **RATE_WARNING,
                "min_stay_arrival": 0,
                "min_stay_through": 0,
                "max_stay": -1,
                "closed_to_arrival": True,
                "closed_to_departure": True,
                "date_to": "2026-11-21",
            },
            {
                (CellKey("rp-bar", D("2026-11-21")), name)
                for name in (
                    "rate",
                    "min_stay_arrival",
                    "min_stay_through",
                    "max_stay",
                    "closed_to_arrival",
                    "closed_to_departure",
                    "stop_sell",
                )
            },
            id="all seven restriction fields",
        ),
        pytest.param("restrictions", AVAILABILITY_WARNING, set(), id="the other lane's id"),
        pytest.param("availability", RATE_WARNING, set(), id="the other lane's id, reversed"),
        pytest.param(
            "restrictions", {**RATE_WARNING, "rate_plan_id": 7}, set(), id="an id that is no text"
        ),
        pytest.param(
            "restrictions", {**RATE_WARNING, "date_to": "2026-11-01"}, set(), id="no readable dates"
        ),
        pytest.param(
            "availability",
            {**AVAILABILITY_WARNING, "availability": None},
            {(CellKey("rt-twin", D("2026-11-21")), "availability")},
            id="a field counts when present, whatever its value",
        ),
        pytest.param(
            "availability",
            {k: v for k, v in AVAILABILITY_WARNING.items() if k != "availability"},
            set(),
            id="no managed field echoed",
        ),
    ],
)
def test_rejected_fields(
    kind: Kind, warning: dict[str, Any], expected: set[tuple[CellKey, str]]
) -> None:
    assert warnings.rejected_fields(kind, warning) == expected
