"""The hotel a sistema-os emulator serves: units, plans, seasonal rates and restriction rules.

A hotel is DATA, read from JSON (`hotels/<name>.json` inside this package, or any path)::

    {"name": "Duke Beach", "currency": "BRL", "timezone": "America/Sao_Paulo",
     "weekend_days": [4, 5],             # Python weekday numbers (Mon=0) of weekend nights
     "default_season": "baixa",          # the season of a day no entry of "seasons" matches
     "seasons": [                        # first match wins; every entry recurs each year
       {"season": "reveillon", "dates": [["12-27", "01-02"]]},   # inclusive MM-DD, may wrap
       {"season": "carnaval", "easter_days": [[-51, -46]]},      # days from Easter Sunday
       {"season": "alta", "dates": [["12-15", "03-05"], ["07-01", "07-31"]]}],
     "room_types": [
       {"categoria": "lvu", "nome": "Lateral Vista Urbana", "ocupacao": 2,
        "apartamentos": ["LVU-101", "LVU-102"],                  # one per unit, assignment order
        "planos": [{"plano": "padrao", "nome": "Tarifa padrão",
                    "rates": {"alta": {"weekday": "489.00", "weekend": "579.00"}}}]}],
     "restrictions": [                   # rules applied in order over the defaults; later wins
       {"when": {"season": "alta", "weekend": true}, "set": {"min_stay_arrival": 2}},
       {"when": {"dates": [["12-31", "12-31"]]}, "set": {"closed_to_arrival": true}},
       {"when": {"categorias": ["ovp"], "dates": [["05-12", "05-14"]]},
        "set": {"stop_sell": true}}]}

Every plan has a rate for every season (and the default one). A rule's `when` keys are all
optional and must all hold: `season`, `weekend` (bool), `dates`, `easter_days`, `categorias`,
`planos`. Restriction defaults: min stays 1, `max_stay` 0 (no limit), the three flags false.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from middleware.sandbox.pms_calendar import DaySpan, parse_month_day

HOTELS_PACKAGE = "middleware.sandbox"
INT_RESTRICTIONS = ("min_stay_arrival", "min_stay_through", "max_stay")
BOOL_RESTRICTIONS = ("closed_to_arrival", "closed_to_departure", "stop_sell")
RESTRICTION_NAMES = INT_RESTRICTIONS + BOOL_RESTRICTIONS
CENT = Decimal("0.01")


class HotelDataError(ValueError):
    """A hotel data file is missing or inconsistent; the message names the bad entry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Restrictions:
    min_stay_arrival: int = 1
    min_stay_through: int = 1
    max_stay: int = 0
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SeasonRate:
    weekday: Decimal
    weekend: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    plano: str
    nome: str
    rates: dict[str, SeasonRate]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomType:
    categoria: str
    nome: str
    ocupacao: int
    apartamentos: tuple[str, ...]
    planos: tuple[Plan, ...]

    def plan(self, plano: str) -> Plan | None:
        return next((p for p in self.planos if p.plano == plano), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Season:
    name: str
    span: DaySpan


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One restriction rule: where it applies (`None` = everywhere) and what it sets."""

    season: str | None = None
    weekend: bool | None = None
    span: DaySpan | None = None
    categorias: frozenset[str] | None = None
    planos: frozenset[str] | None = None
    fields: dict[str, int | bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hotel:
    name: str
    currency: str
    timezone: str
    weekend_days: frozenset[int]
    default_season: str
    seasons: tuple[Season, ...]
    room_types: tuple[RoomType, ...]
    rules: tuple[Rule, ...]

    def room_type(self, categoria: str) -> RoomType | None:
        return next((r for r in self.room_types if r.categoria == categoria), None)

    def season_of(self, day: date) -> str:
        return next((s.name for s in self.seasons if s.span.contains(day)), self.default_season)

    def is_weekend(self, day: date) -> bool:
        return day.weekday() in self.weekend_days

    def base_rate(self, plan: Plan, day: date) -> Decimal:
        season_rate = plan.rates[self.season_of(day)]
        return season_rate.weekend if self.is_weekend(day) else season_rate.weekday

    def base_restrictions(self, room: RoomType, plan: Plan, day: date) -> Restrictions:
        season, weekend = self.season_of(day), self.is_weekend(day)
        out = Restrictions()
        for rule in self.rules:
            if (
                (rule.season is None or rule.season == season)
                and (rule.weekend is None or rule.weekend == weekend)
                and (rule.span is None or rule.span.contains(day))
                and (rule.categorias is None or room.categoria in rule.categorias)
                and (rule.planos is None or plan.plano in rule.planos)
            ):
                out = replace(out, **rule.fields)  # type: ignore[arg-type]
        return out


def valid_restriction(name: str, value: object) -> bool:
    """Min/max stays are non-negative ints (bools excluded); the flags are bools."""
    if name in INT_RESTRICTIONS:
        return type(value) is int and value >= 0
    return name in BOOL_RESTRICTIONS and isinstance(value, bool)


def load_hotel(hotel: str | Path) -> Hotel:
    """A hotel by package name (`"duke_beach"`) or from a JSON file path."""
    if isinstance(hotel, Path) or hotel.endswith(".json") or "/" in hotel:
        text = Path(hotel).read_text(encoding="utf-8")
    else:
        resource = resources.files(HOTELS_PACKAGE).joinpath(f"hotels/{hotel}.json")
        if not resource.is_file():
            raise HotelDataError(f"no hotel data named {hotel!r}")
        text = resource.read_text(encoding="utf-8")
    return parse_hotel(json.loads(text))


def parse_hotel(doc: dict[str, Any]) -> Hotel:
    try:
        seasons = tuple(
            Season(name=str(s["season"]), span=_span(s)) for s in doc.get("seasons", [])
        )
        hotel = Hotel(
            name=str(doc["name"]),
            currency=str(doc["currency"]),
            timezone=str(doc["timezone"]),
            weekend_days=frozenset(int(d) for d in doc.get("weekend_days", [4, 5])),
            default_season=str(doc["default_season"]),
            seasons=seasons,
            room_types=tuple(_room_type(r) for r in doc["room_types"]),
            rules=tuple(_rule(r) for r in doc.get("restrictions", [])),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise HotelDataError(f"malformed hotel data: {exc!r}") from exc
    _check(hotel)
    return hotel


def _span(doc: dict[str, Any]) -> DaySpan:
    return DaySpan(
        month_days=tuple(
            (parse_month_day(lo), parse_month_day(hi)) for lo, hi in doc.get("dates", [])
        ),
        easter_days=tuple((int(lo), int(hi)) for lo, hi in doc.get("easter_days", [])),
    )


def _money(text: Any) -> Decimal:
    if not isinstance(text, str):
        raise ValueError(f"a rate must be a decimal string, got {text!r}")
    return Decimal(text).quantize(CENT)


def _room_type(doc: dict[str, Any]) -> RoomType:
    planos = tuple(
        Plan(
            plano=str(p["plano"]),
            nome=str(p.get("nome", p["plano"])),
            rates={
                season: SeasonRate(weekday=_money(r["weekday"]), weekend=_money(r["weekend"]))
                for season, r in p["rates"].items()
            },
        )
        for p in doc["planos"]
    )
    return RoomType(
        categoria=str(doc["categoria"]),
        nome=str(doc["nome"]),
        ocupacao=int(doc.get("ocupacao", 2)),
        apartamentos=tuple(str(a) for a in doc["apartamentos"]),
        planos=planos,
    )


def _rule(doc: dict[str, Any]) -> Rule:
    when: dict[str, Any] = doc.get("when", {})
    fields: dict[str, int | bool] = {}
    for name, value in doc["set"].items():
        if not valid_restriction(name, value):
            raise ValueError(f"restriction {name}={value!r} is not a known field and value")
        fields[name] = value
    has_span = "dates" in when or "easter_days" in when
    return Rule(
        season=when.get("season"),
        weekend=when.get("weekend"),
        span=_span(when) if has_span else None,
        categorias=frozenset(when["categorias"]) if "categorias" in when else None,
        planos=frozenset(when["planos"]) if "planos" in when else None,
        fields=fields,
    )


def _check(hotel: Hotel) -> None:
    season_names = {hotel.default_season, *(s.name for s in hotel.seasons)}
    problems: list[str] = []
    if not hotel.room_types:
        problems.append("no room_types")
    codes = [r.categoria for r in hotel.room_types]
    if len(set(codes)) != len(codes):
        problems.append(f"duplicate categoria in {codes}")
    units = [a for r in hotel.room_types for a in r.apartamentos]
    if len(set(units)) != len(units):
        problems.append("an apartment name is used twice")
    for room in hotel.room_types:
        if not room.apartamentos or not room.planos:
            problems.append(f"{room.categoria}: needs apartamentos and planos")
        for plan in room.planos:
            missing = sorted(season_names - plan.rates.keys())
            if missing:
                problems.append(f"{room.categoria}/{plan.plano}: no rate for seasons {missing}")
    for rule in hotel.rules:
        if rule.season is not None and rule.season not in season_names:
            problems.append(f"restriction rule names unknown season {rule.season!r}")
    if problems:
        raise HotelDataError("; ".join(problems))
