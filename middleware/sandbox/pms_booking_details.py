"""What a sistema-os booking records beyond the stay (pms-contract §2.2): the booker, per-night
prices, services, taxes, commission, payment, the reservation's total.

Values only; `pms_state` keeps them on `Booking` (flat attributes named in `DETAIL_FIELDS`),
`pms_payload_details` reads and writes their wire form. No card data has a place here: only
the brand and whether the card is virtual.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Literal

Collector = Literal["ota", "hotel"]
PaymentKind = Literal["cartao", "transferencia"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Booker:
    """`reservado_por`: who booked (Channex `customer`), not necessarily who stays."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    language: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NightPrice:
    """One of `diarias`."""

    day: date
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """One of `servicos`."""

    name: str
    kind: str | None
    quantity: int
    total: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Tax:
    """One of `impostos`; `included` taxes are inside the price, others on top of it."""

    name: str
    amount: Decimal
    included: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class WithheldTax:
    """One of `impostos_retidos_ota`: taxes the OTA withheld."""

    name: str
    amount: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    """`pagamento`: who collects, how, and what the front desk is told."""

    collector: Collector
    kind: PaymentKind | None = None
    virtual_card: bool = False
    brand: str | None = None
    instructions: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingDetails:
    """What `BookingRequest` and `Booking` record beyond the stay (`BookingChanges` names the
    same fields); each default is also what a change that clears the field sets."""

    plan: str | None = None
    infants: int = 0
    children_ages: tuple[int, ...] = ()
    arrival_hour: str | None = None
    booker: Booker | None = None
    nightly: tuple[NightPrice, ...] = ()
    services: tuple[Service, ...] = ()
    taxes: tuple[Tax, ...] = ()
    withheld_taxes: tuple[WithheldTax, ...] = ()
    ota_commission: Decimal | None = None
    payment: Payment | None = None
    booking_total: Decimal | None = None
    rooms_in_booking: int | None = None


CLEARED_VALUES: dict[str, object] = {f.name: f.default for f in fields(BookingDetails)}
DETAIL_FIELDS = tuple(CLEARED_VALUES)
