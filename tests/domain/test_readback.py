"""Parity, pure: Channex's read-back against the PMS, the cells an `ari` webhook names, echoes."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from middleware.domain import readback
from middleware.domain.models import CellKey, Cells
from middleware.domain.readback import AriTouch, Drift

D1, D2 = date(2026, 11, 21), date(2026, 11, 22)


def test_restrictions_read_back_become_cells_of_the_fields_we_manage() -> None:
    document: dict[str, dict[date, dict[str, Any]]] = {
        "rp": {
            D1: {"rate": Decimal("333.00"), "stop_sell": False, "min_stay_arrival": 2},
            D2: {"rate": None, "availability": 3, "closed_to_arrival": 1},
        }
    }
    assert readback.cells_from_restrictions(document) == {
        CellKey("rp", D1): {"rate": Decimal("333.00"), "stop_sell": False, "min_stay_arrival": 2},
        CellKey("rp", D2): {"closed_to_arrival": True},
    }
    assert readback.cells_from_availability({"rt": {D1: 4}}) == {
        CellKey("rt", D1): {"availability": 4}
    }


CASES: list[tuple[str, Cells, Cells, list[tuple[str, Any, Any]]]] = [
    (
        "equal",
        {CellKey("rp", D1): {"rate": Decimal("333")}},
        {CellKey("rp", D1): {"rate": Decimal("333.00")}},
        [],
    ),
    (
        "rate edited",
        {CellKey("rp", D1): {"rate": Decimal("333"), "stop_sell": False}},
        {CellKey("rp", D1): {"rate": Decimal("250.00"), "stop_sell": False}},
        [("rate", Decimal("250.00"), Decimal("333"))],
    ),
    (
        "stop sell on",
        {CellKey("rp", D1): {"stop_sell": False}},
        {CellKey("rp", D1): {"stop_sell": True}},
        [("stop_sell", True, False)],
    ),
    (
        "field the PMS does not manage is never compared",
        {CellKey("rp", D1): {"rate": Decimal(1)}},
        {CellKey("rp", D1): {"rate": Decimal(1), "max_stay": 9}},
        [],
    ),
    (
        "cell missing at Channex",
        {CellKey("rp", D1): {"min_stay_arrival": 2}},
        {},
        [("min_stay_arrival", None, 2)],
    ),
]


@pytest.mark.parametrize(("name", "pms", "channex", "expected"), CASES, ids=[c[0] for c in CASES])
def test_find_drift(
    name: str, pms: Cells, channex: Cells, expected: list[tuple[str, Any, Any]]
) -> None:
    assert readback.find_drift("restrictions", pms, channex) == [
        Drift(kind="restrictions", entity_id="rp", day=D1, field=f, channex=c, pms=p)
        for f, c, p in expected
    ]


def test_drift_cells_are_the_pms_values_to_queue() -> None:
    drift = readback.find_drift(
        "availability",
        {CellKey("rt", D1): {"availability": 5}, CellKey("rt", D2): {"availability": 5}},
        {CellKey("rt", D1): {"availability": 4}, CellKey("rt", D2): {"availability": 5}},
    )
    assert readback.drift_cells(drift) == {CellKey("rt", D1): {"availability": 5}}


def test_an_ari_event_names_cells_per_lane() -> None:
    payload = [
        {
            "date": "2026-11-21",
            "room_type_id": "rt",
            "rate_plan_id": "rp",
            "rate": "250.00",
            "stop_sell": True,
        },
        {"date": "2026-11-22", "room_type_id": "rt", "availability": 3, "booked": 1},
        {"date": "bad", "room_type_id": "rt"},
        "junk",
    ]
    assert readback.cells_named_by_ari_event(payload) == [
        AriTouch(kind="availability", cells={CellKey("rt", D2): {"availability": 3}}),
        AriTouch(
            kind="restrictions",
            cells={CellKey("rp", D1): {"rate": Decimal("250.00"), "stop_sell": True}},
        ),
    ]
    assert readback.cells_named_by_ari_event(None) == []


def test_an_echo_repeats_what_the_middleware_believes() -> None:
    touch = AriTouch(kind="restrictions", cells={CellKey("rp", D1): {"rate": Decimal("250.00")}})
    assert readback.is_echo(
        touch, {CellKey("rp", D1): {"rate": Decimal("250"), "stop_sell": False}}
    )
    assert not readback.is_echo(touch, {CellKey("rp", D1): {"rate": Decimal("251")}})
    assert not readback.is_echo(touch, {})
    bare = AriTouch(kind="availability", cells={CellKey("rt", D1): {}})
    assert not readback.is_echo(bare, {CellKey("rt", D1): {"availability": 1}})


def test_read_window_is_the_next_days_or_the_whole_horizon() -> None:
    today, end = date(2026, 11, 1), date(2027, 3, 15)
    assert readback.read_window(today, end, 30, full=False) == (today, date(2026, 11, 30))
    assert readback.read_window(today, end, 30, full=True) == (today, end)
    assert readback.read_window(today, date(2026, 11, 5), 30, full=False) == (
        today,
        date(2026, 11, 5),
    )


def test_while_bookings_are_in_flight_only_fewer_units_at_channex_wait() -> None:
    def units(day: date, channex: int, pms: int) -> Drift:
        return Drift(
            kind="availability", entity_id="rt", day=day, field="availability",
            channex=channex, pms=pms,
        )  # fmt: skip

    fewer, more = units(D1, 2, 3), units(D2, 5, 3)
    rate = Drift(
        kind="restrictions", entity_id="rp", day=D1, field="rate",
        channex=Decimal(1), pms=Decimal(2),
    )  # fmt: skip
    assert readback.split_for_bookings_in_flight([fewer, more, rate]) == ([more, rate], [fewer])
