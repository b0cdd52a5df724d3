"""The PMS grid becomes mapped, in-horizon, possible Channex cells; the diff keeps only changes."""

from datetime import date
from decimal import Decimal
from typing import Any

from middleware.domain import ari
from middleware.domain.mapping import PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.models import CellKey, PlanDay, PmsAri, RoomAri, RoomDay

TODAY = date(2026, 11, 20)
HORIZON_END = date(2026, 11, 23)
PROP = PropertyMap(
    property_id="prop-1",
    name="Duke Beach",
    currency="BRL",
    timezone="America/Sao_Paulo",
    room_types=(
        RoomTypeMap(
            room_code="lvu",
            room_type_id="rt-lvu",
            rate_plans=(
                RatePlanMap(plan_code="padrao", rate_plan_id="rp-lvu-padrao"),
                RatePlanMap(plan_code="cafe", rate_plan_id="rp-lvu-cafe"),
            ),
        ),
        RoomTypeMap(
            room_code="ov",
            room_type_id="rt-ov",
            rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-ov-padrao"),),
        ),
    ),
)


def _day(d: int, available: int, *plans: PlanDay) -> RoomDay:
    return RoomDay(day=date(2026, 11, d), available=available, plans=plans)


def _padrao(rate: str, **fields: Any) -> PlanDay:
    return PlanDay(plan_code="padrao", rate=Decimal(rate), **fields)


def test_two_plans_per_room_and_horizon() -> None:
    """Past days and days after the horizon are dropped; each mapped plan gets its own cells."""
    grid = PmsAri(
        currency="BRL",
        rooms=(
            RoomAri(
                room_code="lvu",
                total=11,
                days=(
                    _day(19, 5, _padrao("400")),
                    _day(
                        20,
                        9,
                        _padrao("450.00", min_stay_arrival=2),
                        PlanDay(plan_code="cafe", rate=Decimal("500"), stop_sell=False),
                    ),
                    _day(21, 8, _padrao("450.00", min_stay_arrival=2)),
                    _day(24, 7, _padrao("450.00")),
                ),
            ),
            RoomAri(room_code="ov", total=5, days=(_day(23, 0, _padrao("900", stop_sell=True)),)),
        ),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {
        CellKey("rt-lvu", date(2026, 11, 20)): {"availability": 9},
        CellKey("rt-lvu", date(2026, 11, 21)): {"availability": 8},
        CellKey("rt-ov", date(2026, 11, 23)): {"availability": 0},
    }
    assert restr == {
        CellKey("rp-lvu-padrao", date(2026, 11, 20)): {
            "rate": Decimal("450"),
            "min_stay_arrival": 2,
        },
        CellKey("rp-lvu-cafe", date(2026, 11, 20)): {"rate": Decimal("500"), "stop_sell": False},
        CellKey("rp-lvu-padrao", date(2026, 11, 21)): {
            "rate": Decimal("450"),
            "min_stay_arrival": 2,
        },
        CellKey("rp-ov-padrao", date(2026, 11, 23)): {"rate": Decimal("900"), "stop_sell": True},
    }
    assert problems == []


def test_unmapped_codes_reported_once() -> None:
    """An unmapped room or plan is one problem, not one per day, and yields no cells."""
    grid = PmsAri(
        currency=None,
        rooms=(
            RoomAri(room_code="xx", total=3, days=(_day(20, 1), _day(21, 1))),
            RoomAri(
                room_code="ov",
                total=5,
                days=(
                    _day(20, 2, PlanDay(plan_code="promo", rate=Decimal("1"))),
                    _day(21, 2, PlanDay(plan_code="promo", rate=Decimal("1"))),
                ),
            ),
        ),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {
        CellKey("rt-ov", date(2026, 11, 20)): {"availability": 2},
        CellKey("rt-ov", date(2026, 11, 21)): {"availability": 2},
    }
    assert restr == {}
    assert problems == [
        ari.GridProblem(
            room_code="xx",
            plan_code=None,
            day=None,
            message="property prop-1: room 'xx' is not mapped",
        ),
        ari.GridProblem(
            room_code="ov",
            plan_code="promo",
            day=None,
            message="property prop-1: room 'ov' plan 'promo' is not mapped",
        ),
    ]


def test_impossible_values_dropped_with_a_problem() -> None:
    """Rate <= 0 (or rounding to 0), min stay < 1 and max stay < 0 are dropped from the cell."""
    grid = PmsAri(
        currency="BRL",
        rooms=(
            RoomAri(
                room_code="ov",
                total=5,
                days=(
                    _day(20, 7, _padrao("0", stop_sell=False)),
                    _day(21, -1, _padrao("0.001", min_stay_through=0, max_stay=-1)),
                    _day(22, 3, _padrao("-5")),
                ),
            ),
        ),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {
        CellKey("rt-ov", date(2026, 11, 20)): {"availability": 5},
        CellKey("rt-ov", date(2026, 11, 21)): {"availability": 0},
        CellKey("rt-ov", date(2026, 11, 22)): {"availability": 3},
    }
    assert restr == {CellKey("rp-ov-padrao", date(2026, 11, 20)): {"stop_sell": False}}
    prefix = "property prop-1: room 'ov'"
    assert [(p.plan_code, p.day, p.message) for p in problems] == [
        (None, date(2026, 11, 20), f"{prefix} on 2026-11-20 available 7 clamped to 5"),
        (
            "padrao",
            date(2026, 11, 20),
            f"{prefix} plan 'padrao' on 2026-11-20 rate 0 is not > 0, not sent",
        ),
        (None, date(2026, 11, 21), f"{prefix} on 2026-11-21 available -1 clamped to 0"),
        (
            "padrao",
            date(2026, 11, 21),
            f"{prefix} plan 'padrao' on 2026-11-21 rate 0.001 is not > 0, not sent",
        ),
        (
            "padrao",
            date(2026, 11, 21),
            f"{prefix} plan 'padrao' on 2026-11-21 min_stay_through 0 is below 1, not sent",
        ),
        (
            "padrao",
            date(2026, 11, 21),
            f"{prefix} plan 'padrao' on 2026-11-21 max_stay -1 is negative, not sent",
        ),
        (
            "padrao",
            date(2026, 11, 22),
            f"{prefix} plan 'padrao' on 2026-11-22 rate -5 is not > 0, not sent",
        ),
    ]


def test_other_currency_rates_not_sent() -> None:
    """A PMS pricing in USD for a BRL property sends restrictions but never its rates."""
    grid = PmsAri(
        currency="USD",
        rooms=(RoomAri(room_code="ov", total=5, days=(_day(20, 2, _padrao("100", max_stay=0)),)),),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {CellKey("rt-ov", date(2026, 11, 20)): {"availability": 2}}
    assert restr == {CellKey("rp-ov-padrao", date(2026, 11, 20)): {"max_stay": 0}}
    assert problems == [
        ari.GridProblem(
            room_code="",
            plan_code=None,
            day=None,
            message="property prop-1: PMS currency USD is not BRL, rates not sent",
        )
    ]


def test_a_min_stay_of_one_is_sent() -> None:
    """1 is the commonest min stay and a valid one: it is sent, with no problem reported."""
    grid = PmsAri(
        currency="BRL",
        rooms=(
            RoomAri(
                room_code="ov",
                total=5,
                days=(_day(20, 2, _padrao("300", min_stay_arrival=1, min_stay_through=1)),),
            ),
        ),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {CellKey("rt-ov", date(2026, 11, 20)): {"availability": 2}}
    assert restr == {
        CellKey("rp-ov-padrao", date(2026, 11, 20)): {
            "rate": Decimal("300"),
            "min_stay_arrival": 1,
            "min_stay_through": 1,
        }
    }
    assert problems == []


def test_an_unmapped_plan_does_not_hide_the_mapped_plans_after_it() -> None:
    """A day whose first plan is unmapped still sends every mapped plan that follows it."""
    promo = PlanDay(plan_code="promo", rate=Decimal("1"))
    cafe = PlanDay(plan_code="cafe", rate=Decimal("520"))
    grid = PmsAri(
        currency="BRL",
        rooms=(
            RoomAri(
                room_code="lvu",
                total=11,
                days=(_day(20, 4, promo, _padrao("480"), cafe), _day(21, 3, promo, cafe)),
            ),
        ),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {
        CellKey("rt-lvu", date(2026, 11, 20)): {"availability": 4},
        CellKey("rt-lvu", date(2026, 11, 21)): {"availability": 3},
    }
    assert restr == {
        CellKey("rp-lvu-padrao", date(2026, 11, 20)): {"rate": Decimal("480")},
        CellKey("rp-lvu-cafe", date(2026, 11, 20)): {"rate": Decimal("520")},
        CellKey("rp-lvu-cafe", date(2026, 11, 21)): {"rate": Decimal("520")},
    }
    assert problems == [
        ari.GridProblem(
            room_code="lvu",
            plan_code="promo",
            day=None,
            message="property prop-1: room 'lvu' plan 'promo' is not mapped",
        )
    ]


def test_a_zero_unit_room_is_never_sold() -> None:
    """A room type with no units (all out of order) sends 0, whatever the PMS says is free."""
    grid = PmsAri(
        currency="BRL",
        rooms=(RoomAri(room_code="ov", total=0, days=(_day(20, 0), _day(21, 2))),),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {
        CellKey("rt-ov", date(2026, 11, 20)): {"availability": 0},
        CellKey("rt-ov", date(2026, 11, 21)): {"availability": 0},
    }
    assert restr == {}
    assert problems == [
        ari.GridProblem(
            room_code="ov",
            plan_code=None,
            day=date(2026, 11, 21),
            message="property prop-1: room 'ov' on 2026-11-21 available 2 clamped to 0",
        )
    ]


def test_a_day_without_a_rate_under_a_currency_mismatch_keeps_its_restrictions() -> None:
    """Rates are withheld for another currency; a day that has no rate at all is no error."""
    grid = PmsAri(
        currency="USD",
        rooms=(
            RoomAri(
                room_code="ov",
                total=5,
                days=(
                    _day(20, 2, PlanDay(plan_code="padrao", stop_sell=True)),
                    _day(21, 2, _padrao("0", min_stay_arrival=3)),
                ),
            ),
        ),
    )
    avail, restr, problems = ari.grid_to_cells(grid, PROP, today=TODAY, horizon_end=HORIZON_END)
    assert avail == {
        CellKey("rt-ov", date(2026, 11, 20)): {"availability": 2},
        CellKey("rt-ov", date(2026, 11, 21)): {"availability": 2},
    }
    assert restr == {
        CellKey("rp-ov-padrao", date(2026, 11, 20)): {"stop_sell": True},
        CellKey("rp-ov-padrao", date(2026, 11, 21)): {"min_stay_arrival": 3},
    }
    assert problems == [
        ari.GridProblem(
            room_code="",
            plan_code=None,
            day=None,
            message="property prop-1: PMS currency USD is not BRL, rates not sent",
        ),
        ari.GridProblem(
            room_code="ov",
            plan_code="padrao",
            day=date(2026, 11, 21),
            message="property prop-1: room 'ov' plan 'padrao' on 2026-11-21 rate 0 is not > 0,"
            " not sent",
        ),
    ]
