"""Channex booking revision JSON → `BookingRevision` (contract §5.2), through one named parser.

Accepts the full `{"data": {"type", "id", "attributes"}}` envelope, a bare resource object
(a feed item) or a bare attributes dict. Whatever the input, the only exception raised is
`PayloadError`, and it names the offending field. Money is parsed to `Decimal` from strings
(or JSON numbers via `str`), never through float arithmetic.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.domain.models import BookingRevision, Guest, RevisionRoom, RevisionStatus
from middleware.errors import PayloadError

STATUSES: tuple[RevisionStatus, ...] = ("new", "modified", "cancelled")
MAX_AMOUNT = Decimal("1000000000000")  # a booking or room total above this is not real money
MAX_GUESTS = 999  # per room and kind (adults, children, infants)
# ASCII digits only: `Decimal` also reads "１２３" and "1_000", which no Channex amount is.
CURRENCY_CODE = re.compile(r"[A-Z]{3}")
MONEY_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?")


def parse_revision(raw: Any) -> BookingRevision:
    """Parse one booking revision; raises `PayloadError` naming the first bad field."""
    attrs, outer_id = _unwrap(raw)
    revision_id = _opt_text(attrs, "id") or outer_id
    if not revision_id:
        raise PayloadError("booking revision: 'id' is missing")
    where = f"booking revision {revision_id}"
    arrival = _date(attrs, "arrival_date", where)
    departure = _date(attrs, "departure_date", where)
    if departure <= arrival:
        raise PayloadError(f"{where}: 'departure_date' must be after 'arrival_date'")
    status = _text(attrs, "status", where)
    if status not in STATUSES:
        raise PayloadError(f"{where}: 'status' {status!r} is not one of {', '.join(STATUSES)}")
    raw_rooms = attrs.get("rooms")
    if not isinstance(raw_rooms, list):
        raise PayloadError(f"{where}: 'rooms' must be a list")
    if not raw_rooms and status != "cancelled":
        raise PayloadError(f"{where}: 'rooms' is empty in a {status} revision")
    rooms = tuple(
        _room(item, index, arrival, departure, f"{where}: rooms[{index}]")
        for index, item in enumerate(raw_rooms)
    )
    return BookingRevision(
        id=revision_id,
        booking_id=_text(attrs, "booking_id", where),
        property_id=_text(attrs, "property_id", where),
        status=status,
        inserted_at=_instant(attrs, "inserted_at", where),
        unique_id=_opt_text(attrs, "unique_id", where),
        ota_name=_opt_text(attrs, "ota_name", where),
        ota_reservation_code=_opt_text(attrs, "ota_reservation_code", where),
        arrival_date=arrival,
        departure_date=departure,
        amount=_money(attrs, "amount", where),
        currency=_currency(attrs, where),
        notes=_opt_text(attrs, "notes", where),
        guest=_guest(attrs, raw_rooms, where),
        rooms=rooms,
    )


def _unwrap(raw: Any) -> tuple[dict[str, Any], str | None]:
    """The attributes dict and the resource id around it (if any)."""
    if not isinstance(raw, dict):
        raise PayloadError("booking revision: expected a JSON object")
    if "data" in raw and "attributes" not in raw:
        raw = raw["data"]
        if not isinstance(raw, dict):
            raise PayloadError("booking revision: 'data' must be an object")
    if "attributes" in raw:
        attrs = raw["attributes"]
        if not isinstance(attrs, dict):
            raise PayloadError("booking revision: 'attributes' must be an object")
        outer = raw.get("id")
        return attrs, outer if isinstance(outer, str) and outer else None
    return raw, None


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = _opt_text(obj, key, where)
    if value is None:
        raise PayloadError(f"{where}: '{key}' is missing")
    return value


def _opt_text(obj: dict[str, Any], key: str, where: str = "booking revision") -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise PayloadError(f"{where}: '{key}' must be a string")
    return value.strip() or None


def _date(obj: dict[str, Any], key: str, where: str, default: date | None = None) -> date:
    value = obj.get(key)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise PayloadError(f"{where}: '{key}' must be a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise PayloadError(f"{where}: '{key}' {value!r} is not a YYYY-MM-DD date") from exc


def _instant(obj: dict[str, Any], key: str, where: str) -> datetime:
    """A naive ISO timestamp (Channex's form, UTC) or one with `Z` / an offset → UTC-aware."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise PayloadError(f"{where}: '{key}' must be an ISO timestamp")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise PayloadError(f"{where}: '{key}' {value!r} is not an ISO timestamp") from exc
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise PayloadError(f"{where}: '{key}' {value!r} is out of range") from exc


def _money(obj: dict[str, Any], key: str, where: str) -> Decimal | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"{where}: '{key}' must be a decimal string")
    text = str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise PayloadError(f"{where}: '{key}' {value!r} is not a decimal amount") from exc
    if not amount.is_finite():
        raise PayloadError(f"{where}: '{key}' {value!r} is not a finite amount")
    if not MONEY_TEXT.fullmatch(text):
        raise PayloadError(f"{where}: '{key}' {value!r} is not a decimal amount")
    if not 0 <= amount <= MAX_AMOUNT:
        raise PayloadError(f"{where}: '{key}' {value!r} is not an amount in [0, {MAX_AMOUNT}]")
    return amount


def _currency(obj: dict[str, Any], where: str) -> str | None:
    code = _opt_text(obj, "currency", where)
    if code is not None and not CURRENCY_CODE.fullmatch(code):
        raise PayloadError(f"{where}: 'currency' {code[:40]!r} is not an ISO 4217 code")
    return code


def _count(obj: dict[str, Any], key: str, where: str, *, required: bool) -> int:
    value = obj.get(key)
    if value is None and not required:
        return 0
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GUESTS:
        raise PayloadError(f"{where}: '{key}' must be a non-negative integer <= {MAX_GUESTS}")
    return value


def _room(raw: Any, index: int, arrival: date, departure: date, where: str) -> RevisionRoom:
    if not isinstance(raw, dict):
        raise PayloadError(f"{where}: must be an object")
    checkin = _date(raw, "checkin_date", where, arrival)
    checkout = _date(raw, "checkout_date", where, departure)
    if checkout <= checkin:
        raise PayloadError(f"{where}: 'checkout_date' must be after 'checkin_date'")
    occupancy = raw.get("occupancy")
    if not isinstance(occupancy, dict):
        raise PayloadError(f"{where}: 'occupancy' must be an object")
    is_cancelled = raw.get("is_cancelled")
    if is_cancelled is not None and not isinstance(is_cancelled, bool):
        raise PayloadError(f"{where}: 'is_cancelled' must be a boolean")
    return RevisionRoom(
        index=index,
        room_type_id=_opt_text(raw, "room_type_id", where),
        rate_plan_id=_rate_plan_id(raw, where),
        checkin=checkin,
        checkout=checkout,
        adults=_count(occupancy, "adults", f"{where}.occupancy", required=True),
        children=_count(occupancy, "children", f"{where}.occupancy", required=False),
        infants=_count(occupancy, "infants", f"{where}.occupancy", required=False),
        amount=_money(raw, "amount", where),
        is_cancelled=bool(is_cancelled),
    )


def _rate_plan_id(raw: dict[str, Any], where: str) -> str | None:
    """The plan the room was sold on; for derived/occupancy plans, the real (parent) plan."""
    meta = raw.get("meta")
    if isinstance(meta, dict):
        parent = _opt_text(meta, "parent_rate_plan_id", f"{where}.meta")
        if parent is not None:
            return parent
    return _opt_text(raw, "rate_plan_id", where)


def _guest(attrs: dict[str, Any], rooms: list[Any], where: str) -> Guest:
    """The booker (`customer`); a room guest's name stands in when the customer has none."""
    customer = attrs.get("customer")
    if customer is None:
        customer = {}
    if not isinstance(customer, dict):
        raise PayloadError(f"{where}: 'customer' must be an object")
    name = _full_name(customer, f"{where}: customer")
    if not name:
        name = next((n for n in _room_guest_names(rooms, where) if n), "")
    return Guest(
        name=name,
        email=_opt_text(customer, "mail", f"{where}: customer"),
        phone=_opt_text(customer, "phone", f"{where}: customer"),
    )


def _full_name(person: dict[str, Any], where: str) -> str:
    parts = (_opt_text(person, "name", where), _opt_text(person, "surname", where))
    return " ".join(part for part in parts if part)


def _room_guest_names(rooms: list[Any], where: str) -> list[str]:
    names: list[str] = []
    for index, room in enumerate(rooms):
        guests = room.get("guests") if isinstance(room, dict) else None
        if isinstance(guests, list):
            names.extend(
                _full_name(g, f"{where}: rooms[{index}].guests")
                for g in guests
                if isinstance(g, dict)
            )
    return names
