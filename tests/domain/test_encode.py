"""What we POST for each certification scenario (§8.2), and the encoding rules behind it."""

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest

from middleware.domain import encode, money, outbox_rules
from middleware.domain.models import CellKey, Cells, FieldValue, Kind

P = "prop"
TWIN, DOUBLE = "rt-twin", "rt-double"
TWIN_BAR, TWIN_BB, DOUBLE_BAR, DOUBLE_BB = (
    "rp-twin-bar",
    "rp-twin-bb",
    "rp-double-bar",
    "rp-double-bb",
)


def span(entity: str, first: str, last: str, **fields: FieldValue) -> Cells:
    """The cells a PMS change to `fields` on every night from `first` to `last` implies."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return {
        CellKey(entity, start + timedelta(days=n)): dict(fields)
        for n in range((end - start).days + 1)
    }


def one(entity: str, day: str, **fields: FieldValue) -> Cells:
    return span(entity, day, day, **fields)


def merged(*parts: Cells) -> Cells:
    out: Cells = {}
    for part in parts:
        out.update(part)
    return out


def restr(plan: str, dates: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {"property_id": P, "rate_plan_id": plan, **dates, **fields}


def avail(room: str, dates: dict[str, str], units: int) -> dict[str, Any]:
    return {"property_id": P, "room_type_id": room, **dates, "availability": units}


def on(day: str) -> dict[str, str]:
    return {"date": day}


def between(first: str, last: str) -> dict[str, str]:
    return {"date_from": first, "date_to": last}


def wire(values: list[dict[str, Any]]) -> bytes:
    """The JSON text of `values` (keys sorted): where `1` is not `true` and `200` not `"200.00"`,
    as they are for `==` in Python."""
    return orjson.dumps(values, option=orjson.OPT_SORT_KEYS)


CERTIFICATION = [
    pytest.param(
        "restrictions",
        one(TWIN_BAR, "2026-11-22", rate=Decimal("333")),
        [restr(TWIN_BAR, on("2026-11-22"), rate=33300)],
        id="2 single date single rate",
    ),
    pytest.param(
        "restrictions",
        merged(
            one(TWIN_BAR, "2026-11-21", rate=Decimal("333")),
            one(DOUBLE_BAR, "2026-11-25", rate=Decimal("444")),
            one(DOUBLE_BB, "2026-11-29", rate=Decimal("456.23")),
        ),
        [
            restr(DOUBLE_BAR, on("2026-11-25"), rate=44400),
            restr(DOUBLE_BB, on("2026-11-29"), rate=45623),
            restr(TWIN_BAR, on("2026-11-21"), rate=33300),
        ],
        id="3 single date multiple rates",
    ),
    pytest.param(
        "restrictions",
        merged(
            span(TWIN_BAR, "2026-11-01", "2026-11-10", rate=Decimal("241")),
            span(DOUBLE_BAR, "2026-11-10", "2026-11-16", rate=Decimal("312.66")),
            span(DOUBLE_BB, "2026-11-01", "2026-11-20", rate=Decimal("111")),
        ),
        [
            restr(DOUBLE_BAR, between("2026-11-10", "2026-11-16"), rate=31266),
            restr(DOUBLE_BB, between("2026-11-01", "2026-11-20"), rate=11100),
            restr(TWIN_BAR, between("2026-11-01", "2026-11-10"), rate=24100),
        ],
        id="4 multiple dates multiple rates",
    ),
    pytest.param(
        "restrictions",
        merged(
            one(TWIN_BAR, "2026-11-23", min_stay_arrival=3),
            one(DOUBLE_BAR, "2026-11-25", min_stay_arrival=2),
            one(DOUBLE_BB, "2026-11-15", min_stay_arrival=5),
        ),
        [
            restr(DOUBLE_BAR, on("2026-11-25"), min_stay_arrival=2),
            restr(DOUBLE_BB, on("2026-11-15"), min_stay_arrival=5),
            restr(TWIN_BAR, on("2026-11-23"), min_stay_arrival=3),
        ],
        id="5 min stay",
    ),
    pytest.param(
        "restrictions",
        merged(
            one(TWIN_BAR, "2026-11-14", stop_sell=True),
            one(DOUBLE_BAR, "2026-11-16", stop_sell=True),
            one(DOUBLE_BB, "2026-11-20", stop_sell=True),
        ),
        [
            restr(DOUBLE_BAR, on("2026-11-16"), stop_sell=True),
            restr(DOUBLE_BB, on("2026-11-20"), stop_sell=True),
            restr(TWIN_BAR, on("2026-11-14"), stop_sell=True),
        ],
        id="6 stop sell",
    ),
    pytest.param(
        "restrictions",
        merged(
            span(
                TWIN_BAR,
                "2026-11-01",
                "2026-11-10",
                closed_to_arrival=True,
                closed_to_departure=False,
                max_stay=4,
                min_stay_arrival=1,
            ),
            span(
                TWIN_BB,
                "2026-11-12",
                "2026-11-16",
                closed_to_arrival=False,
                closed_to_departure=True,
                min_stay_arrival=6,
            ),
            span(
                DOUBLE_BAR, "2026-11-10", "2026-11-16", closed_to_arrival=True, min_stay_arrival=2
            ),
            span(DOUBLE_BB, "2026-11-01", "2026-11-20", min_stay_arrival=10),
        ),
        [
            restr(
                DOUBLE_BAR,
                between("2026-11-10", "2026-11-16"),
                closed_to_arrival=True,
                min_stay_arrival=2,
            ),
            restr(DOUBLE_BB, between("2026-11-01", "2026-11-20"), min_stay_arrival=10),
            restr(
                TWIN_BAR,
                between("2026-11-01", "2026-11-10"),
                closed_to_arrival=True,
                closed_to_departure=False,
                max_stay=4,
                min_stay_arrival=1,
            ),
            restr(
                TWIN_BB,
                between("2026-11-12", "2026-11-16"),
                closed_to_arrival=False,
                closed_to_departure=True,
                min_stay_arrival=6,
            ),
        ],
        id="7 multiple restrictions",
    ),
    pytest.param(
        "restrictions",
        merged(
            span(
                TWIN_BAR,
                "2026-12-01",
                "2027-05-01",
                rate=Decimal("432"),
                closed_to_arrival=False,
                closed_to_departure=False,
                min_stay_arrival=2,
            ),
            span(DOUBLE_BAR, "2026-12-01", "2027-05-01", rate=Decimal("342"), min_stay_arrival=3),
        ),
        [
            restr(DOUBLE_BAR, between("2026-12-01", "2027-05-01"), rate=34200, min_stay_arrival=3),
            restr(
                TWIN_BAR,
                between("2026-12-01", "2027-05-01"),
                rate=43200,
                min_stay_arrival=2,
                closed_to_arrival=False,
                closed_to_departure=False,
            ),
        ],
        id="8 half year",
    ),
    pytest.param(
        "availability",
        merged(one(TWIN, "2026-11-21", availability=7), one(DOUBLE, "2026-11-25", availability=0)),
        [avail(DOUBLE, on("2026-11-25"), 0), avail(TWIN, on("2026-11-21"), 7)],
        id="9 single date availability",
    ),
    pytest.param(
        "availability",
        merged(
            span(TWIN, "2026-11-10", "2026-11-16", availability=3),
            span(DOUBLE, "2026-11-17", "2026-11-24", availability=4),
        ),
        [
            avail(DOUBLE, between("2026-11-17", "2026-11-24"), 4),
            avail(TWIN, between("2026-11-10", "2026-11-16"), 3),
        ],
        id="10 multi date availability",
    ),
]


@pytest.mark.parametrize(("kind", "cells", "values"), CERTIFICATION)
def test_certification_scenarios(kind: Kind, cells: Cells, values: list[dict[str, Any]]) -> None:
    """Exactly the values the certification table expects, in USD minor units."""
    got = encode.encode_values(kind, P, cells, currency="USD", rate_format="auto")
    assert got == values
    assert wire(got) == wire(values)
    assert encode.expand_values(kind, got, currency="USD") == cells


def test_a_pms_edit_becomes_one_value() -> None:
    """Cert test 2 end to end in the core: a month Channex holds, one price edited, one value."""
    acked = weekly(TWIN_BAR, "2026-11-01", 30, rate=WEEKDAY_RATES, min_stay_arrival=WEEKEND_STAY)
    desired = {key: dict(fields) for key, fields in acked.items()}
    desired[CellKey(TWIN_BAR, date(2026, 11, 22))]["rate"] = Decimal("333.00")
    delta = outbox_rules.diff_cells(desired, acked)
    got = encode.encode_values("restrictions", P, delta, currency="USD", rate_format="auto")
    assert got == [restr(TWIN_BAR, on("2026-11-22"), rate=33300)]


def test_rate_formats_and_currencies() -> None:
    """Decimal strings when asked, and for currencies whose minor unit is not cents."""
    cells = one(TWIN_BAR, "2026-11-22", rate=Decimal("333"))
    assert encode.encode_values(
        "restrictions", P, cells, currency="USD", rate_format="decimal"
    ) == [restr(TWIN_BAR, on("2026-11-22"), rate="333.00")]
    assert encode.encode_values("restrictions", P, cells, currency="KWD", rate_format="auto") == [
        restr(TWIN_BAR, on("2026-11-22"), rate="333.000")
    ]
    assert encode.encode_values("restrictions", P, cells, currency="JPY", rate_format="minor") == [
        restr(TWIN_BAR, on("2026-11-22"), rate=333)
    ]


@pytest.mark.parametrize(
    ("rate_format", "flag", "text"),
    [
        pytest.param(
            "auto",
            True,
            b'[{"property_id":"prop","rate_plan_id":"rp-twin-bar","date":"2026-11-22",'
            b'"rate":33300,"min_stay_arrival":1,"min_stay_through":1,"max_stay":0,'
            b'"closed_to_arrival":true,"closed_to_departure":false,"stop_sell":false}]',
            id="minor units",
        ),
        pytest.param(
            "decimal",
            1,
            b'[{"property_id":"prop","rate_plan_id":"rp-twin-bar","date":"2026-11-22",'
            b'"rate":"333.00","min_stay_arrival":1,"min_stay_through":1,"max_stay":0,'
            b'"closed_to_arrival":true,"closed_to_departure":false,"stop_sell":false}]',
            id="decimal string, a flag held as 1",
        ),
    ],
)
def test_the_wire_text_of_every_restriction_field(
    rate_format: money.RateFormat, flag: FieldValue, text: bytes
) -> None:
    """What Channex reads: flags as true/false (never 1/0), stays as integers, the rate as
    integer minor units or a decimal string (never a float), fields in a fixed order."""
    cells = one(
        TWIN_BAR,
        "2026-11-22",
        stop_sell=False,
        closed_to_departure=0,
        closed_to_arrival=flag,
        max_stay=0,
        min_stay_through=1,
        min_stay_arrival=1,
        rate=Decimal("333.00"),
    )
    got = encode.encode_values("restrictions", P, cells, currency="USD", rate_format=rate_format)
    assert orjson.dumps(got) == text


def test_the_wire_text_of_availability() -> None:
    """Availability goes out as an integer count, 0 included (not false, not "0")."""
    cells = merged(
        one(TWIN, "2026-11-21", availability=0),
        span(DOUBLE, "2026-11-21", "2026-11-22", availability=1),
    )
    got = encode.encode_values("availability", P, cells, currency="USD", rate_format="auto")
    assert orjson.dumps(got) == (
        b'[{"property_id":"prop","room_type_id":"rt-double","date_from":"2026-11-21",'
        b'"date_to":"2026-11-22","availability":1},'
        b'{"property_id":"prop","room_type_id":"rt-twin","date":"2026-11-21","availability":0}]'
    )


def weekly(entity: str, first: str, nights: int, **by_weekday: Sequence[FieldValue]) -> Cells:
    """`nights` consecutive cells whose field values follow a Monday-first weekly pattern."""
    start = date.fromisoformat(first)
    days = [start + timedelta(days=n) for n in range(nights)]
    return {
        CellKey(entity, d): {name: pattern[d.weekday()] for name, pattern in by_weekday.items()}
        for d in days
    }


WEEKDAY_RATES = [Decimal(300)] * 4 + [Decimal(350)] * 2 + [Decimal(300)]  # Fri, Sat dearer
WEEKEND_STAY = [1, 1, 1, 1, 2, 2, 1]


@pytest.mark.parametrize(
    ("cells", "values"),
    [
        pytest.param(
            weekly(TWIN_BAR, "2026-11-02", 28, rate=WEEKDAY_RATES),
            [
                restr(TWIN_BAR, between("2026-11-02", "2026-11-29"), rate=30000),
                restr(TWIN_BAR, between("2026-11-06", "2026-11-28"), days=["fr", "sa"], rate=35000),
            ],
            id="weekend rates: one base and one overlay, not eight runs",
        ),
        pytest.param(
            weekly(TWIN_BAR, "2026-11-02", 28, rate=WEEKDAY_RATES, min_stay_arrival=WEEKEND_STAY),
            [
                restr(
                    TWIN_BAR, between("2026-11-02", "2026-11-29"), rate=30000, min_stay_arrival=1
                ),
                restr(
                    TWIN_BAR,
                    between("2026-11-06", "2026-11-28"),
                    days=["fr", "sa"],
                    rate=35000,
                    min_stay_arrival=2,
                ),
            ],
            id="fields with the same pattern share values",
        ),
        pytest.param(
            weekly(TWIN_BAR, "2026-11-05", 3, rate=WEEKDAY_RATES),
            [
                restr(TWIN_BAR, on("2026-11-05"), rate=30000),
                restr(TWIN_BAR, between("2026-11-06", "2026-11-07"), rate=35000),
            ],
            id="no overlay unless it saves values",
        ),
        pytest.param(
            merged(
                weekly(TWIN_BAR, "2026-11-02", 14, rate=WEEKDAY_RATES),
                weekly(TWIN_BAR, "2026-11-16", 14, rate=[Decimal(400)] * 5 + [Decimal(500)] * 2),
            ),
            [
                restr(TWIN_BAR, between("2026-11-02", "2026-11-15"), rate=30000),
                restr(TWIN_BAR, between("2026-11-16", "2026-11-29"), rate=40000),
                restr(TWIN_BAR, between("2026-11-06", "2026-11-14"), days=["fr", "sa"], rate=35000),
                restr(TWIN_BAR, between("2026-11-21", "2026-11-29"), days=["sa", "su"], rate=50000),
            ],
            id="two seasons, every base before every overlay",
        ),
        pytest.param(
            merged(
                span(TWIN_BAR, "2026-11-02", "2026-11-30", min_stay_arrival=1),
                weekly(TWIN_BAR, "2026-11-09", 14, min_stay_arrival=WEEKEND_STAY),
                weekly(TWIN_BAR, "2026-11-09", 14, min_stay_arrival=[3] * 7),
            ),
            [
                restr(TWIN_BAR, between("2026-11-02", "2026-11-08"), min_stay_arrival=1),
                restr(TWIN_BAR, between("2026-11-09", "2026-11-22"), min_stay_arrival=3),
                restr(TWIN_BAR, between("2026-11-23", "2026-11-30"), min_stay_arrival=1),
            ],
            id="plain runs when there is no weekly pattern",
        ),
        pytest.param(
            merged(
                span(TWIN_BAR, "2026-11-02", "2026-11-30", min_stay_arrival=1),
                weekly(TWIN_BAR, "2026-11-09", 14, min_stay_arrival=WEEKEND_STAY),
            ),
            [
                restr(TWIN_BAR, between("2026-11-02", "2026-11-30"), min_stay_arrival=1),
                restr(
                    TWIN_BAR,
                    between("2026-11-13", "2026-11-21"),
                    days=["fr", "sa"],
                    min_stay_arrival=2,
                ),
            ],
            id="base runs straight through the dates its overlay rewrites",
        ),
        pytest.param(
            merged(
                one(TWIN_BAR, "2026-11-01", rate=Decimal(100), stop_sell=False),
                one(TWIN_BAR, "2026-11-02", rate=Decimal(200), stop_sell=False),
            ),
            [
                restr(TWIN_BAR, on("2026-11-01"), rate=10000, stop_sell=False),
                restr(TWIN_BAR, on("2026-11-02"), rate=20000, stop_sell=False),
            ],
            id="whole cells when per-field pieces would need more values",
        ),
        pytest.param(
            merged(
                span(TWIN_BAR, "2026-11-01", "2026-11-03", rate=Decimal(100)),
                span(TWIN_BAR, "2026-11-05", "2026-11-06", rate=Decimal(100)),
            ),
            [
                restr(TWIN_BAR, between("2026-11-01", "2026-11-03"), rate=10000),
                restr(TWIN_BAR, between("2026-11-05", "2026-11-06"), rate=10000),
            ],
            id="never a range over a missing date",
        ),
        pytest.param(
            merged(
                span(TWIN_BAR, "2026-11-01", "2026-11-05", rate=Decimal(100)),
                one(TWIN_BAR, "2026-11-01", rate=Decimal(100), stop_sell=True),
                one(TWIN_BAR, "2026-11-03", rate=Decimal(100), stop_sell=True),
                one(TWIN_BAR, "2026-11-05", rate=Decimal(100), stop_sell=True),
            ),
            [
                restr(TWIN_BAR, on("2026-11-01"), stop_sell=True),
                restr(TWIN_BAR, between("2026-11-01", "2026-11-05"), rate=10000),
                restr(TWIN_BAR, on("2026-11-03"), stop_sell=True),
                restr(TWIN_BAR, on("2026-11-05"), stop_sell=True),
            ],
            id="never a field on a date that does not carry it",
        ),
        pytest.param(
            merged(
                one(TWIN_BAR, "2026-11-08", closed_to_arrival=True),
                one(TWIN_BAR, "2026-11-09", closed_to_arrival=False),
                one(TWIN_BAR, "2026-11-10", closed_to_arrival=True),
            ),
            [
                restr(TWIN_BAR, between("2026-11-08", "2026-11-10"), closed_to_arrival=True),
                restr(
                    TWIN_BAR,
                    between("2026-11-09", "2026-11-09"),
                    days=["mo"],
                    closed_to_arrival=False,
                ),
            ],
            id="one different day between equal ones is an overlay: two values, not three",
        ),
        pytest.param(
            merged(
                one(TWIN_BAR, "2026-11-06", stop_sell=False, closed_to_arrival=False),
                one(TWIN_BAR, "2026-11-07", stop_sell=True),
                one(TWIN_BAR, "2026-11-08", stop_sell=True, closed_to_arrival=False),
                one(TWIN_BAR, "2026-11-09", stop_sell=True),
            ),
            [
                restr(TWIN_BAR, on("2026-11-06"), closed_to_arrival=False, stop_sell=False),
                restr(TWIN_BAR, between("2026-11-07", "2026-11-09"), stop_sell=True),
                restr(TWIN_BAR, on("2026-11-08"), closed_to_arrival=False),
            ],
            id="no overlay that saves nothing: a plain run can share a value with another field",
        ),
        pytest.param(
            merged(
                one(TWIN_BAR, "2026-11-01", rate=Decimal(100)),
                one(TWIN_BAR, "2026-11-02", rate=Decimal(100), stop_sell=True),
            ),
            [
                restr(TWIN_BAR, on("2026-11-01"), rate=10000),
                restr(TWIN_BAR, on("2026-11-02"), rate=10000, stop_sell=True),
            ],
            id="on a tie whole cells win: no two values write the same date",
        ),
    ],
)
def test_restriction_compression(cells: Cells, values: list[dict[str, Any]]) -> None:
    got = encode.encode_values("restrictions", P, cells, currency="USD", rate_format="auto")
    assert got == values
    assert wire(got) == wire(values)
    assert encode.expand_values("restrictions", got, currency="USD") == cells


def test_availability_never_gets_days() -> None:
    """A weekly availability pattern stays plain runs: `days` is unconfirmed on /availability."""
    cells = weekly(TWIN, "2026-11-02", 14, availability=[5, 5, 5, 5, 1, 0, 5])
    got = encode.encode_values("availability", P, cells, currency="USD", rate_format="auto")
    assert got == [
        avail(TWIN, between("2026-11-02", "2026-11-05"), 5),
        avail(TWIN, on("2026-11-06"), 1),
        avail(TWIN, on("2026-11-07"), 0),
        avail(TWIN, between("2026-11-08", "2026-11-12"), 5),
        avail(TWIN, on("2026-11-13"), 1),
        avail(TWIN, on("2026-11-14"), 0),
        avail(TWIN, on("2026-11-15"), 5),
    ]


def test_empty_cells_and_empty_fields_encode_to_nothing() -> None:
    assert encode.encode_values("restrictions", P, {}, currency="USD", rate_format="auto") == []
    cells: Cells = {CellKey(TWIN_BAR, date(2026, 11, 1)): {}}
    assert encode.encode_values("restrictions", P, cells, currency="USD", rate_format="auto") == []


@pytest.mark.parametrize(
    ("kind", "cells", "message"),
    [
        ("restrictions", one(TWIN_BAR, "2026-11-01", rate=Decimal(0)), "> 0"),
        ("restrictions", one(TWIN_BAR, "2026-11-01", availability=3), "unknown fields"),
        ("availability", one(TWIN, "2026-11-01", rate=Decimal(3)), "unknown fields"),
    ],
)
def test_encode_refuses_what_channex_would_drop(kind: Kind, cells: Cells, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode.encode_values(kind, P, cells, currency="USD", rate_format="auto")


def test_expand_applies_in_order_later_wins_per_field() -> None:
    """Later values override earlier ones field by field; `days` picks the weekdays."""
    values = [
        restr(TWIN_BAR, between("2026-11-02", "2026-11-08"), rate="300.00", stop_sell=False),
        restr(TWIN_BAR, between("2026-11-02", "2026-11-08"), days=["sa", "su"], rate=35000),
        restr(TWIN_BAR, on("2026-11-04"), stop_sell=1),
    ]
    base = {"rate": Decimal(300), "stop_sell": False}
    weekend = {"rate": Decimal(350), "stop_sell": False}
    assert encode.expand_values("restrictions", values, currency="USD") == {
        CellKey(TWIN_BAR, date(2026, 11, 2)): base,
        CellKey(TWIN_BAR, date(2026, 11, 3)): base,
        CellKey(TWIN_BAR, date(2026, 11, 4)): {"rate": Decimal(300), "stop_sell": True},
        CellKey(TWIN_BAR, date(2026, 11, 5)): base,
        CellKey(TWIN_BAR, date(2026, 11, 6)): base,
        CellKey(TWIN_BAR, date(2026, 11, 7)): weekend,
        CellKey(TWIN_BAR, date(2026, 11, 8)): weekend,
    }


def test_expand_reads_flags_sent_as_0_and_1_as_booleans() -> None:
    """Channex may echo a flag as 0/1; it comes back as a bool, a stay stays an int."""
    values = [restr(TWIN_BAR, on("2026-11-01"), stop_sell=0, closed_to_arrival=1, max_stay=1)]
    cells = encode.expand_values("restrictions", values, currency="USD")
    assert [
        (key, [(name, type(v), v) for name, v in fields.items()]) for key, fields in cells.items()
    ] == [
        (
            CellKey(TWIN_BAR, date(2026, 11, 1)),
            [("max_stay", int, 1), ("closed_to_arrival", bool, True), ("stop_sell", bool, False)],
        )
    ]


MALFORMED: list[tuple[Kind, dict[str, Any], str]] = [
    ("restrictions", restr(TWIN_BAR, on("2026-11-01")), "value carries no field"),
    (
        "restrictions",
        restr(TWIN_BAR, {"date_from": "2026-11-01"}, rate=100),
        "not a date: None",
    ),
    ("restrictions", restr(TWIN_BAR, on("2026-11-31"), rate=100), "day is out of range"),
    ("restrictions", {**restr(TWIN_BAR, {}, rate=100), "date": 20261101}, "not a date: 20261101"),
    (
        "restrictions",
        restr(TWIN_BAR, between("2026-11-02", "2026-11-01"), rate=100),
        "range ends before it starts",
    ),
    (
        "restrictions",
        restr(TWIN_BAR, {**on("2026-11-01"), "date_to": "2026-11-02"}, rate=1),
        "value has both date and a range",
    ),
    (
        "restrictions",
        restr(TWIN_BAR, {**on("2026-11-01"), "date_from": "2026-11-01"}, rate=1),
        "value has both date and a range",
    ),
    (
        "restrictions",
        restr(TWIN_BAR, between("2026-11-01", "2026-11-02"), days=[], rate=1),
        r"bad days filter: \[\]",
    ),
    (
        "restrictions",
        restr(TWIN_BAR, between("2026-11-01", "2026-11-02"), days=["mo", "xx"], rate=1),
        r"bad days filter: \['mo', 'xx'\]",
    ),
    (
        "restrictions",
        restr(TWIN_BAR, between("2026-11-01", "2026-11-02"), days="mo", rate=1),
        "bad days filter: 'mo'",
    ),
    (
        "restrictions",
        restr(TWIN_BAR, on("2026-11-01"), rates=[{"occupancy": 1}]),
        "not a restrictions value",
    ),
    ("restrictions", restr(TWIN_BAR, on("2026-11-01"), stop_sell="yes"), "bad stop_sell: 'yes'"),
    ("restrictions", restr(TWIN_BAR, on("2026-11-01"), stop_sell=2), "bad stop_sell: 2"),
    (
        "restrictions",
        restr(TWIN_BAR, on("2026-11-01"), min_stay_arrival=True),
        "bad min_stay_arrival: True",
    ),
    ("restrictions", restr(TWIN_BAR, on("2026-11-01"), max_stay="2"), "bad max_stay: '2'"),
    ("restrictions", restr(TWIN_BAR, on("2026-11-01"), rate=1.5), "rate must be an integer"),
    (
        "restrictions",
        {"property_id": P, "date": "2026-11-01", "rate": 100},
        "not a restrictions value",
    ),
    ("restrictions", restr("", on("2026-11-01"), rate=100), "not a restrictions value"),
    (
        "availability",
        {**avail(TWIN, between("2026-11-01", "2026-11-07"), 1), "days": ["mo"]},
        "availability value with days",
    ),
    (
        "availability",
        {"property_id": P, "room_type_id": TWIN, "date": "2026-11-01"},
        "value carries no field",
    ),
]


@pytest.mark.parametrize(("kind", "value", "message"), MALFORMED)
def test_expand_refuses_malformed_values(kind: Kind, value: dict[str, Any], message: str) -> None:
    """Each malformed value is refused with a message naming what is wrong with it."""
    with pytest.raises(ValueError, match=f"^{message}"):
        encode.expand_values(kind, [value], currency="USD")


def sized(n: int) -> dict[str, Any]:
    return restr(TWIN_BAR, on("2026-11-01"), rate=10000 + n)


def test_split_values_fills_chunks_in_order() -> None:
    """Greedy in order: a chunk closes only when the next value would not fit."""
    values = [sized(n) for n in range(7)]
    value_bytes = len(orjson.dumps(values[0]))
    three = len(orjson.dumps({"values": values[:3]}))
    assert three == encode.ENVELOPE_BYTES + 3 * value_bytes + 2
    chunks = encode.split_values(values, three)
    assert chunks == [values[0:3], values[3:6], values[6:7]]
    assert encode.split_values(values, three - 1) == [
        values[0:2],
        values[2:4],
        values[4:6],
        [values[6]],
    ]
    assert encode.split_values(values, 10_000_000) == [values]
    assert encode.split_values([], 100) == []


def test_split_values_refuses_a_value_that_cannot_fit() -> None:
    value = sized(0)
    fits = encode.ENVELOPE_BYTES + len(orjson.dumps(value))
    assert encode.split_values([value], fits) == [[value]]
    with pytest.raises(ValueError, match="over the"):
        encode.split_values([value], fits - 1)
