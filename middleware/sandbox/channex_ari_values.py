"""Validation of one ARI `values[]` item, as Channex does it: a bad item is dropped with a warning.

`parse_value` returns either a `Change` (target, dates, fields) or the `warning` dict
(`{field: [messages]}`) that the response echoes next to the offending item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from middleware.sandbox.channex_state import ChannexState, JsonObject, parse_money

Kind = Literal["availability", "restrictions"]
WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
INT_MINIMUMS = {"min_stay_arrival": 1, "min_stay_through": 1, "min_stay": 1, "max_stay": 0}
BOOL_FIELDS = ("closed_to_arrival", "closed_to_departure", "stop_sell")
RESTRICTION_INPUTS = ("rate", "rates", *INT_MINIMUMS, *BOOL_FIELDS)
NULL = "Should be a non null value or not existed field"
BLANK = "can't be blank"
INVALID = "is invalid"
NOT_FOUND = "not found"
PAST = "can't be in the past"

Warning = dict[str, list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    target_id: str  # room type (availability) or rate plan (restrictions)
    property_id: str
    days: tuple[date, ...]
    fields: JsonObject  # availability: int; rate: Decimal; rates: {occupancy: Decimal}; ...


def parse_value(state: ChannexState, kind: Kind, raw: Any) -> Change | Warning:
    if not isinstance(raw, dict):
        return {"value": [INVALID]}
    problems: Warning = {}

    def add(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    for name, value in raw.items():
        if value is None:
            add(name, NULL)
    property_id = raw.get("property_id")
    target_key = "room_type_id" if kind == "availability" else "rate_plan_id"
    table = state.room_types if kind == "availability" else state.rate_plans
    if property_id not in state.properties:
        add("property_id", BLANK if property_id is None else NOT_FOUND)
    target_id = raw.get(target_key)
    target = table.get(target_id) if isinstance(target_id, str) else None
    if target is None or target["property_id"] != property_id:
        add(target_key, BLANK if raw.get(target_key) is None else NOT_FOUND)
        target = None
    days = _days(state, raw, property_id, add)
    if kind == "availability":
        fields = _availability_fields(raw, add)
    else:
        fields = _restriction_fields(state, raw, target, add)
    if problems or target is None:
        return problems or {target_key: [NOT_FOUND]}
    return Change(
        target_id=target["id"], property_id=target["property_id"], days=days, fields=fields
    )


def _parse_date(raw: JsonObject, name: str, add: Any) -> date | None:
    value = raw.get(name)
    if value is None:
        return None  # missing or null: reported by the caller / the null check
    if isinstance(value, str) and len(value) == len("YYYY-MM-DD"):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    add(name, INVALID)
    return None


def _days(state: ChannexState, raw: JsonObject, property_id: Any, add: Any) -> tuple[date, ...]:
    if "date" in raw:
        first = last = _parse_date(raw, "date", add)
        names = ("date", "date")
    elif "date_from" in raw or "date_to" in raw:
        first, last = _parse_date(raw, "date_from", add), _parse_date(raw, "date_to", add)
        names = ("date_from", "date_to")
        for name in names:
            if name not in raw:
                add(name, BLANK)
    else:
        add("date", BLANK)
        return ()
    if first is None or last is None:
        return ()
    if last < first:
        add("date_to", "must be greater than or equal to date_from")
        return ()
    known = isinstance(property_id, str) and property_id in state.properties
    if known and first < state.today_for(property_id):
        add(names[0], PAST)
        return ()
    weekdays = _weekdays(raw, add)
    count = (last - first).days + 1
    every = (first + timedelta(days=n) for n in range(count))
    return tuple(day for day in every if WEEKDAYS[day.weekday()] in weekdays)


def _weekdays(raw: JsonObject, add: Any) -> frozenset[str]:
    days = raw.get("days")
    if days is None:
        return frozenset(WEEKDAYS)
    if not isinstance(days, list) or not days or not all(d in WEEKDAYS for d in days):
        add("days", INVALID)
        return frozenset()
    return frozenset(days)


def _int_field(raw: JsonObject, name: str, minimum: int, add: Any) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        add(name, INVALID)
        return None
    if value < minimum:
        add(name, f"must be greater than or equal to {minimum}")
        return None
    return value


def _availability_fields(raw: JsonObject, add: Any) -> JsonObject:
    if "availability" not in raw:
        add("availability", BLANK)
        return {}
    units = _int_field(raw, "availability", 0, add)
    return {} if units is None else {"availability": units}


def _restriction_fields(
    state: ChannexState, raw: JsonObject, plan: JsonObject | None, add: Any
) -> JsonObject:
    if not any(name in raw for name in RESTRICTION_INPUTS):
        add("value", "should contain at least one rate or restriction")
        return {}
    fields: JsonObject = {}
    currency = str(plan["currency"]) if plan else "USD"
    if raw.get("rate") is not None:
        rate = _rate(raw["rate"], currency, "rate", add)
        if rate is not None:
            fields["rate"] = rate
    if raw.get("rates") is not None:
        fields["rates"] = _rates(raw["rates"], plan, currency, add)
    for name, minimum in INT_MINIMUMS.items():
        value = _int_field(raw, name, minimum, add)
        if value is not None:
            fields[name] = value
    for name in BOOL_FIELDS:
        value = raw.get(name)
        if value is None:
            continue
        if value in (True, False) and isinstance(value, bool | int):  # also 0 / 1
            fields[name] = bool(value)
        else:
            add(name, INVALID)
    if "min_stay" in fields and plan is not None:
        min_stay_type = state.properties[plan["property_id"]]["settings"]["min_stay_type"]
        if min_stay_type == "both":
            add("min_stay", "is not allowed when property min_stay_type is both")
        else:
            fields[f"min_stay_{min_stay_type}"] = fields.pop("min_stay")
    return fields


def _rate(value: Any, currency: str, name: str, add: Any) -> Decimal | None:
    rate = parse_money(value, currency)
    if rate is None:
        add(name, INVALID)
    elif rate <= 0:
        add(name, "must be greater than 0")
        return None
    return rate


def _rates(value: Any, plan: JsonObject | None, currency: str, add: Any) -> dict[int, Decimal]:
    if not isinstance(value, list) or not value:
        add("rates", INVALID)
        return {}
    occupancies = {int(o["occupancy"]) for o in plan["options"]} if plan else set()
    out: dict[int, Decimal] = {}
    for item in value:
        occupancy = item.get("occupancy") if isinstance(item, dict) else None
        if not isinstance(occupancy, int) or occupancy not in occupancies:
            add("rates", f"occupancy {occupancy!r} is not an option of the rate plan")
            continue
        rate = _rate(item.get("rate"), currency, "rates", add)
        if rate is not None:
            out[occupancy] = rate
    return out
