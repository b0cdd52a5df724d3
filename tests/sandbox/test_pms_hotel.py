"""Hotel data files: they load, seasons recur every year, rules and rates come from data."""

from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from middleware.sandbox.pms_calendar import DaySpan, easter_sunday, parse_month_day
from middleware.sandbox.pms_hotel import HotelDataError, Restrictions, load_hotel


def test_duke_beach_loads_with_the_contract_units() -> None:
    hotel = load_hotel("duke_beach")
    assert (hotel.name, hotel.currency, hotel.timezone) == (
        "Duke Beach",
        "BRL",
        "America/Sao_Paulo",
    )
    assert hotel.weekend_days == frozenset({4, 5})
    assert [(r.categoria, r.nome, len(r.apartamentos)) for r in hotel.room_types] == [
        ("lvu", "Lateral Vista Urbana", 11),
        ("dlvu", "De Luxe Vista Urbana", 2),
        ("dlvl", "De Luxe Vista Lateral", 2),
        ("lvl", "Lateral Vista Lateral", 11),
        ("ov", "Ocean View", 5),
        ("ovp", "Ocean View Premier", 2),
    ]
    assert [[p.plano for p in r.planos] for r in hotel.room_types] == [["padrao"]] * 6
    assert hotel.room_types[5].apartamentos == ("OVP-405", "OVP-406")


def test_certification_has_two_plans_per_categoria() -> None:
    hotel = load_hotel("certification")
    assert (hotel.currency, hotel.timezone) == ("USD", "America/Sao_Paulo")
    summary = [
        (r.categoria, r.nome, len(r.apartamentos), r.ocupacao, [p.plano for p in r.planos])
        for r in hotel.room_types
    ]
    assert summary == [
        ("twin", "Twin Room", 10, 2, ["bar", "bb"]),
        ("double", "Double Room", 10, 2, ["bar", "bb"]),
    ]
    twin = hotel.room_types[0]
    summer_saturday = [hotel.base_rate(p, date(2026, 7, 4)) for p in twin.planos]
    assert summer_saturday == [Decimal("179.00"), Decimal("201.00")]
    regular_monday = [hotel.base_rate(p, date(2026, 11, 2)) for p in twin.planos]
    assert regular_monday == [Decimal("104.00"), Decimal("126.00")]


def test_a_path_loads_too(tmp_path: Path) -> None:
    source = resources.files("middleware.sandbox").joinpath("hotels/certification.json")
    copy = tmp_path / "cert.json"
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_hotel(copy) == load_hotel("certification")


def test_unknown_name_and_inconsistent_data_are_named(tmp_path: Path) -> None:
    with pytest.raises(HotelDataError, match="no hotel data named 'nowhere'"):
        load_hotel("nowhere")
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"name": "X", "currency": "BRL", "timezone": "UTC", "default_season": "baixa",'
        ' "seasons": [{"season": "alta", "dates": [["12-15", "03-05"]]}],'
        ' "room_types": [{"categoria": "a", "nome": "A", "apartamentos": ["A-1"],'
        ' "planos": [{"plano": "p",'
        ' "rates": {"baixa": {"weekday": "1.00", "weekend": "2.00"}}}]}]}',
        encoding="utf-8",
    )
    with pytest.raises(HotelDataError, match=r"a/p: no rate for seasons \['alta'\]"):
        load_hotel(bad)


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)),
     (2027, date(2027, 3, 28)), (2038, date(2038, 4, 25))],
)  # fmt: skip
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_spans_wrap_the_new_year_and_follow_easter() -> None:
    span = DaySpan(month_days=((parse_month_day("12-27"), parse_month_day("01-02")),))
    inside = [date(2026, 12, 27), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2)]
    outside = [date(2026, 12, 26), date(2027, 1, 3)]
    assert [span.contains(d) for d in inside + outside] == [True] * 4 + [False] * 2
    carnaval = DaySpan(easter_days=((-51, -46),))
    assert [carnaval.contains(d) for d in (date(2026, 2, 12), date(2026, 2, 13))] == [False, True]
    assert [carnaval.contains(d) for d in (date(2026, 2, 18), date(2026, 2, 19))] == [True, False]
    with pytest.raises(ValueError):
        parse_month_day("02-30")


@pytest.mark.parametrize(
    ("day", "season", "rate", "restrictions"),
    [
        # baixa weekday; ovp stop-sell for maintenance and a 14-night max stay in baixa
        (date(2026, 5, 13), "baixa", "689.00", Restrictions(max_stay=14, stop_sell=True)),
        (date(2026, 5, 16), "baixa", "799.00", Restrictions(max_stay=14)),  # Saturday
        (date(2026, 2, 13), "carnaval", "1290.00", Restrictions(min_stay_arrival=4)),
        (date(2026, 2, 19), "alta", "989.00", Restrictions()),  # Thursday after Carnaval
        (date(2026, 2, 20), "alta", "1149.00", Restrictions(min_stay_arrival=2)),  # Friday
        (date(2026, 4, 2), "media", "799.00", Restrictions(min_stay_arrival=3)),  # Maundy Thu
        (date(2026, 12, 31), "reveillon", "1790.00",
         Restrictions(min_stay_arrival=3, closed_to_arrival=True)),
        (date(2027, 1, 1), "reveillon", "1790.00",
         Restrictions(min_stay_arrival=3, closed_to_departure=True)),
        (date(2027, 7, 15), "alta", "989.00", Restrictions()),  # July holidays, Thursday
    ],
)  # fmt: skip
def test_duke_beach_ovp_calendar(
    day: date, season: str, rate: str, restrictions: Restrictions
) -> None:
    hotel = load_hotel("duke_beach")
    ovp = hotel.room_types[5]
    plan = ovp.planos[0]
    assert hotel.season_of(day) == season
    assert hotel.base_rate(plan, day) == Decimal(rate)
    assert hotel.base_restrictions(ovp, plan, day) == restrictions


def test_categorias_are_priced_apart_and_ovp_is_dearest() -> None:
    hotel = load_hotel("duke_beach")
    day = date(2026, 8, 12)  # baixa, Wednesday
    rates = {r.categoria: hotel.base_rate(r.planos[0], day) for r in hotel.room_types}
    assert rates == {
        "lvu": Decimal("329.00"),
        "dlvu": Decimal("419.00"),
        "dlvl": Decimal("449.00"),
        "lvl": Decimal("359.00"),
        "ov": Decimal("529.00"),
        "ovp": Decimal("689.00"),
    }
