"""Booking specs for the Channex emulator: what a test asks for, checked and completed.

A spec is the body of `POST /_control/bookings` (or `emulator.create_booking(**spec)`); a
modification spec (`.../modify`, `modify_booking`) says only what changes and inherits the
rest. `build_spec` checks it (`BookingSpecError` names the bad key; the control route answers
400 `{"error": ...}`), fills the defaults and returns the normalised spec that
`channex_booking_model.render` turns into revision attributes. Money is a decimal string or
number with at most the currency's decimals, kept as `Decimal`.

Booking keys (all optional except `rooms` on create):
- `property_id` — default: the only property; `currency` — default: the property's
- `ota_name` — any string, default "BookingCom"; `secondary_ota` — e.g. "MakeMyTrip"
- `customer` — {name, surname, mail, phone, address, city, zip, country, language, company,
  meta}; absent: the sandbox guest (Guest Sandbox, guest@example.com, +10000000000); given:
  missing keys are null; in a modification the given keys are laid over the previous ones
- `notes`, `arrival_hour` ("HH:MM" or null), `ota_commission` (money or null)
- `payment_collect` "ota" | "property" | null — default "property" ("ota" for Airbnb)
- `payment_type` "credit_card" | "bank_transfer" | null — default "credit_card" (Airbnb null)
- `guarantee` — null, or keys laid over the masked Visa ({card_number "411111******1111",
  card_type "VI", cardholder_name = customer's name, cvv "***", expiration_date "12/2030",
  is_virtual false, meta {}}); a whole card passes through verbatim; default the masked
  Visa (Airbnb null)
- `services` — booking level, [{name, total_price | price_per_unit, type="other", nights=1,
  persons=1, price_mode="per_stay"}]; the missing price is derived (unit × nights × persons)
- `checkin_date`, `checkout_date` — dates for rooms that give none (a modification without
  `rooms`: every room moves to them)
- `rooms` — a non-empty list, each {room_type_id, rate_plan_id (null = unmapped),
  checkin_date, checkout_date, adults=2, children=0, infants=0, ages (one per child,
  default 8 each), amount (the nights' price, spread over `days`) | days {date: price} |
  neither (the stored rates), guests [{name, surname}] | null, services, taxes [{name,
  total_price, is_inclusive=false, type="tax"}], collected_taxes [{name, total_price,
  type="tax"}], meta (null or any object; Expedia's payment instruction goes under
  `payment_instruction`), ota_unique_id (default: "49", "50"… for Booking.com, else null)}
- modification only: `rooms[].from` and `renew_booking_room_ids` (below)
- not part of the spec but accepted beside it: `deliver` (bool, default true; false = no
  booking webhook for this revision, it waits in the feed)

Rooms of a modification: an item with `"from": n` is the same room as room `n` of the
previous revision (it keeps `booking_room_id` and `ota_unique_id` and inherits every field it
does not give; new dates without a price are priced from the stored rates); an item without
`from` is a new room; previous rooms nobody names are gone. A modification without `rooms`
keeps every room. `renew_booking_room_ids: true` gives every room a new `booking_room_id`.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from middleware.domain import money
from middleware.sandbox import channex_otas
from middleware.sandbox.channex_booking_values import (
    BookingSpecError,
    count,
    items,
    json_object,
    opt_text,
    parse_money,
    refuse_unknown,
    services,
    taxes,
    text,
)
from middleware.sandbox.channex_state import ChannexState, JsonObject

DEFAULT_OTA = "BookingCom"
DEFAULT_NIGHT_PRICE = Decimal("100")
DEFAULT_ADULTS = 2
DEFAULT_CHILD_AGE = 8
FIRST_OTA_ROOM_NUMBER = 49  # Booking.com room reservation ids look like "49"
NEW_OTA_ROOM = "<new Booking.com room>"  # placeholder until the spec is known to be good
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
PAYMENT_COLLECT = ("ota", "property", None)
PAYMENT_TYPES = ("credit_card", "bank_transfer", None)
HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def build_spec(
    state: ChannexState, raw: JsonObject, previous: JsonObject | None = None
) -> JsonObject:
    """The normalised spec of a new booking (`previous` None) or of a modification."""
    refuse_unknown(raw, SPEC_KEYS if previous is None else MODIFY_KEYS, "booking fields")
    old: JsonObject = previous or {}
    property_id = raw.get("property_id", old.get("property_id"))
    if property_id is None and len(state.properties) == 1:
        property_id = next(iter(state.properties))
    if property_id not in state.properties:
        raise BookingSpecError(f"unknown property_id {property_id!r}")
    if previous is not None and property_id != previous["property_id"]:
        raise BookingSpecError("a booking cannot move to another property")
    currency = raw.get("currency") or old.get("currency") or state.property_currency(property_id)
    ota_name = text(raw.get("ota_name", old.get("ota_name", DEFAULT_OTA)), "ota_name")
    airbnb = channex_otas.is_airbnb(ota_name)

    def given(key: str, default: Any) -> Any:
        return raw[key] if key in raw else old.get(key, default)

    spec: JsonObject = {
        "property_id": property_id,
        "currency": text(currency, "currency"),
        "ota_name": ota_name,
        "secondary_ota": opt_text(given("secondary_ota", None), "secondary_ota"),
        "notes": opt_text(given("notes", None), "notes"),
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


def _hour(value: Any) -> str | None:
    if value is not None and not (isinstance(value, str) and HOUR.match(value)):
        raise BookingSpecError(f"arrival_hour must be HH:MM or null, got {value!r}")
    return value


def _choice(value: Any, allowed: tuple[str | None, ...], name: str) -> str | None:
    if value not in allowed:
        raise BookingSpecError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value  # type: ignore[no-any-return]


def _guarantee(raw: JsonObject, old: JsonObject, airbnb: bool) -> JsonObject | None:
    """None (no card), or the keys laid over the default masked card when rendered."""
    if "guarantee" not in raw:
        return old.get("guarantee", None if airbnb else {})
    if raw["guarantee"] is None:
        return None
    return {**(old.get("guarantee") or {}), **json_object(raw["guarantee"], "guarantee")}


def _customer(raw: JsonObject, previous: JsonObject | None) -> JsonObject:
    """No `customer` → the sandbox guest; a given one keeps its nulls, lacks nothing else."""
    if "customer" not in raw:
        return dict(previous["customer"]) if previous else dict(DEFAULT_CUSTOMER)
    given = json_object(raw["customer"], "customer")
    refuse_unknown(given, frozenset(CUSTOMER_KEYS), "customer fields")
    base = previous["customer"] if previous else dict.fromkeys(CUSTOMER_KEYS)
    return {**base, **given}


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
        item = json_object(item, where)
        refuse_unknown(item, ROOM_KEYS, f"{where} fields")
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
    for room in rooms:  # numbered only once the whole spec is good
        if room["ota_unique_id"] is NEW_OTA_ROOM:
            state.ota_rooms_issued += 1
            room["ota_unique_id"] = str(FIRST_OTA_ROOM_NUMBER - 1 + state.ota_rooms_issued)
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
    children = count(pick("children", 0), f"{where}.children")
    if "ages" in item:
        ages = item["ages"]
        if not isinstance(ages, list) or len(ages) != children:
            raise BookingSpecError(f"{where}.ages must list {children} ages")
        ages = [count(age, f"{where}.ages") for age in ages]
    elif base is not None and children == base["children"]:
        ages = list(base["ages"])
    else:
        ages = [DEFAULT_CHILD_AGE] * children
    guests = pick("guests", None)
    if guests is not None:
        guests = items(guests, f"{where}.guests")
    meta = pick("meta", None)
    if meta is not None:
        meta = json_object(meta, f"{where}.meta")
    return {
        "room_type_id": room_type_id,
        "rate_plan_id": rate_plan_id,
        "checkin_date": checkin,
        "checkout_date": checkout,
        "adults": count(pick("adults", DEFAULT_ADULTS), f"{where}.adults"),
        "children": children,
        "infants": count(pick("infants", 0), f"{where}.infants"),
        "ages": ages,
        "days": _days(state, currency, item, old, rate_plan_id, nights, where),
        "guests": guests,
        "services": services(item["services"], currency, f"{where}.services")
        if "services" in item
        else old.get("services", []),
        "taxes": taxes(item["taxes"], currency, f"{where}.taxes", collected=False)
        if "taxes" in item
        else old.get("taxes", []),
        "collected_taxes": taxes(
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
        return opt_text(item["ota_unique_id"], "ota_unique_id")
    if base is not None:
        kept: str | None = base["ota_unique_id"]
        return kept
    return NEW_OTA_ROOM if channex_otas.is_booking_com(spec["ota_name"]) else None


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
        given = json_object(item["days"], f"{where}.days")
        if sorted(given) != [night.isoformat() for night in nights]:
            raise BookingSpecError(f"{where}.days must price exactly the nights of the stay")
        days = {
            night: parse_money(given[night.isoformat()], currency, f"{where}.days")
            for night in nights
        }
        if "amount" in item and parse_money(item["amount"], currency, where) != sum(days.values()):
            raise BookingSpecError(f"{where}.amount is not the sum of its days")
        return days
    unit = money.unit(currency)
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
