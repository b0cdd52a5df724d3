"""Bookings as the emulator builds them: a normalised spec, rendered as revision attributes.

A spec is what a test (or the control route) asks for: property, customer, rooms with dates,
occupancy and amount, OTA name, currency, notes. `normalise_spec` fills the gaps (amounts from
the stored rates, per-night `days`) and raises `BookingSpecError` on nonsense; `render`
produces the full Channex booking-revision attributes (money as major-unit strings).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.sandbox.channex_state import Booking, ChannexState, JsonObject, format_money

DEFAULT_NIGHT_PRICE = Decimal("100")
OTA_CODES = {"Booking.com": "BDC", "BookingCom": "BDC", "Airbnb": "ABB", "A-Expedia": "EXP"}
CUSTOMER_DEFAULTS: JsonObject = {
    "name": "Guest",
    "surname": "Sandbox",
    "mail": "guest@example.com",
    "phone": "+10000000000",
    "address": None,
    "city": None,
    "zip": None,
    "country": None,
    "language": "en",
    "company": None,
    "meta": {},
}
SPEC_KEYS = frozenset(
    {"property_id", "customer", "rooms", "ota_name", "currency", "notes", "arrival_hour"}
    | {"checkin_date", "checkout_date", "payment_collect", "payment_type", "services"}
)


class BookingSpecError(ValueError):
    """A create/modify spec the emulator cannot turn into a booking."""


def normalise_spec(
    state: ChannexState, raw: JsonObject, previous: JsonObject | None = None
) -> JsonObject:
    unknown = sorted(set(raw) - SPEC_KEYS)
    if unknown:
        raise BookingSpecError(f"unknown booking fields: {', '.join(unknown)}")
    spec: JsonObject = dict(previous or {})
    property_id = raw.get("property_id", spec.get("property_id"))
    if property_id is None and len(state.properties) == 1:
        property_id = next(iter(state.properties))
    if property_id not in state.properties:
        raise BookingSpecError(f"unknown property_id {property_id!r}")
    spec["property_id"] = property_id
    spec["currency"] = raw.get("currency", spec.get("currency")) or state.property_currency(
        property_id
    )
    for name, default in (("ota_name", "Booking.com"), ("notes", None), ("arrival_hour", None)):
        spec[name] = raw.get(name, spec.get(name, default))
    spec["payment_collect"] = raw.get("payment_collect", spec.get("payment_collect", "property"))
    spec["payment_type"] = raw.get("payment_type", spec.get("payment_type", "credit_card"))
    spec["services"] = raw.get("services", spec.get("services", []))
    customer = raw.get("customer") or {}
    if not isinstance(customer, dict):
        raise BookingSpecError("customer must be an object")
    spec["customer"] = {**CUSTOMER_DEFAULTS, **spec.get("customer", {}), **customer}
    rooms_raw = raw.get("rooms")
    if rooms_raw is None and previous is not None:
        rooms_raw = [_room_input(room) for room in previous["rooms"]]
        for room in rooms_raw:  # top-level dates move every room; amounts are recomputed
            for name in ("checkin_date", "checkout_date"):
                if name in raw:
                    room[name] = raw[name]
                    room.pop("amount", None)
                    room.pop("days", None)
    if not isinstance(rooms_raw, list) or not rooms_raw:
        raise BookingSpecError("rooms must be a non-empty list")
    old_rooms = previous["rooms"] if previous else []
    spec["rooms"] = [
        _room(state, spec, item, old_rooms[n]["booking_room_id"] if n < len(old_rooms) else None)
        for n, item in enumerate(rooms_raw)
    ]
    return spec


def _room_input(room: JsonObject) -> JsonObject:
    return {
        "room_type_id": room["room_type_id"],
        "rate_plan_id": room["rate_plan_id"],
        "checkin_date": room["checkin_date"],
        "checkout_date": room["checkout_date"],
        "adults": room["adults"],
        "children": room["children"],
        "infants": room["infants"],
        "amount": room["amount"],
        "days": room["days"],  # kept while dates and amount stay
        "guests": room["guests"],
    }


def _as_date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BookingSpecError(f"{name} must be a YYYY-MM-DD date, got {value!r}") from None


def _room(
    state: ChannexState, spec: JsonObject, item: Any, booking_room_id: str | None
) -> JsonObject:
    if not isinstance(item, dict):
        raise BookingSpecError("each room must be an object")
    property_id = spec["property_id"]
    room_type_id = item.get("room_type_id")
    rate_plan_id = item.get("rate_plan_id")
    if (
        room_type_id is not None
        and state.room_types.get(room_type_id, {}).get("property_id") != property_id
    ):
        raise BookingSpecError(f"unknown room_type_id {room_type_id!r}")
    if (
        rate_plan_id is not None
        and state.rate_plans.get(rate_plan_id, {}).get("property_id") != property_id
    ):
        raise BookingSpecError(f"unknown rate_plan_id {rate_plan_id!r}")
    checkin = _as_date(item.get("checkin_date", item.get("checkin")), "checkin_date")
    checkout = _as_date(item.get("checkout_date", item.get("checkout")), "checkout_date")
    if checkout <= checkin:
        raise BookingSpecError("checkout_date must be after checkin_date")
    nights = [checkin + timedelta(days=n) for n in range((checkout - checkin).days)]
    kept = item.get("days")
    if isinstance(kept, dict) and list(kept) == nights:
        prices = list(kept.values())
    else:
        prices = _night_prices(state, rate_plan_id, nights, item.get("amount"))
    return {
        "room_type_id": room_type_id,
        "rate_plan_id": rate_plan_id,
        "checkin_date": checkin,
        "checkout_date": checkout,
        "adults": int(item.get("adults", 2)),
        "children": int(item.get("children", 0)),
        "infants": int(item.get("infants", 0)),
        "amount": sum(prices, Decimal(0)),
        "days": dict(zip(nights, prices, strict=True)),
        "guests": item.get("guests"),
        "booking_room_id": booking_room_id or str(uuid.uuid4()),
    }


def _night_prices(
    state: ChannexState, rate_plan_id: str | None, nights: list[date], amount: Any
) -> list[Decimal]:
    if amount is None:
        if rate_plan_id is None:
            return [DEFAULT_NIGHT_PRICE for _ in nights]
        return [state.cell_on(rate_plan_id, night)["rate"] for night in nights]
    try:
        total = Decimal(str(amount))
    except InvalidOperation:
        raise BookingSpecError(f"amount must be a decimal, got {amount!r}") from None
    each = (total / len(nights)).quantize(Decimal("0.01"))
    return [each] * (len(nights) - 1) + [total - each * (len(nights) - 1)]


def unique_id(ota_name: str, sequence: int) -> tuple[str, str]:
    """(unique_id, ota_reservation_code), e.g. ("BDC-9996013801", "9996013801")."""
    code = str(9996013800 + sequence)
    return f"{OTA_CODES.get(ota_name, 'OTA')}-{code}", code


def render(
    booking: Booking, spec: JsonObject, *, status: str, cancelled: bool, inserted_at: str
) -> JsonObject:
    """The revision attributes (without `id`) for the booking's current spec."""
    currency = spec["currency"]
    rooms = [
        {
            "room_type_id": room["room_type_id"],
            "rate_plan_id": room["rate_plan_id"],
            "checkin_date": room["checkin_date"].isoformat(),
            "checkout_date": room["checkout_date"].isoformat(),
            "occupancy": {
                "adults": room["adults"],
                "children": room["children"],
                "infants": room["infants"],
                "ages": [],
            },
            "amount": format_money(room["amount"], currency),
            "days": {d.isoformat(): format_money(p, currency) for d, p in room["days"].items()},
            "guests": room["guests"],
            "services": [],
            "taxes": [],
            "booking_room_id": room["booking_room_id"],
            "ota_unique_id": room["booking_room_id"][:8],
            "is_cancelled": cancelled,
            "meta": {},
        }
        for room in spec["rooms"]
    ]
    customer = spec["customer"]
    return {
        "booking_id": booking.id,
        "property_id": booking.property_id,
        "unique_id": booking.unique_id,
        "system_id": str(uuid.uuid4()),
        "ota_reservation_code": booking.ota_reservation_code,
        "ota_name": spec["ota_name"],
        "status": status,
        "arrival_date": min(r["checkin_date"] for r in spec["rooms"]).isoformat(),
        "departure_date": max(r["checkout_date"] for r in spec["rooms"]).isoformat(),
        "arrival_hour": spec["arrival_hour"],
        "amount": format_money(sum((r["amount"] for r in spec["rooms"]), Decimal(0)), currency),
        "currency": currency,
        "notes": spec["notes"],
        "occupancy": {
            name: sum(r[name] for r in spec["rooms"]) for name in ("adults", "children", "infants")
        },
        "customer": customer,
        "rooms": rooms,
        "services": spec["services"],
        "guarantee": {
            "card_number": "411111******1111",
            "card_type": "visa",
            "cardholder_name": f"{customer['name']} {customer['surname']}",
            "cvv": "***",
            "expiration_date": "12/2030",
            "is_virtual": False,
            "meta": {},
        },
        "payment_collect": spec["payment_collect"],
        "payment_type": spec["payment_type"],
        "ota_commission": None,
        "channel_id": booking.channel_id,
        "secondary_ota": None,
        "is_crs_revision": False,
        "deposits": [],
        "agent": None,
        "meta": {},
        "inserted_at": inserted_at,
        "acknowledge_status": "pending",
    }
