"""The wire form of what a sistema-os booking records beyond the stay (pms-contract §2.2).

Parsers take the raw JSON value and a `Context` (the hotel and the booking's currency) and
return model values, raising `ValueError` (or `FieldError` for a key inside an object or list)
with the message a FastAPI `detail` shows. Money is a decimal string (or JSON number) with at
most the currency's own decimals: BRL "1350.00", JPY "1350", KWD "1350.125". Objects refuse
unknown keys, and a card-like key (a number, CVV, expiry or holder) is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.domain import money
from middleware.sandbox.pms_booking_details import (
    Booker,
    NightPrice,
    Payment,
    Service,
    Tax,
    WithheldTax,
)
from middleware.sandbox.pms_hotel import Hotel

MONEY = re.compile(r"^\d+(\.\d+)?$")
HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MAX_CHILD_AGE = 17
CARD_HINTS = ("card", "cartao", "cvv", "cvc", "validade", "expir", "titular", "holder", "garantia")
CARD_REFUSED = "card data is refused: send only the brand (bandeira) and cartao_virtual"
COLLECTORS = ("ota", "hotel")
PAYMENT_KINDS = ("cartao", "transferencia")


class FieldError(ValueError):
    """A problem at `path` inside the field being parsed (a key, or a list index)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    hotel: Hotel
    currency: str  # the booking's: money is checked against its decimals


def unknown_key_message(key: str) -> str:
    lowered = key.lower()
    return CARD_REFUSED if any(hint in lowered for hint in CARD_HINTS) else "unknown field"


def text(raw: Any, ctx: Context) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be a string")
    return raw


def money_value(raw: Any, ctx: Context) -> Decimal:
    """A non-negative amount with at most the currency's decimals, quantized to them."""
    places = money.exponent(ctx.currency)
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise ValueError('must be a decimal amount like "1350.00"')
    shown = str(raw)
    match = MONEY.match(shown)
    if match is None or len((match.group(1) or ".")[1:]) > places:
        raise ValueError(
            f"must be a non-negative amount with at most {places} decimals, got {shown!r}"
        )
    try:
        return Decimal(shown).quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        raise ValueError(f"not an amount: {shown!r}") from None


def money_text(amount: Decimal, currency: str) -> str:
    return format(amount.quantize(money.unit(currency)), "f")


def hour(raw: Any, ctx: Context) -> str:
    if not HOUR.match(text(raw, ctx)):
        raise ValueError(f"must be an hour HH:MM, got {raw!r}")
    return str(raw)


def ages(raw: Any, ctx: Context) -> tuple[int, ...]:
    if not isinstance(raw, list):
        raise ValueError("must be a list of ages")
    for index, age in enumerate(raw):
        if type(age) is not int or not 0 <= age <= MAX_CHILD_AGE:
            raise FieldError((index,), f"must be an age from 0 to {MAX_CHILD_AGE}")
    return tuple(raw)


def _object(raw: Any, keys: dict[str, bool]) -> dict[str, Any]:
    """The object's values by key (absent = None); `keys` maps each key to "required"."""
    if not isinstance(raw, dict):
        raise ValueError("must be an object")
    for key in raw:
        if key not in keys:
            raise FieldError((key,), unknown_key_message(key))
    for key, required in keys.items():
        if required and raw.get(key) is None:
            raise FieldError((key,), "field required")
    return {key: raw.get(key) for key in keys}


def _at(path: tuple[str | int, ...], parse: Callable[[], Any]) -> Any:
    """Run `parse`, placing a problem at `path` inside the field."""
    try:
        return parse()
    except FieldError as exc:
        raise FieldError(path + exc.path, exc.message) from None
    except ValueError as exc:
        raise FieldError(path, str(exc)) from None


def _opt(raw: Any, parse: Callable[[Any, Context], Any], ctx: Context) -> Any:
    return None if raw is None else parse(raw, ctx)


def _items(raw: Any, parse: Callable[[Any, Context], Any], ctx: Context) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise ValueError("must be a list")
    out = []
    for index, item in enumerate(raw):
        try:
            out.append(parse(item, ctx))
        except FieldError as exc:
            raise FieldError((index, *exc.path), exc.message) from None
        except ValueError as exc:
            raise FieldError((index,), str(exc)) from None
    return tuple(out)


def _default(raw: Any, default: Any) -> Any:
    return default if raw is None else raw


def _boolean(raw: Any, ctx: Context) -> bool:
    if not isinstance(raw, bool):
        raise ValueError("must be true or false")
    return raw


def _count(raw: Any, ctx: Context) -> int:
    if type(raw) is not int or raw < 0:
        raise ValueError("must be an integer >= 0")
    return raw


def booker(raw: Any, ctx: Context) -> Booker:
    keys = ("nome", "email", "telefone", "pais", "idioma", "empresa")
    got = _object(raw, dict.fromkeys(keys, False))
    values: dict[str, str | None] = {}
    for key in keys:
        if got[key] is not None and not isinstance(got[key], str):
            raise FieldError((key,), "must be a string")
        values[key] = got[key]
    return Booker(
        name=values["nome"],
        email=values["email"],
        phone=values["telefone"],
        country=values["pais"],
        language=values["idioma"],
        company=values["empresa"],
    )


def day(raw: Any, ctx: Context) -> date:
    shown = text(raw, ctx)
    try:
        if len(shown) != len("YYYY-MM-DD"):
            raise ValueError
        return date.fromisoformat(shown)
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD, got {shown!r}") from None


def nightly(raw: Any, ctx: Context) -> tuple[NightPrice, ...]:
    def night(item: Any, ctx: Context) -> NightPrice:
        got = _object(item, {"data": True, "valor": True})
        return NightPrice(
            day=_at(("data",), lambda: day(got["data"], ctx)),
            amount=_at(("valor",), lambda: money_value(got["valor"], ctx)),
        )

    nights = _items(raw, night, ctx)
    if len({n.day for n in nights}) != len(nights):
        raise ValueError("a night appears twice")
    return tuple(sorted(nights, key=lambda n: n.day))


def services(raw: Any, ctx: Context) -> tuple[Service, ...]:
    def service(item: Any, ctx: Context) -> Service:
        got = _object(item, {"nome": True, "tipo": False, "quantidade": False, "valor_total": True})
        return Service(
            name=_at(("nome",), lambda: text(got["nome"], ctx)),
            kind=_at(("tipo",), lambda: _opt(got["tipo"], text, ctx)),
            quantity=_at(("quantidade",), lambda: _count(_default(got["quantidade"], 1), ctx)),
            total=_at(("valor_total",), lambda: money_value(got["valor_total"], ctx)),
        )

    return _items(raw, service, ctx)


def taxes(raw: Any, ctx: Context) -> tuple[Tax, ...]:
    def tax(item: Any, ctx: Context) -> Tax:
        got = _object(item, {"nome": True, "valor": True, "incluso": True})
        return Tax(
            name=_at(("nome",), lambda: text(got["nome"], ctx)),
            amount=_at(("valor",), lambda: money_value(got["valor"], ctx)),
            included=_at(("incluso",), lambda: _boolean(got["incluso"], ctx)),
        )

    return _items(raw, tax, ctx)


def withheld_taxes(raw: Any, ctx: Context) -> tuple[WithheldTax, ...]:
    def withheld(item: Any, ctx: Context) -> WithheldTax:
        got = _object(item, {"nome": True, "valor": True})
        return WithheldTax(
            name=_at(("nome",), lambda: text(got["nome"], ctx)),
            amount=_at(("valor",), lambda: money_value(got["valor"], ctx)),
        )

    return _items(raw, withheld, ctx)


def payment(raw: Any, ctx: Context) -> Payment:
    keys = {"cobranca": True, "tipo": False, "cartao_virtual": False, "bandeira": False}
    got = _object(raw, {**keys, "instrucoes": False})
    if got["cobranca"] not in COLLECTORS:
        raise FieldError(("cobranca",), f"must be one of {list(COLLECTORS)}")
    if got["tipo"] is not None and got["tipo"] not in PAYMENT_KINDS:
        raise FieldError(("tipo",), f"must be one of {list(PAYMENT_KINDS)} or null")
    return Payment(
        collector=got["cobranca"],
        kind=got["tipo"],
        virtual_card=_at(
            ("cartao_virtual",), lambda: _boolean(_default(got["cartao_virtual"], False), ctx)
        ),
        brand=_at(("bandeira",), lambda: _opt(got["bandeira"], text, ctx)),
        instructions=_at(("instrucoes",), lambda: _opt(got["instrucoes"], text, ctx)),
    )


def booker_json(value: Booker | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "nome": value.name,
        "email": value.email,
        "telefone": value.phone,
        "pais": value.country,
        "idioma": value.language,
        "empresa": value.company,
    }


def payment_json(value: Payment | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "cobranca": value.collector,
        "tipo": value.kind,
        "cartao_virtual": value.virtual_card,
        "bandeira": value.brand,
        "instrucoes": value.instructions,
    }


def details_json(
    nights: tuple[NightPrice, ...],
    items: tuple[Service, ...],
    tax_items: tuple[Tax, ...],
    withheld: tuple[WithheldTax, ...],
    currency: str,
) -> dict[str, Any]:
    """`diarias`, `servicos`, `impostos` and `impostos_retidos_ota` on the wire."""
    return {
        "diarias": [
            {"data": n.day.isoformat(), "valor": money_text(n.amount, currency)} for n in nights
        ],
        "servicos": [
            {
                "nome": s.name,
                "tipo": s.kind,
                "quantidade": s.quantity,
                "valor_total": money_text(s.total, currency),
            }
            for s in items
        ],
        "impostos": [
            {"nome": t.name, "valor": money_text(t.amount, currency), "incluso": t.included}
            for t in tax_items
        ],
        "impostos_retidos_ota": [
            {"nome": t.name, "valor": money_text(t.amount, currency)} for t in withheld
        ],
    }
