"""Channex booking revision JSON → `BookingRevision` (contract §5.2, §5.2a), one named parser.

Accepts the full `{"data": {"type", "id", "attributes"}}` envelope, a bare resource object
(a feed item) or a bare attributes dict. Whatever the input, the only exception raised is
`PayloadError`, and it names the offending field. Money is parsed to `Decimal` from strings
(or JSON numbers via `str`), never through float arithmetic, and keeps the decimals Channex
wrote (a KWD amount keeps its three). Of the `guarantee` only the card brand and the virtual
flag are read: the number, CVV, expiry and holder never leave this module.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.domain.revision import (
    BookingRevision,
    Card,
    NightPrice,
    PaymentCollect,
    PaymentType,
    Person,
    RevisionRoom,
    RevisionStatus,
    Service,
    Tax,
)
from middleware.errors import PayloadError

STATUSES: tuple[RevisionStatus, ...] = ("new", "modified", "cancelled")
MAX_AMOUNT = Decimal("1000000000000")  # a booking or room total above this is not real money
MAX_GUESTS = 999  # per room and kind (adults, children, infants)
MAX_AGE = 17  # a child's age (Channex `occupancy.ages`)
PAYMENT_COLLECT: tuple[PaymentCollect, ...] = ("ota", "property")
PAYMENT_TYPES: tuple[PaymentType, ...] = ("credit_card", "bank_transfer")
HOUR = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")
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
        customer=_customer(attrs, rooms, where),
        rooms=rooms,
        system_id=_opt_text(attrs, "system_id", where),
        secondary_ota=_opt_text(attrs, "secondary_ota", where),
        arrival_hour=_hour(attrs, where),
        services=_services(attrs, where),
        payment_collect=_choice(attrs, "payment_collect", PAYMENT_COLLECT, where),
        payment_type=_choice(attrs, "payment_type", PAYMENT_TYPES, where),
        card=_card(attrs, where),
        ota_commission=_money(attrs, "ota_commission", where),
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


def _count(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> int:
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
    meta = raw.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise PayloadError(f"{where}: 'meta' must be an object or null")
    meta = meta or {}
    return RevisionRoom(
        index=index,
        room_type_id=_opt_text(raw, "room_type_id", where),
        rate_plan_id=_rate_plan_id(raw, meta, where),
        checkin=checkin,
        checkout=checkout,
        adults=_count(occupancy, "adults", f"{where}.occupancy", required=True),
        children=_count(occupancy, "children", f"{where}.occupancy"),
        infants=_count(occupancy, "infants", f"{where}.occupancy"),
        child_ages=_ages(occupancy, f"{where}.occupancy"),
        amount=_money(raw, "amount", where),
        is_cancelled=bool(is_cancelled),
        booking_room_id=_opt_text(raw, "booking_room_id", where),
        ota_unique_id=_opt_text(raw, "ota_unique_id", where),
        guest_name=next((name for name in _guest_names(raw, where) if name), None),
        nights=_nights(raw, checkin, checkout, where),
        services=_services(raw, where),
        taxes=_taxes(raw, "taxes", where),
        withheld_taxes=_taxes(raw, "collected_taxes", where),
        payment_instruction=_meta_text(meta, "payment_instruction"),
        meal_plan=_meta_text(meta, "meal_plan"),
        requests=_meta_text(meta, "free_text"),
    )


def _rate_plan_id(raw: dict[str, Any], meta: dict[str, Any], where: str) -> str | None:
    """The plan the room was sold on; for derived/occupancy plans, the real (parent) plan."""
    parent = _opt_text(meta, "parent_rate_plan_id", f"{where}.meta")
    return parent if parent is not None else _opt_text(raw, "rate_plan_id", where)


def _meta_text(meta: dict[str, Any], key: str) -> str | None:
    """OTA-specific text: kept when it is text, passed over (not refused) when it is not."""
    value = meta.get(key)
    return value.strip() or None if isinstance(value, str) else None


def _ages(occupancy: dict[str, Any], where: str) -> tuple[int, ...]:
    ages = occupancy.get("ages")
    if ages is None:
        return ()
    if not isinstance(ages, list) or len(ages) > MAX_GUESTS:
        raise PayloadError(f"{where}: 'ages' must be a list of ages")
    out: list[int] = []
    for age in ages:
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= MAX_AGE:
            raise PayloadError(f"{where}: 'ages' must hold whole ages from 0 to {MAX_AGE}")
        out.append(age)
    return tuple(out)


def _nights(
    raw: dict[str, Any], checkin: date, checkout: date, where: str
) -> tuple[NightPrice, ...]:
    """`days` (night → price), in night order; every night inside the stay."""
    days = raw.get("days")
    if days is None:
        return ()
    if not isinstance(days, dict):
        raise PayloadError(f"{where}: 'days' must be an object of night → price")
    nights: list[NightPrice] = []
    for key in days:
        night = _date({"night": key}, "night", f"{where}: days")
        if not checkin <= night < checkout:
            raise PayloadError(f"{where}: days: night {key!r} is outside the stay")
        price = _money(days, key, f"{where}: days")
        nights.append(NightPrice(night=night, price=price or Decimal(0)))
    return tuple(sorted(nights, key=lambda n: n.night))


def _objects(obj: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    items = obj.get(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PayloadError(f"{where}: '{key}' must be a list of objects")
    return items


def _services(obj: dict[str, Any], where: str) -> tuple[Service, ...]:
    services: list[Service] = []
    for n, item in enumerate(_objects(obj, "services", where)):
        here = f"{where}: services[{n}]"
        total = _money(item, "total_price", here)
        if total is None:
            raise PayloadError(f"{here}: 'total_price' is missing")
        nights, persons = _opt_count(item, "nights"), _opt_count(item, "persons")
        quantity = None
        if nights is not None and persons is not None:
            quantity = max(nights, 1) * max(persons, 1)
        services.append(
            Service(
                name=_opt_text(item, "name", here) or "Service",
                kind=_opt_text(item, "type", here),
                quantity=quantity,
                total=total,
            )
        )
    return tuple(services)


def _opt_count(obj: dict[str, Any], key: str) -> int | None:
    """A count that informs but decides nothing: kept when it is one, else None."""
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_GUESTS:
        return value
    return None


def _taxes(obj: dict[str, Any], key: str, where: str) -> tuple[Tax, ...]:
    taxes: list[Tax] = []
    for n, item in enumerate(_objects(obj, key, where)):
        here = f"{where}: {key}[{n}]"
        total = _money(item, "total_price", here)
        if total is None:
            raise PayloadError(f"{here}: 'total_price' is missing")
        inclusive = item.get("is_inclusive", key == "collected_taxes")
        if not isinstance(inclusive, bool):
            raise PayloadError(f"{here}: 'is_inclusive' must be a boolean")
        name = _opt_text(item, "name", here) or _opt_text(item, "type", here) or "Tax"
        taxes.append(Tax(name=name, total=total, inclusive=inclusive))
    return tuple(taxes)


def _hour(attrs: dict[str, Any], where: str) -> str | None:
    text = _opt_text(attrs, "arrival_hour", where)
    if text is None:
        return None
    if not HOUR.fullmatch(text):
        raise PayloadError(f"{where}: 'arrival_hour' {text[:20]!r} is not HH:MM")
    return text[:5]


def _choice(attrs: dict[str, Any], key: str, allowed: tuple[Any, ...], where: str) -> Any:
    """One of `allowed`, or None; an unknown value is refused (it would decide who charges)."""
    value = _opt_text(attrs, key, where)
    if value is not None and value not in allowed:
        raise PayloadError(f"{where}: '{key}' {value[:40]!r} is not one of {', '.join(allowed)}")
    return value


def _card(attrs: dict[str, Any], where: str) -> Card | None:
    """Brand and virtual flag of the guarantee; the rest of it is never read."""
    guarantee = attrs.get("guarantee")
    if guarantee is None:
        return None
    if not isinstance(guarantee, dict):
        raise PayloadError(f"{where}: 'guarantee' must be an object or null")
    virtual = guarantee.get("is_virtual")
    brand = guarantee.get("card_type")
    return Card(
        brand=brand.strip()[:20] or None if isinstance(brand, str) else None,
        virtual=virtual is True,
    )


def _customer(attrs: dict[str, Any], rooms: tuple[RevisionRoom, ...], where: str) -> Person:
    """The booker (`customer`); the first room guest's name stands in when the customer has
    none (the rooms are parsed first, so their guests are already checked)."""
    customer = attrs.get("customer")
    if customer is None:
        customer = {}
    if not isinstance(customer, dict):
        raise PayloadError(f"{where}: 'customer' must be an object")
    here = f"{where}: customer"
    name = _full_name(customer, here)
    if not name:
        name = next((room.guest_name for room in rooms if room.guest_name), "")
    company = customer.get("company")
    return Person(
        name=name,
        email=_opt_text(customer, "mail", here),
        phone=_opt_text(customer, "phone", here),
        country=_opt_text(customer, "country", here),
        language=_opt_text(customer, "language", here),
        company=_opt_text(company, "title", f"{here}.company")
        if isinstance(company, dict)
        else None,
    )


def _full_name(person: dict[str, Any], where: str) -> str:
    parts = (_opt_text(person, "name", where), _opt_text(person, "surname", where))
    return " ".join(part for part in parts if part)


def _guest_names(room: dict[str, Any], where: str) -> list[str]:
    guests = room.get("guests")
    if not isinstance(guests, list):
        return []
    return [
        _full_name(guest, f"{where}.guests[{n}]")
        for n, guest in enumerate(guests)
        if isinstance(guest, dict)
    ]
