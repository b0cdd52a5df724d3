"""Encoding is exact and compact: expanding gives back the cells, at scale and for random input."""

import itertools
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from middleware.domain import ari, encode, money
from middleware.domain.mapping import PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.models import (
    CellKey,
    Cells,
    FieldValue,
    Kind,
    PlanDay,
    PmsAri,
    RoomAri,
    RoomDay,
)

# --------------------------------------------------------------------------- Duke Beach full sync

DUKE_ROOMS = {  # categoria: (units, low-season weekday rate in BRL)
    "lvu": (11, 450),
    "dlvu": (2, 620),
    "dlvl": (2, 600),
    "lvl": (11, 420),
    "ov": (5, 780),
    "ovp": (2, 950),
}
FULL_SYNC_DAYS = 500
WEEKEND = (4, 5)  # Friday and Saturday nights
# season: (rate factor, weekend uplift, weekday min stay, weekend min stay)
SEASONS = {
    "low": (Decimal("1.00"), Decimal("1.15"), 1, 1),
    "july": (Decimal("1.25"), Decimal("1.15"), 1, 2),
    "summer": (Decimal("1.60"), Decimal("1.20"), 2, 3),
    "new_year": (Decimal("2.40"), Decimal("1.00"), 5, 5),
}


def season_of(day: date) -> str:
    """Brazilian beach calendar: summer, the New Year package, July holidays, the rest."""
    if (day.month == 12 and day.day >= 28) or (day.month == 1 and day.day <= 2):
        return "new_year"
    if (day.month == 12 and day.day >= 15) or day.month in (1, 2):
        return "summer"
    return "july" if day.month == 7 else "low"


def duke_beach_grid(today: date, seed: int) -> tuple[PmsAri, PropertyMap]:
    """500 days of realistic ARI: seasonal weekday/weekend rates, bookings thin out ahead."""
    rng = random.Random(seed)
    days = [today + timedelta(days=n) for n in range(FULL_SYNC_DAYS)]
    rooms: list[RoomAri] = []
    for code, (units, base) in DUKE_ROOMS.items():
        booked = [0] * FULL_SYNC_DAYS
        for _ in range(units * 15):  # stays of 1-7 nights, most of them booked close in
            arrival = min(int(rng.expovariate(1 / 45)), FULL_SYNC_DAYS - 1)
            nights = range(arrival, min(arrival + rng.randint(1, 7), FULL_SYNC_DAYS))
            if all(booked[n] < units for n in nights):
                for n in nights:
                    booked[n] += 1
        room_days = []
        for n, day in enumerate(days):
            factor, uplift, weekday_stay, weekend_stay = SEASONS[season_of(day)]
            weekend = day.weekday() in WEEKEND
            rate = (base * factor * (uplift if weekend else 1)).quantize(Decimal(1))
            plan = PlanDay(
                plan_code="padrao",
                rate=rate,
                min_stay_arrival=weekend_stay if weekend else weekday_stay,
                max_stay=0,
                closed_to_arrival=day.month == 12 and day.day == 31,
                closed_to_departure=False,
                stop_sell=code == "ovp" and day.month == 5 and day.day <= 14,  # yearly upkeep
            )
            room_days.append(RoomDay(day=day, available=units - booked[n], plans=(plan,)))
        rooms.append(RoomAri(room_code=code, total=units, days=tuple(room_days)))
    prop = PropertyMap(
        property_id="duke",
        name="Duke Beach",
        currency="BRL",
        timezone="America/Sao_Paulo",
        room_types=tuple(
            RoomTypeMap(
                room_code=code,
                room_type_id=f"rt-{code}",
                rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}"),),
            )
            for code in DUKE_ROOMS
        ),
    )
    return PmsAri(currency="BRL", rooms=tuple(rooms)), prop


def stretches(days: list[date]) -> int:
    """How many maximal stretches of one season the horizon crosses."""
    return 1 + sum(season_of(a) != season_of(b) for a, b in itertools.pairwise(days))


def plain_runs(cells: Cells) -> int:
    """Maximal runs of consecutive dates with equal cells, per entity."""
    keys = sorted(cells)
    return 1 + sum(
        b.entity_id != a.entity_id or b.day != a.day + timedelta(days=1) or cells[a] != cells[b]
        for a, b in itertools.pairwise(keys)
    )


def test_duke_beach_full_sync_is_compact_and_exact() -> None:
    """Full sync of 6 rooms × 500 days: a few hundred values, expanding to exactly the cells."""
    today = date(2026, 11, 20)
    grid, prop = duke_beach_grid(today, seed=7)
    horizon_end = today + timedelta(days=FULL_SYNC_DAYS - 1)
    avail, restr, problems = ari.grid_to_cells(grid, prop, today=today, horizon_end=horizon_end)
    assert problems == []
    assert len(avail) == len(restr) == len(DUKE_ROOMS) * FULL_SYNC_DAYS

    avail_values = encode.encode_values(
        "availability", "duke", avail, currency="BRL", rate_format="auto"
    )
    restr_values = encode.encode_values(
        "restrictions", "duke", restr, currency="BRL", rate_format="auto"
    )
    assert encode.expand_values("availability", avail_values, currency="BRL") == avail
    assert encode.expand_values("restrictions", restr_values, currency="BRL") == restr

    # Availability has no `days` filter, so maximal runs are the optimum and we must hit it;
    # with ~60 % occupancy over the next two months that is a few hundred, not 3,000.
    assert len(avail_values) == plain_runs(avail)
    assert len(avail_values) < FULL_SYNC_DAYS

    # Per plan and season stretch the rate needs at most a base and a weekend overlay, and so
    # does min stay; each constant flag needs one value for the horizon, and each special block
    # inside it (New Year's Eve CTA twice, the May stop-sell once) cuts at most two more pieces.
    season_stretches = stretches([today + timedelta(days=n) for n in range(FULL_SYNC_DAYS)])
    assert season_stretches == 11
    special_blocks = 3
    bound = len(DUKE_ROOMS) * (4 * season_stretches + 1 + 2 * special_blocks)
    assert len(restr_values) <= bound
    # ... and far below one value per run of equal cells (what an encoder without `days` does).
    assert len(restr_values) * 5 < plain_runs(restr)


# --------------------------------------------------------------------------- random cells

START = date(2026, 11, 2)  # a Monday
CURRENCY_RATES = {  # rates each currency holds exactly, so expanding gives the same Decimal
    "USD": ("100", "120.50", "99.99", "350"),
    "JPY": ("12000", "15000", "9800"),
    "KWD": ("12.345", "20", "7.5"),
}
FIELD_POOLS: dict[str, st.SearchStrategy[FieldValue]] = {
    "min_stay_arrival": st.integers(1, 3),
    "min_stay_through": st.integers(1, 2),
    "max_stay": st.integers(0, 2),
    "closed_to_arrival": st.booleans(),
    "closed_to_departure": st.booleans(),
    "stop_sell": st.booleans(),
}


@st.composite
def lane_cells(draw: st.DrawFn) -> tuple[Kind, str, Cells]:
    """Sparse dates over a few entities; per field a weekday pattern with some noise."""
    kind: Kind = draw(st.sampled_from(["availability", "restrictions"]))
    currency = draw(st.sampled_from(sorted(CURRENCY_RATES)))
    pools = dict(FIELD_POOLS)
    pools["rate"] = st.sampled_from([Decimal(r) for r in CURRENCY_RATES[currency]])
    pools["availability"] = st.integers(0, 3)
    names = ["availability"] if kind == "availability" else list(encode.LANE_FIELDS[kind])
    cells: Cells = {}
    for entity in draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True)):
        offset = draw(st.integers(0, 6))
        length = draw(st.integers(0, 50))
        gaps = draw(st.sets(st.integers(0, 49), max_size=5))
        fields = draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
        patterns = {n: draw(st.lists(pools[n], min_size=7, max_size=7)) for n in fields}
        noise = draw(st.dictionaries(st.integers(0, 49), st.sampled_from(fields), max_size=4))
        dropped = draw(st.dictionaries(st.integers(0, 49), st.sampled_from(fields), max_size=4))
        for n in range(length):
            if n in gaps:
                continue
            day = START + timedelta(days=offset + n)
            cell = {f: patterns[f][day.weekday()] for f in fields}
            if n in noise:
                cell[noise[n]] = draw(pools[noise[n]])
            if n in dropped and len(cell) > 1:
                del cell[dropped[n]]
            cells[CellKey(entity, day)] = cell
    return kind, currency, cells


def writes(value: dict[str, Any], kind: Kind) -> set[tuple[CellKey, str]]:
    entity = value[encode.ENTITY_KEYS[kind]]
    fields = [n for n in encode.LANE_FIELDS[kind] if n in value]
    return {(CellKey(entity, day), f) for day in encode.value_dates(value) for f in fields}


@settings(max_examples=300, deadline=None)
@given(lane=lane_cells(), rate_format=st.sampled_from(["auto", "minor", "decimal"]))
def test_encode_is_exact_and_never_worse_than_one_per_cell(
    lane: tuple[Kind, str, Cells], rate_format: money.RateFormat
) -> None:
    """expand(encode(x)) == x; no value writes a cell or field outside x; ≤ one value per cell."""
    kind, currency, cells = lane
    values = encode.encode_values(kind, "p", cells, currency=currency, rate_format=rate_format)
    assert encode.expand_values(kind, values, currency=currency) == cells
    held = {(key, f) for key, fields in cells.items() for f in fields}
    for value in values:
        assert writes(value, kind) <= held
    assert len(values) <= len(cells)
    has_days = [("days" in v) for v in values]
    assert has_days == sorted(has_days)  # every base value before every overlay
    if kind == "availability":
        assert not any(has_days)
    assert (
        encode.encode_values(
            kind, "p", dict(reversed(cells.items())), currency=currency, rate_format=rate_format
        )
        == values
    )  # deterministic


@settings(max_examples=100, deadline=None)
@given(lane=lane_cells(), max_bytes=st.integers(300, 3000))
def test_split_values_keeps_order_and_bound(lane: tuple[Kind, str, Cells], max_bytes: int) -> None:
    """Chunks concatenate back to the values, and each serialised chunk fits the limit."""
    kind, currency, cells = lane
    values = encode.encode_values(kind, "p", cells, currency=currency, rate_format="auto")
    chunks = encode.split_values(values, max_bytes)
    assert [v for chunk in chunks for v in chunk] == values
    assert all(chunk and len(orjson.dumps({"values": chunk})) <= max_bytes for chunk in chunks)
