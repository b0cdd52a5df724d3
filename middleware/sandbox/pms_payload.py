"""sistema-os booking JSON: request bodies parsed into model values, bookings rendered back.

Bad bodies raise `PayloadError` whose `detail` is shaped like FastAPI's (sistema-os is a
FastAPI app): `[{"loc": ["body", "valor_total"], "msg": "...", "type": "value_error"}]`,
one entry per bad field. Unknown fields are refused too, so a typo in the middleware shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.sandbox.pms_hotel import CENT, Hotel
from middleware.sandbox.pms_state import Booking, BookingChanges, BookingRequest

API_CHANNEL = "Channex"
MONEY = re.compile(r"^\d+(\.\d{1,2})?$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
# wire name → (model name, required on create)
CREATE_FIELDS: dict[str, tuple[str, bool]] = {
    "categoria": ("categoria", True),
    "data_checkin": ("checkin", True),
    "data_checkout": ("checkout", True),
    "hospede_nome": ("guest_name", True),
    "hospede_email": ("guest_email", False),
    "hospede_telefone": ("guest_phone", False),
    "adultos": ("adults", False),
    "criancas": ("children", False),
    "valor_total": ("valor_total", True),
    "moeda": ("currency", False),
    "canal": ("channel", False),
    "codigo_ota": ("ota_code", False),
    "channex_booking_id": ("channex_booking_id", False),
    "channex_revision_id": ("channex_revision_id", False),
    "quarto_indice": ("quarto_indice", False),
    "observacoes": ("notes", False),
}
FIXED_ON_PATCH = frozenset({"channex_booking_id", "quarto_indice"})  # accepted, never changed


class PayloadError(ValueError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.detail = [{"loc": ["body", f], "msg": m, "type": "value_error"} for f, m in problems]
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


def parse_create(body: Any, hotel: Hotel) -> BookingRequest:
    values = _parse(body, hotel, required=True)
    values.setdefault("channel", API_CHANNEL)
    request = BookingRequest(**values)
    if request.checkout <= request.checkin:
        raise PayloadError([("data_checkout", "must be after data_checkin")])
    return request


def parse_changes(body: Any, hotel: Hotel) -> BookingChanges:
    values = _parse(body, hotel, required=False)
    for wire in FIXED_ON_PATCH:
        values.pop(CREATE_FIELDS[wire][0], None)
    return BookingChanges(**values)


def _parse(body: Any, hotel: Hotel, *, required: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PayloadError([("__root__", "expected a JSON object")])
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for wire in body:
        if wire not in CREATE_FIELDS:
            problems.append((wire, "unknown field"))
    for wire, (name, needed) in CREATE_FIELDS.items():
        raw = body.get(wire)
        if raw is None:
            if needed and required:
                problems.append((wire, "field required"))
            continue
        try:
            parser: Callable[[Any, Hotel], Any] = PARSERS.get(wire, _text)
            values[name] = parser(raw, hotel)
        except ValueError as exc:
            problems.append((wire, str(exc)))
    if problems:
        raise PayloadError(problems)
    return values


def _text(raw: Any, hotel: Hotel) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    return raw


def _name(raw: Any, hotel: Hotel) -> str:
    if not _text(raw, hotel).strip():
        raise ValueError("must not be empty")
    return str(raw).strip()


def _categoria(raw: Any, hotel: Hotel) -> str:
    if hotel.room_type(_text(raw, hotel)) is None:
        known = ", ".join(r.categoria for r in hotel.room_types)
        raise ValueError(f"unknown categoria {raw!r} (known: {known})")
    return str(raw)


def _date(raw: Any, hotel: Hotel) -> date:
    text = _text(raw, hotel)
    try:
        if len(text) != len("YYYY-MM-DD"):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD, got {text!r}") from None


def _count(minimum: int) -> Callable[[Any, Hotel], int]:
    def parse(raw: Any, hotel: Hotel) -> int:
        if type(raw) is not int or raw < minimum:
            raise ValueError(f"must be an integer >= {minimum}")
        return raw

    return parse


def _money(raw: Any, hotel: Hotel) -> Decimal:
    """A decimal string or JSON number (parsed as Decimal), non-negative, at most 2 places."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise ValueError('must be a decimal amount like "1350.00"')
    text = str(raw)
    if not MONEY.match(text):
        raise ValueError(f"must be a non-negative amount with at most 2 decimals, got {text!r}")
    try:
        return Decimal(text).quantize(CENT)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


def _currency(raw: Any, hotel: Hotel) -> str:
    if not CURRENCY.match(_text(raw, hotel)):
        raise ValueError(f"must be an ISO 4217 code like {hotel.currency!r}")
    return str(raw)


PARSERS: dict[str, Callable[[Any, Hotel], Any]] = {
    "categoria": _categoria,
    "data_checkin": _date,
    "data_checkout": _date,
    "hospede_nome": _name,
    "adultos": _count(1),
    "criancas": _count(0),
    "valor_total": _money,
    "moeda": _currency,
    "quarto_indice": _count(0),
}


def created_json(booking: Booking) -> dict[str, Any]:
    return {"id": booking.id, "apartamento": booking.apartamento, "status": booking.status}


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "categoria": booking.categoria,
        "apartamento": booking.apartamento,
        "status": booking.status,
        "data_checkin": booking.checkin.isoformat(),
        "data_checkout": booking.checkout.isoformat(),
        "hospede_id": booking.guest.id,
        "hospede_nome": booking.guest.name,
        "hospede_email": booking.guest.email,
        "hospede_telefone": booking.guest.phone,
        "adultos": booking.adults,
        "criancas": booking.children,
        "valor_total": str(booking.valor_total),
        "moeda": booking.currency,
        "canal": booking.channel,
        "codigo_ota": booking.ota_code,
        "channex_booking_id": booking.channex_booking_id,
        "channex_revision_id": booking.channex_revision_id,
        "quarto_indice": booking.quarto_indice,
        "observacoes": booking.notes,
        "motivo_cancelamento": booking.cancel_reason,
    }
