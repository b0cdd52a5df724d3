"""Currency exponents and the wire form of a rate.

Channex takes a rate as integer minor units (`20000` = 200.00 USD) or as a decimal string in
major units (`"200.00"`), and must be > 0. What "minor units" means for a currency without two
decimals is unconfirmed, so `auto` sends integers only for two-decimal currencies (what the
certification tests expect) and decimal strings for the rest. Money is `Decimal`, never float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

RateFormat = Literal["auto", "minor", "decimal"]

DEFAULT_EXPONENT = 2

_TWO_DECIMALS = (
    "USD EUR GBP BRL CAD AUD NZD CHF MXN ARS COP PEN UYU CNY HKD SGD INR THB MYR PHP IDR "
    "ZAR SEK NOK DKK PLN CZK HUF TRY AED SAR ILS EGP MAD"
)
_NO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"

# ISO-4217 minor-unit exponents. Currencies not listed have two decimals.
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(_NO_DECIMALS.split(), 0),
    **dict.fromkeys(_THREE_DECIMALS.split(), 3),
    **dict.fromkeys(_FOUR_DECIMALS.split(), 4),
}


def exponent(currency: str) -> int:
    """Decimal places of `currency` (ISO-4217); unknown codes have two."""
    return CURRENCY_EXPONENTS.get(currency.strip().upper(), DEFAULT_EXPONENT)


def unit(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal("0.01") for BRL, ("0.001") for KWD, ("1") JPY."""
    return Decimal(1).scaleb(-exponent(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's decimals; not finite or <= 0 raises."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"rate must be a finite Decimal, got {amount!r}")
    try:
        rounded = amount.quantize(unit(currency), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"rate {amount} {currency} is out of range") from exc
    if rounded <= 0:
        raise ValueError(f"rate must be > 0, got {amount} {currency}")
    return rounded


def format_rate(amount: Decimal, currency: str, mode: RateFormat) -> int | str:
    """The Channex `rate` for `amount`: integer minor units or a decimal string."""
    rounded = quantize(amount, currency)
    places = exponent(currency)
    if mode == "minor" or (mode == "auto" and places == DEFAULT_EXPONENT):
        return int(rounded.scaleb(places))
    if mode in ("decimal", "auto"):
        return format(rounded, "f")
    raise ValueError(f"unknown rate format {mode!r}")


def parse_rate(value: int | str, currency: str) -> Decimal:
    """The inverse of `format_rate`: integer minor units or a decimal string, to major units."""
    if isinstance(value, bool):
        raise ValueError(f"rate must be an integer or a decimal string, got {value!r}")
    if isinstance(value, int):
        return Decimal(value).scaleb(-exponent(currency))
    if isinstance(value, str):
        try:
            amount = Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"rate {value!r} is not a decimal") from exc
        if amount.is_finite():
            return amount
    raise ValueError(f"rate must be an integer or a decimal string, got {value!r}")
