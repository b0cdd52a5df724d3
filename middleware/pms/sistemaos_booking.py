"""sistema-os booking bodies (contract §2.2–2.4): one table from request field to wire name,
used for the create body, the PATCH of what changed and the cancel body.

Money goes out as a decimal string in the booking currency's own decimals (2 for BRL, 3 for
KWD, 0 for JPY), never rounded to cents and never a float. Fields without a value are left
out. No card number, CVV, expiry or holder exists in a request, so none can reach the PMS.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import orjson

from middleware.domain import money
from middleware.domain.pms_booking import Payment, PmsBookingRef, PmsBookingRequest
from middleware.domain.revision import NightPrice, Person, Service, Tax
from middleware.errors import PayloadError

COLLECTOR_WIRE = {"ota": "ota", "hotel": "hotel"}
KIND_WIRE = {"card": "cartao", "bank_transfer": "transferencia"}

Render = Callable[[Any, str], Any]  # (value, currency) → JSON value


def money_text(amount: Decimal, currency: str) -> str:
    """Major units in the currency's decimals, half up: (Decimal("1350"), "BRL") → "1350.00"."""
    return format(amount.quantize(money.unit(currency), rounding=ROUND_HALF_UP), "f")


def _plain(value: Any, _currency: str) -> Any:
    return value


def _day(value: Any, _currency: str) -> Any:
    return value.isoformat()


def _money(value: Decimal, currency: str) -> str:
    return money_text(value, currency)


def _booker(person: Person, _currency: str) -> dict[str, Any]:
    return {
        "nome": person.name or None,
        "email": person.email,
        "telefone": person.phone,
        "pais": person.country,
        "idioma": person.language,
        "empresa": person.company,
    }


def _nights(nights: tuple[NightPrice, ...], currency: str) -> list[dict[str, str]]:
    return [{"data": n.night.isoformat(), "valor": money_text(n.price, currency)} for n in nights]


def _services(services: tuple[Service, ...], currency: str) -> list[dict[str, Any]]:
    return [
        {
            "nome": s.name,
            "tipo": s.kind,
            "quantidade": s.quantity,
            "valor_total": money_text(s.total, currency),
        }
        for s in services
    ]


def _taxes(taxes: tuple[Tax, ...], currency: str) -> list[dict[str, Any]]:
    return [
        {"nome": t.name, "valor": money_text(t.total, currency), "incluso": t.inclusive}
        for t in taxes
    ]


def _withheld(taxes: tuple[Tax, ...], currency: str) -> list[dict[str, Any]]:
    return [{"nome": t.name, "valor": money_text(t.total, currency)} for t in taxes]


def _payment(payment: Payment, _currency: str) -> dict[str, Any]:
    return {
        "cobranca": COLLECTOR_WIRE[payment.collector],
        "tipo": None if payment.kind is None else KIND_WIRE[payment.kind],
        "cartao_virtual": payment.virtual_card,
        "bandeira": payment.card_brand,
        "instrucoes": payment.instructions,
    }


def _ages(ages: tuple[int, ...], _currency: str) -> list[int]:
    return list(ages)


# request field → (wire name, render); the order is the body's.
WIRE: dict[str, tuple[str, Render]] = {
    "room_code": ("categoria", _plain),
    "plan_code": ("plano", _plain),
    "checkin": ("data_checkin", _day),
    "checkout": ("data_checkout", _day),
    "guest_name": ("hospede_nome", _plain),
    "guest_email": ("hospede_email", _plain),
    "guest_phone": ("hospede_telefone", _plain),
    "adults": ("adultos", _plain),
    "children": ("criancas", _plain),
    "total": ("valor_total", _money),
    "currency": ("moeda", _plain),
    "channel": ("canal", _plain),
    "ota_code": ("codigo_ota", _plain),
    "channex_booking_id": ("channex_booking_id", _plain),
    "channex_revision_id": ("channex_revision_id", _plain),
    "room_index": ("quarto_indice", _plain),
    "notes": ("observacoes", _plain),
    "infants": ("bebes", _plain),
    "child_ages": ("idades_criancas", _ages),
    "arrival_hour": ("hora_chegada", _plain),
    "booker": ("reservado_por", _booker),
    "nights": ("diarias", _nights),
    "services": ("servicos", _services),
    "taxes": ("impostos", _taxes),
    "withheld_taxes": ("impostos_retidos_ota", _withheld),
    "commission": ("comissao_ota", _money),
    "payment": ("pagamento", _payment),
    "booking_total": ("valor_total_reserva", _money),
    "rooms_in_booking": ("quartos_na_reserva", _plain),
}
# A PATCH also names the revision it brings the booking to.
PATCH_ALWAYS = ("channex_revision_id",)


def booking_body(request: PmsBookingRequest) -> dict[str, Any]:
    """The create payload (§2.2); fields without a value (None, an empty list) are left out."""
    return _render(request, tuple(WIRE), drop_empty=True)


def changes_body(request: PmsBookingRequest, changed: tuple[str, ...]) -> dict[str, Any]:
    """The PATCH payload (§2.3): the `changed` fields of `request` (and the revision id)."""
    return _render(request, (*changed, *PATCH_ALWAYS), drop_empty=False)


def cancel_body(reason: str, fee: Decimal | None, currency: str | None) -> dict[str, Any]:
    """The cancel payload (§2.4): `multa` only when something is still due."""
    body: dict[str, Any] = {"motivo": reason}
    if fee is not None and fee > 0 and currency is not None:
        body["multa"] = money_text(fee, currency)
        body["moeda"] = currency
    return body


def _render(
    request: PmsBookingRequest, fields: tuple[str, ...], *, drop_empty: bool
) -> dict[str, Any]:
    """The wire body of `fields`; a list that became empty is sent (as []) unless `drop_empty`."""
    body: dict[str, Any] = {}
    for name in WIRE:
        if name not in fields:
            continue
        value = getattr(request, name)
        if value is None or (drop_empty and value == ()):
            continue
        wire, render = WIRE[name]
        body[wire] = render(value, request.currency)
    return body


def booking_ref(text: str) -> PmsBookingRef:
    """`{"id": 123, "apartamento": "OV-203", "status": "CONFIRMADA"}` → `PmsBookingRef`."""
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"PMS booking answer is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise PayloadError("PMS booking answer is not a JSON object")
    pms_id, unit, status = doc.get("id"), doc.get("apartamento"), doc.get("status")
    if isinstance(pms_id, bool) or not isinstance(pms_id, int | str) or pms_id == "":
        raise PayloadError("PMS booking answer: id is missing or not an integer/string")
    if not isinstance(status, str):
        raise PayloadError("PMS booking answer: status is missing or not a string")
    if unit is not None and not isinstance(unit, str | int):
        raise PayloadError("PMS booking answer: apartamento is not a string")
    return PmsBookingRef(
        pms_id=str(pms_id), unit=None if unit is None else str(unit), status=status
    )
