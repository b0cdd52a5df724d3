"""Booking specs for the Channex emulator: what a test asks for, checked and completed.

A spec is the body of `POST /_control/bookings` (or `emulator.create_booking(**spec)`); a
modification spec says only what changes. `build_spec` checks it (`BookingSpecError` names
the bad key), fills the defaults and returns the normalised spec that
`channex_booking_model.render` turns into revision attributes. Every key is listed in
`channex_control`'s docstring. Money is kept as `Decimal` in the currency's own decimals.

Rooms of a modification: an item with `"from": n` is the same room as room `n` of the
previous revision (it keeps `booking_room_id` and `ota_unique_id` and inherits every field it
does not give); an item without `from` is a new room; previous rooms nobody names are gone.
A modification without `rooms` keeps every room (top-level `checkin_date`/`checkout_date`
move them all). `renew_booking_room_ids: true` gives every room a new `booking_room_id`.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.domain import money
from middleware.sandbox import channex_otas
from middleware.sandbox.channex_state import ChannexState, JsonObject

DEFAULT_OTA = "BookingCom"
DEFAULT_NIGHT_PRICE = Decimal("100")
DEFAULT_ADULTS = 2
DEFAULT_CHILD_AGE = 8
DEFAULT_SERVICE_TYPE = "other"
DEFAULT_PRICE_MODE = "per_stay"
DEFAULT_TAX_TYPE = "tax"
FIRST_OTA_ROOM_NUMBER = 49  # Booking.com room reservation ids look like "49"
CUSTOMER_KEYS = (
    "name",
    "surname",
    "mail",
    "phone",
    "address",
    "city",
    "zip",
    "country",
    "language",
    "company",
    "meta",
)
DEFAULT_CUSTOMER: JsonObject = {
    **dict.fromkeys(CUSTOMER_KEYS),
    "name": "Guest",
    "surname": "Sandbox",
    "mail": "guest@example.com",
    "phone": "+10000000000",
    "language": "en",
    "meta": {},
}
SPEC_KEYS = frozenset(
    {"property_id", "customer", "rooms", "ota_name", "secondary_ota", "currency", "notes"}
    | {"arrival_hour", "checkin_date", "checkout_date", "payment_collect", "payment_type"}
    | {"services", "guarantee", "ota_commission"}
)
MODIFY_KEYS = SPEC_KEYS | {"renew_booking_room_ids"}
ROOM_KEYS = frozenset(
    {"from", "room_type_id", "rate_plan_id", "checkin_date", "checkout_date", "checkin"}
    | {"checkout", "adults", "children", "infants", "ages", "amount", "days", "guests"}
    | {"services", "taxes", "collected_taxes", "meta", "ota_unique_id"}
)
SERVICE_KEYS = frozenset(
    {"name", "type", "nights", "persons", "price_mode", "price_per_unit", "total_price"}
)
TAX_KEYS = frozenset({"is_inclusive", "name", "total_price", "type"})
PAYMENT_COLLECT = ("ota", "property", None)
PAYMENT_TYPES = ("credit_card", "bank_transfer", None)
HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class BookingSpecError(ValueError):
    """A create/modify spec the emulator cannot turn into a booking."""


def build_spec(
    state: ChannexState, raw: JsonObject, previous: JsonObject | None = None
) -> JsonObject:
    """The normalised spec of a new booking (`previous` None) or of a modification."""
    _refuse_unknown(raw, SPEC_KEYS if previous is None else MODIFY_KEYS, "booking fields")
    old: JsonObject = previous or {}
    property_id = raw.get("property_id", old.get("property_id"))
    if property_id is None and len(state.properties) == 1:
        property_id = next(iter(state.properties))
    if property_id not in state.properties:
        raise BookingSpecError(f"unknown property_id {property_id!r}")
    if previous is not None and property_id != previous["property_id"]:
        raise BookingSpecError("a booking cannot move to another property")
    currency = raw.get("currency") or old.get("currency") or state.property_currency(property_id)
    ota_name = _text(raw.get("ota_name", old.get("ota_name", DEFAULT_OTA)), "ota_name")
    airbnb = channex_otas.is_airbnb(ota_name)

    def given(key: str, default: Any) -> Any:
        return raw[key] if key in raw else old.get(key, default)

    spec: JsonObject = {
        "property_id": property_id,
        "currency": _text(currency, "currency"),
        "ota_name": ota_name,
        "secondary_ota": _opt_text(given("secondary_ota", None), "secondary_ota"),
        "notes": _opt_text(given("notes", None), "notes"),
        "arrival_hour": _hour(given("arrival_hour", None)),
        "payment_collect": _choice(
            given("payment_collect", "ota" if airbnb else "property"),
            PAYMENT_COLLECT,
            "payment_collect",
        ),
        "payment_type": _choice(
            given("payment_type", None if airbnb else "credit_card"), PAYMENT_TYPES, "payment_type"
        ),
        "guarantee": _guarantee(raw, old, airbnb),
        "customer": _customer(raw, previous),
    }
    commission = raw.get("ota_commission")
    if commission is not None:
        commission = parse_money(commission, spec["currency"], "ota_commission")
    spec["ota_commission"] = commission if "ota_commission" in raw else old.get("ota_commission")
    spec["services"] = (
        services(raw["services"], spec["currency"], "services")
        if "services" in raw
        else old.get("services", [])
    )
    spec["rooms"] = _rooms(state, spec, raw, previous)
    return spec


def _refuse_unknown(raw: JsonObject, known: frozenset[str], what: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BookingSpecError(f"unknown {what}: {', '.join(unknown)}")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise BookingSpecError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _opt_text(value: Any, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _hour(value: Any) -> str | None:
    if value is not None and not (isinstance(value, str) and HOUR.match(value)):
        raise BookingSpecError(f"arrival_hour must be HH:MM or null, got {value!r}")
    return value


def _choice(value: Any, allowed: tuple[str | None, ...], name: str) -> str | None:
    if value not in allowed:
        raise BookingSpecError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value  # type: ignore[no-any-return]


def _object(value: Any, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise BookingSpecError(f"{name} must be an object")
    return value


def _guarantee(raw: JsonObject, old: JsonObject, airbnb: bool) -> JsonObject | None:
    """None (no card), or the keys laid over the default masked card when rendered."""
    if "guarantee" not in raw:
        return old.get("guarantee", None if airbnb else {})
    if raw["guarantee"] is None:
        return None
    return {**(old.get("guarantee") or {}), **_object(raw["guarantee"], "guarantee")}


def _customer(raw: JsonObject, previous: JsonObject | None) -> JsonObject:
    """No `customer` → the sandbox guest; a given one keeps its nulls, lacks nothing else."""
    if "customer" not in raw:
        return dict(previous["customer"]) if previous else dict(DEFAULT_CUSTOMER)
    given = _object(raw["customer"], "customer")
    _refuse_unknown(given, frozenset(CUSTOMER_KEYS), "customer fields")
    base = previous["customer"] if previous else dict.fromkeys(CUSTOMER_KEYS)
    return {**base, **given}


def parse_money(value: Any, currency: str, name: str) -> Decimal:
    """A non-negative amount with at most the currency's decimals, as a quantized Decimal."""
    places = money.exponent(currency)
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise BookingSpecError(f"{name} must be a decimal amount, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BookingSpecError(f"{name} must be a decimal amount, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise BookingSpecError(f"{name} must be a non-negative amount, got {value!r}")
    if -amount.as_tuple().exponent > places:  # type: ignore[operator]
        raise BookingSpecError(f"{name} {value!r} has more than {places} decimals ({currency})")
    return amount.quantize(Decimal(1).scaleb(-places))


def _count(value: Any, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BookingSpecError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _items(value: Any, name: str) -> list[JsonObject]:
    if not isinstance(value, list):
        raise BookingSpecError(f"{name} must be a list")
    return [_object(item, f"{name}[{n}]") for n, item in enumerate(value)]


def services(value: Any, currency: str, name: str) -> list[JsonObject]:
    """Service items; `total_price` or `price_per_unit` (× nights × persons) is required."""
    out = []
    for n, item in enumerate(_items(value, name)):
        where = f"{name}[{n}]"
        _refuse_unknown(item, SERVICE_KEYS, f"{where} fields")
        nights = _count(item.get("nights", 1), f"{where}.nights", 1)
        persons = _count(item.get("persons", 1), f"{where}.persons", 1)
        total = item.get("total_price")
        unit = item.get("price_per_unit")
        if total is None and unit is None:
            raise BookingSpecError(f"{where} needs total_price or price_per_unit")
        unit_price = (
            None if unit is None else parse_money(unit, currency, f"{where}.price_per_unit")
        )
        if total is None:
            assert unit_price is not None
            total_price = unit_price * nights * persons
        else:
            total_price = parse_money(total, currency, f"{where}.total_price")
        if unit_price is None:
            exact = total_price / (nights * persons)
            unit_price = exact.quantize(Decimal(1).scaleb(-money.exponent(currency)))
        out.append(
            {
                "name": _text(item.get("name"), f"{where}.name"),
                "type": item.get("type", DEFAULT_SERVICE_TYPE),
                "nights": nights,
                "persons": persons,
                "price_mode": item.get("price_mode", DEFAULT_PRICE_MODE),
                "price_per_unit": unit_price,
                "total_price": total_price,
            }
        )
    return out


def _taxes(value: Any, currency: str, name: str, *, collected: bool) -> list[JsonObject]:
    out = []
    for n, item in enumerate(_items(value, name)):
        where = f"{name}[{n}]"
        _refuse_unknown(item, TAX_KEYS - {"is_inclusive"} if collected else TAX_KEYS, where)
        tax: JsonObject = {} if collected else {"is_inclusive": item.get("is_inclusive", False)}
        if not isinstance(tax.get("is_inclusive", False), bool):
            raise BookingSpecError(f"{where}.is_inclusive must be a boolean")
        tax["name"] = _text(item.get("name"), f"{where}.name")
        tax["total_price"] = parse_money(item.get("total_price"), currency, f"{where}.total_price")
        tax["type"] = item.get("type", DEFAULT_TAX_TYPE)
        out.append(tax)
    return out


def _rooms(
    state: ChannexState, spec: JsonObject, raw: JsonObject, previous: JsonObject | None
) -> list[JsonObject]:
    old: list[JsonObject] = previous["rooms"] if previous else []
    items = raw.get("rooms")
    if items is None and previous is not None:
        moved = {k: raw[k] for k in ("checkin_date", "checkout_date") if k in raw}
        items = [{"from": n, **moved} for n in range(len(old))]
    if not isinstance(items, list) or not items:
        raise BookingSpecError("rooms must be a non-empty list")
    used: set[int] = set()
    rooms = []
    for n, item in enumerate(items):
        where = f"rooms[{n}]"
        item = _object(item, where)
        _refuse_unknown(item, ROOM_KEYS, f"{where} fields")
        base = None
        if "from" in item:
            index = item["from"]
            if previous is None:
                raise BookingSpecError(f"{where}.from is only for a modification")
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(old):
                raise BookingSpecError(f"{where}.from must index the previous {len(old)} rooms")
            if index in used:
                raise BookingSpecError(f"{where}.from: room {index} is already taken")
            used.add(index)
            base = old[index]
        rooms.append(_room(state, spec, item, base, raw, where))
    if raw.get("renew_booking_room_ids"):
        for room in rooms:
            room["booking_room_id"] = str(uuid.uuid4())
    return rooms


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BookingSpecError(f"{name} must be a YYYY-MM-DD date, got {value!r}") from None


def _room(
    state: ChannexState,
    spec: JsonObject,
    item: JsonObject,
    base: JsonObject | None,
    top: JsonObject,
    where: str,
) -> JsonObject:
    old: JsonObject = base or {}
    currency = spec["currency"]

    def pick(key: str, default: Any) -> Any:
        return item[key] if key in item else old.get(key, default)

    room_type_id = pick("room_type_id", None)
    rate_plan_id = pick("rate_plan_id", None)
    for name, table, value in (
        ("room_type_id", state.room_types, room_type_id),
        ("rate_plan_id", state.rate_plans, rate_plan_id),
    ):
        if value is not None and table.get(value, {}).get("property_id") != spec["property_id"]:
            raise BookingSpecError(f"unknown {name} {value!r}")
    dates = []
    for name, alias in (("checkin_date", "checkin"), ("checkout_date", "checkout")):
        value = item.get(name, item.get(alias, old.get(name, top.get(name))))
        dates.append(_as_date(value, f"{where}.{name}"))
    checkin, checkout = dates
    if checkout <= checkin:
        raise BookingSpecError("checkout_date must be after checkin_date")
    nights = [checkin + timedelta(days=n) for n in range((checkout - checkin).days)]
    children = _count(pick("children", 0), f"{where}.children")
    if "ages" in item:
        ages = item["ages"]
        if not isinstance(ages, list) or len(ages) != children:
            raise BookingSpecError(f"{where}.ages must list {children} ages")
        ages = [_count(age, f"{where}.ages") for age in ages]
    elif base is not None and children == base["children"]:
        ages = list(base["ages"])
    else:
        ages = [DEFAULT_CHILD_AGE] * children
    guests = pick("guests", None)
    if guests is not None:
        guests = _items(guests, f"{where}.guests")
    meta = pick("meta", None)
    if meta is not None:
        meta = _object(meta, f"{where}.meta")
    return {
        "room_type_id": room_type_id,
        "rate_plan_id": rate_plan_id,
        "checkin_date": checkin,
        "checkout_date": checkout,
        "adults": _count(pick("adults", DEFAULT_ADULTS), f"{where}.adults"),
        "children": children,
        "infants": _count(pick("infants", 0), f"{where}.infants"),
        "ages": ages,
        "days": _days(state, currency, item, old, rate_plan_id, nights, where),
        "guests": guests,
        "services": services(item["services"], currency, f"{where}.services")
        if "services" in item
        else old.get("services", []),
        "taxes": _taxes(item["taxes"], currency, f"{where}.taxes", collected=False)
        if "taxes" in item
        else old.get("taxes", []),
        "collected_taxes": _taxes(
            item["collected_taxes"], currency, f"{where}.collected_taxes", collected=True
        )
        if "collected_taxes" in item
        else old.get("collected_taxes", []),
        "meta": meta,
        "booking_room_id": old.get("booking_room_id") or str(uuid.uuid4()),
        "ota_unique_id": _ota_unique_id(state, spec, item, base),
    }


def _ota_unique_id(
    state: ChannexState, spec: JsonObject, item: JsonObject, base: JsonObject | None
) -> str | None:
    """Booking.com's room reservation id: kept by the same room, a new number for a new one."""
    if "ota_unique_id" in item:
        return _opt_text(item["ota_unique_id"], "ota_unique_id")
    if base is not None:
        kept: str | None = base["ota_unique_id"]
        return kept
    if not channex_otas.is_booking_com(spec["ota_name"]):
        return None
    state.ota_rooms_issued += 1
    return str(FIRST_OTA_ROOM_NUMBER - 1 + state.ota_rooms_issued)


def _days(
    state: ChannexState,
    currency: str,
    item: JsonObject,
    old: JsonObject,
    rate_plan_id: str | None,
    nights: list[date],
    where: str,
) -> dict[date, Decimal]:
    """Per-night prices: given `days`, `amount` spread, kept ones, else the stored rates."""
    if "days" in item:
        given = _object(item["days"], f"{where}.days")
        if sorted(given) != [night.isoformat() for night in nights]:
            raise BookingSpecError(f"{where}.days must price exactly the nights of the stay")
        days = {
            night: parse_money(given[night.isoformat()], currency, f"{where}.days")
            for night in nights
        }
        if "amount" in item and parse_money(item["amount"], currency, where) != sum(days.values()):
            raise BookingSpecError(f"{where}.amount is not the sum of its days")
        return days
    unit = Decimal(1).scaleb(-money.exponent(currency))
    if "amount" in item:
        total = parse_money(item["amount"], currency, f"{where}.amount")
        each = (total / len(nights)).quantize(unit)
        prices = [each] * (len(nights) - 1) + [total - each * (len(nights) - 1)]
        return dict(zip(nights, prices, strict=True))
    kept: dict[date, Decimal] | None = old.get("days")
    if kept is not None and list(kept) == nights:
        return dict(kept)
    if rate_plan_id is None:
        return dict.fromkeys(nights, DEFAULT_NIGHT_PRICE.quantize(unit))
    return {night: state.cell_on(rate_plan_id, night)["rate"].quantize(unit) for night in nights}
