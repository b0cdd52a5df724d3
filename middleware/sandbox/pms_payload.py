"""sistema-os booking JSON: request bodies parsed into model values, bookings rendered back.

Bad bodies raise `PayloadError` whose `detail` is shaped like FastAPI's (sistema-os is a
FastAPI app): `[{"loc": ["body", "pagamento", "cobranca"], "msg": "...", "type":
"value_error"}]`, one entry per bad field. Unknown fields are refused too, so a typo in the
middleware shows, and a card-like key anywhere (`numero_cartao`, `cvv`, `validade`...) is
refused by name. Money must carry at most the booking currency's decimals (`moeda`).

A create takes every §2.2 field (null = absent). A PATCH takes any subset; null on a field
that may be empty (e-mail, phone, notes, `hora_chegada`, `reservado_por`, `pagamento`, the
lists...) empties it, null elsewhere changes nothing. A cancel takes `motivo`, `multa`, `moeda`.
`booking_json` shows a booking under the same wire names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from middleware.sandbox import pms_payload_details as details
from middleware.sandbox.pms_booking_details import NightPrice
from middleware.sandbox.pms_calendar import nights
from middleware.sandbox.pms_hotel import Hotel
from middleware.sandbox.pms_payload_details import Context, FieldError
from middleware.sandbox.pms_state import Booking, BookingChanges, BookingRequest

API_CHANNEL = "Channex"
CURRENCY = re.compile(r"^[A-Z]{3}$")
Loc = tuple[str | int, ...]
# wire name → (model name, required on create, may a PATCH empty it with null)
CREATE_FIELDS: dict[str, tuple[str, bool, bool]] = {
    "categoria": ("categoria", True, False),
    "plano": ("plan", False, True),
    "data_checkin": ("checkin", True, False),
    "data_checkout": ("checkout", True, False),
    "hospede_nome": ("guest_name", True, False),
    "hospede_email": ("guest_email", False, True),
    "hospede_telefone": ("guest_phone", False, True),
    "adultos": ("adults", False, False),
    "criancas": ("children", False, False),
    "valor_total": ("valor_total", True, False),
    "moeda": ("currency", False, False),
    "canal": ("channel", False, False),
    "codigo_ota": ("ota_code", False, True),
    "channex_booking_id": ("channex_booking_id", False, False),
    "channex_revision_id": ("channex_revision_id", False, False),
    "quarto_indice": ("quarto_indice", False, False),
    "observacoes": ("notes", False, True),
    "bebes": ("infants", False, False),
    "idades_criancas": ("children_ages", False, True),
    "hora_chegada": ("arrival_hour", False, True),
    "reservado_por": ("booker", False, True),
    "diarias": ("nightly", False, True),
    "servicos": ("services", False, True),
    "impostos": ("taxes", False, True),
    "impostos_retidos_ota": ("withheld_taxes", False, True),
    "comissao_ota": ("ota_commission", False, True),
    "pagamento": ("payment", False, True),
    "valor_total_reserva": ("booking_total", False, True),
    "quartos_na_reserva": ("rooms_in_booking", False, True),
}
FIXED_ON_PATCH = frozenset({"channex_booking_id", "quarto_indice"})  # accepted, never changed
CANCEL_FIELDS = ("motivo", "multa", "moeda")


class PayloadError(ValueError):
    def __init__(self, problems: list[tuple[str | Loc, str]]) -> None:
        self.detail: list[dict[str, Any]] = []
        for field, message in problems:
            loc = (field,) if isinstance(field, str) else field
            self.detail.append({"loc": ["body", *loc], "msg": message, "type": "value_error"})
        super().__init__("; ".join(f"{d['loc'][1:]}: {d['msg']}" for d in self.detail))


def parse_create(body: Any, hotel: Hotel) -> BookingRequest:
    values = _parse(body, hotel, hotel.currency, required=True)
    values.setdefault("channel", API_CHANNEL)
    request = BookingRequest(**values)
    if request.checkout <= request.checkin:
        raise PayloadError([("data_checkout", "must be after data_checkin")])
    _check_together(
        hotel,
        categoria=request.categoria,
        plan=request.plan,
        stay=(request.checkin, request.checkout),
        children=request.children,
        ages=request.children_ages if "children_ages" in values else None,
        nightly=request.nightly,
    )
    return request


def parse_changes(body: Any, hotel: Hotel, booking: Booking) -> BookingChanges:
    """A PATCH of `booking`: the changes, checked against what the booking becomes."""
    values = _parse(body, hotel, booking.currency, required=False)
    for wire in FIXED_ON_PATCH:
        values.pop(CREATE_FIELDS[wire][0], None)
    cleared = frozenset(
        name
        for wire, (name, _, clearable) in CREATE_FIELDS.items()
        if clearable and isinstance(body, dict) and wire in body and body[wire] is None
    )
    changes = BookingChanges(**values, cleared=cleared)

    def after(name: str) -> Any:
        return (
            values[name] if name in values else None if name in cleared else getattr(booking, name)
        )

    _check_together(
        hotel,
        categoria=after("categoria"),
        plan=after("plan") if {"plan", "categoria"} & set(values) else None,
        stay=(after("checkin"), after("checkout")),
        children=after("children"),
        ages=after("children_ages") if {"children", "children_ages"} & set(values) else None,
        nightly=after("nightly") or (),
    )
    return changes


def parse_cancel(body: Any, hotel: Hotel, booking: Booking) -> tuple[str | None, Decimal | None]:
    """(motivo, multa) of a cancel; `moeda`, when sent, must be the booking's currency."""
    raw = {} if body is None else body
    if not isinstance(raw, dict):
        raise PayloadError([("__root__", "expected a JSON object")])
    problems: list[tuple[str | Loc, str]] = [
        (key, details.unknown_key_message(key)) for key in raw if key not in CANCEL_FIELDS
    ]
    ctx = Context(hotel=hotel, currency=booking.currency)
    reason = raw.get("motivo")
    if reason is not None and not isinstance(reason, str):
        problems.append(("motivo", "must be a string"))
    moeda = raw.get("moeda")
    if moeda is not None and moeda != booking.currency:
        problems.append(("moeda", f"must be the booking's currency {booking.currency!r}"))
    fee = None
    if raw.get("multa") is not None:
        try:
            fee = details.money_value(raw["multa"], ctx)
        except ValueError as exc:
            problems.append(("multa", str(exc)))
    if problems:
        raise PayloadError(problems)
    return reason, fee


def _parse(body: Any, hotel: Hotel, fallback_currency: str, *, required: bool) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise PayloadError([("__root__", "expected a JSON object")])
    problems: list[tuple[str | Loc, str]] = [
        (wire, details.unknown_key_message(wire)) for wire in body if wire not in CREATE_FIELDS
    ]
    moeda = body.get("moeda")
    currency = moeda if isinstance(moeda, str) and CURRENCY.match(moeda) else fallback_currency
    ctx = Context(hotel=hotel, currency=currency)
    values: dict[str, Any] = {}
    for wire, (name, needed, _) in CREATE_FIELDS.items():
        raw = body.get(wire)
        if raw is None:
            if needed and required:
                problems.append((wire, "field required"))
            continue
        try:
            parser: Callable[[Any, Context], Any] = PARSERS.get(wire, details.text)
            values[name] = parser(raw, ctx)
        except FieldError as exc:
            problems.append(((wire, *exc.path), exc.message))
        except ValueError as exc:
            problems.append((wire, str(exc)))
    if problems:
        raise PayloadError(problems)
    return values


def _check_together(
    hotel: Hotel,
    *,
    categoria: str,
    plan: str | None,
    stay: tuple[date, date],
    children: int,
    ages: tuple[int, ...] | None,
    nightly: tuple[NightPrice, ...],
) -> None:
    """Rules across fields: the plano is the categoria's, one age per child, one price a night."""
    problems: list[tuple[str | Loc, str]] = []
    room = hotel.room_type(categoria)
    if plan is not None and room is not None and room.plan(plan) is None:
        known = ", ".join(p.plano for p in room.planos)
        problems.append(
            ("plano", f"categoria {categoria!r} has no plano {plan!r} (known: {known})")
        )
    if ages is not None and len(ages) != children:
        problems.append(("idades_criancas", f"must list one age per child ({children})"))
    if nightly and stay[1] > stay[0] and [n.day for n in nightly] != nights(*stay):
        problems.append(("diarias", "must price each night of the stay once"))
    if problems:
        raise PayloadError(problems)


def _name(raw: Any, ctx: Context) -> str:
    if not details.text(raw, ctx).strip():
        raise ValueError("must not be empty")
    return str(raw).strip()


def _categoria(raw: Any, ctx: Context) -> str:
    if ctx.hotel.room_type(details.text(raw, ctx)) is None:
        known = ", ".join(r.categoria for r in ctx.hotel.room_types)
        raise ValueError(f"unknown categoria {raw!r} (known: {known})")
    return str(raw)


def _count(minimum: int) -> Callable[[Any, Context], int]:
    def parse(raw: Any, ctx: Context) -> int:
        if type(raw) is not int or raw < minimum:
            raise ValueError(f"must be an integer >= {minimum}")
        return raw

    return parse


def _currency(raw: Any, ctx: Context) -> str:
    if not CURRENCY.match(details.text(raw, ctx)):
        raise ValueError(f"must be an ISO 4217 code like {ctx.hotel.currency!r}")
    return str(raw)


PARSERS: dict[str, Callable[[Any, Context], Any]] = {
    "categoria": _categoria,
    "data_checkin": details.day,
    "data_checkout": details.day,
    "hospede_nome": _name,
    "adultos": _count(1),
    "criancas": _count(0),
    "valor_total": details.money_value,
    "moeda": _currency,
    "quarto_indice": _count(0),
    "bebes": _count(0),
    "idades_criancas": details.ages,
    "hora_chegada": details.hour,
    "reservado_por": details.booker,
    "diarias": details.nightly,
    "servicos": details.services,
    "impostos": details.taxes,
    "impostos_retidos_ota": details.withheld_taxes,
    "comissao_ota": details.money_value,
    "pagamento": details.payment,
    "valor_total_reserva": details.money_value,
    "quartos_na_reserva": _count(1),
}


def created_json(booking: Booking) -> dict[str, Any]:
    return {"id": booking.id, "apartamento": booking.apartamento, "status": booking.status}


def booking_json(booking: Booking) -> dict[str, Any]:
    """The booking under its wire names: every §2.2 field, plus what sistema-os adds."""
    currency = booking.currency

    def amount(value: Decimal | None) -> str | None:
        return None if value is None else details.money_text(value, currency)

    return {
        "id": booking.id,
        "categoria": booking.categoria,
        "plano": booking.plan,
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
        "bebes": booking.infants,
        "idades_criancas": list(booking.children_ages),
        "valor_total": amount(booking.valor_total),
        "moeda": currency,
        "canal": booking.channel,
        "codigo_ota": booking.ota_code,
        "channex_booking_id": booking.channex_booking_id,
        "channex_revision_id": booking.channex_revision_id,
        "quarto_indice": booking.quarto_indice,
        "observacoes": booking.notes,
        "hora_chegada": booking.arrival_hour,
        "reservado_por": details.booker_json(booking.booker),
        **details.details_json(
            booking.nightly, booking.services, booking.taxes, booking.withheld_taxes, currency
        ),
        "comissao_ota": amount(booking.ota_commission),
        "pagamento": details.payment_json(booking.payment),
        "valor_total_reserva": amount(booking.booking_total),
        "quartos_na_reserva": booking.rooms_in_booking,
        "motivo_cancelamento": booking.cancel_reason,
        "multa": amount(booking.cancel_fee),
    }
