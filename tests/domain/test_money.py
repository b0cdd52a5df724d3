"""Rates go on the wire as Channex expects them: minor units or decimal strings, never floats."""

from decimal import Decimal

import pytest

from middleware.domain import money


@pytest.mark.parametrize(
    ("currency", "places"),
    [
        ("USD", 2),
        ("BRL", 2),
        ("EUR", 2),
        ("GBP", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("CLP", 0),
        ("VND", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("OMR", 3),
        ("JOD", 3),
        ("TND", 3),
        ("IQD", 3),
        ("LYD", 3),
        ("jpy", 0),
        ("XYZ", 2),
    ],
)
def test_exponent(currency: str, places: int) -> None:
    assert money.exponent(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "mode", "wire"),
    [
        # the certification table (§8.2): USD in minor units
        ("333", "USD", "minor", 33300),
        ("444", "USD", "auto", 44400),
        ("456.23", "USD", "auto", 45623),
        ("312.66", "USD", "minor", 31266),
        ("333", "USD", "decimal", "333.00"),
        ("456.23", "USD", "decimal", "456.23"),
        ("450.00", "BRL", "auto", 45000),
        ("450.5", "BRL", "decimal", "450.50"),
        ("1E+3", "BRL", "auto", 100000),
        ("1E+3", "BRL", "decimal", "1000.00"),
        # zero-decimal currencies
        ("12000", "JPY", "minor", 12000),
        ("12000", "JPY", "decimal", "12000"),
        ("12000", "JPY", "auto", "12000"),
        ("12000.00", "JPY", "auto", "12000"),
        # three-decimal currencies
        ("12.345", "KWD", "minor", 12345),
        ("12.345", "KWD", "decimal", "12.345"),
        ("12.345", "KWD", "auto", "12.345"),
        ("12", "KWD", "auto", "12.000"),
        # rounding half up to the currency's decimals
        ("456.235", "USD", "minor", 45624),
        ("456.234", "USD", "decimal", "456.23"),
        ("0.005", "USD", "minor", 1),
        ("12000.5", "JPY", "decimal", "12001"),
        ("12000.49", "JPY", "minor", 12000),
        ("12.3455", "KWD", "minor", 12346),
        # unknown currency: two decimals
        ("9.99", "XYZ", "auto", 999),
    ],
)
def test_format_rate(amount: str, currency: str, mode: money.RateFormat, wire: int | str) -> None:
    got = money.format_rate(Decimal(amount), currency, mode)
    assert got == wire
    assert type(got) is type(wire)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("0", "USD"), ("-1", "USD"), ("0.004", "USD"), ("0.4", "JPY"), ("-0.001", "KWD")],
)
@pytest.mark.parametrize("mode", ["auto", "minor", "decimal"])
def test_format_rate_rejects_non_positive(
    amount: str, currency: str, mode: money.RateFormat
) -> None:
    with pytest.raises(ValueError, match="> 0"):
        money.format_rate(Decimal(amount), currency, mode)


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("1E+40")])
def test_format_rate_rejects_non_finite_and_huge(amount: Decimal) -> None:
    with pytest.raises(ValueError, match="rate"):
        money.format_rate(amount, "USD", "auto")


def test_format_rate_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match=r"^unknown rate format 'cents'$"):
        money.format_rate(Decimal("10"), "KWD", "cents")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wire", "currency", "amount"),
    [
        (33300, "USD", "333.00"),
        (45623, "USD", "456.23"),
        ("456.23", "USD", "456.23"),
        (12000, "JPY", "12000"),
        ("12000", "JPY", "12000"),
        (12345, "KWD", "12.345"),
        ("12.345", "KWD", "12.345"),
    ],
)
def test_parse_rate(wire: int | str, currency: str, amount: str) -> None:
    assert money.parse_rate(wire, currency) == Decimal(amount)


@pytest.mark.parametrize("wire", [True, "abc", "NaN", "Infinity"])
def test_parse_rate_rejects_garbage(wire: int | str) -> None:
    with pytest.raises(ValueError, match="rate"):
        money.parse_rate(wire, "USD")


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD", "BRL"])
@pytest.mark.parametrize("mode", ["auto", "minor", "decimal"])
def test_parse_inverts_format(currency: str, mode: money.RateFormat) -> None:
    amount = Decimal("1234.567")
    wire = money.format_rate(amount, currency, mode)
    assert money.parse_rate(wire, currency) == money.quantize(amount, currency)


@pytest.mark.parametrize(
    ("currency", "unit"), [("BRL", "0.01"), ("KWD", "0.001"), ("JPY", "1"), ("XYZ", "0.01")]
)
def test_unit(currency: str, unit: str) -> None:
    assert str(money.unit(currency)) == unit
