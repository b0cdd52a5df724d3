"""Values inside a Channex emulator booking spec: names, counts, money, services, taxes.

Each parser takes the raw spec value and the key path it sits at, and returns the checked
value or raises `BookingSpecError` naming that path. Money is a decimal string or number with
at most the currency's decimals (KWD 3, JPY 0), kept as a quantized `Decimal`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.domain import money
from middleware.sandbox.channex_state import JsonObject

DEFAULT_SERVICE_TYPE = "other"
DEFAULT_PRICE_MODE = "per_stay"
DEFAULT_TAX_TYPE = "tax"
SERVICE_KEYS = frozenset(
    {"name", "type", "nights", "persons", "price_mode", "price_per_unit", "total_price"}
)
TAX_KEYS = frozenset({"is_inclusive", "name", "total_price", "type"})


class BookingSpecError(ValueError):
    """A create/modify spec the emulator cannot turn into a booking."""


def refuse_unknown(raw: JsonObject, known: frozenset[str], what: str) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise BookingSpecError(f"unknown {what}: {', '.join(unknown)}")


def text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise BookingSpecError(f"{name} must be a non-empty string, got {value!r}")
    return value


def opt_text(value: Any, name: str) -> str | None:
    return None if value is None else text(value, name)


def json_object(value: Any, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise BookingSpecError(f"{name} must be an object")
    return value


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


def count(value: Any, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BookingSpecError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def items(value: Any, name: str) -> list[JsonObject]:
    if not isinstance(value, list):
        raise BookingSpecError(f"{name} must be a list")
    return [json_object(item, f"{name}[{n}]") for n, item in enumerate(value)]


def services(value: Any, currency: str, name: str) -> list[JsonObject]:
    """Service items; `total_price` or `price_per_unit` (× nights × persons) is required."""
    out = []
    for n, item in enumerate(items(value, name)):
        where = f"{name}[{n}]"
        refuse_unknown(item, SERVICE_KEYS, f"{where} fields")
        nights = count(item.get("nights", 1), f"{where}.nights", 1)
        persons = count(item.get("persons", 1), f"{where}.persons", 1)
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
            unit_price = exact.quantize(money.unit(currency))
        out.append(
            {
                "name": text(item.get("name"), f"{where}.name"),
                "type": item.get("type", DEFAULT_SERVICE_TYPE),
                "nights": nights,
                "persons": persons,
                "price_mode": item.get("price_mode", DEFAULT_PRICE_MODE),
                "price_per_unit": unit_price,
                "total_price": total_price,
            }
        )
    return out


def taxes(value: Any, currency: str, name: str, *, collected: bool) -> list[JsonObject]:
    out = []
    for n, item in enumerate(items(value, name)):
        where = f"{name}[{n}]"
        refuse_unknown(item, TAX_KEYS - {"is_inclusive"} if collected else TAX_KEYS, where)
        tax: JsonObject = {} if collected else {"is_inclusive": item.get("is_inclusive", False)}
        if not isinstance(tax.get("is_inclusive", False), bool):
            raise BookingSpecError(f"{where}.is_inclusive must be a boolean")
        tax["name"] = text(item.get("name"), f"{where}.name")
        tax["total_price"] = parse_money(item.get("total_price"), currency, f"{where}.total_price")
        tax["type"] = item.get("type", DEFAULT_TAX_TYPE)
        out.append(tax)
    return out
