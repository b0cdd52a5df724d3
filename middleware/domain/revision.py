"""A Channex booking revision as values: everything of it a hotel acts on (contract §5.2).

`channex/revision_parser.py` builds these from JSON, once; everything further in sees only these.
Money is `Decimal` exactly as Channex wrote it (its own decimals, never rounded here); dates
are hotel-local; `inserted_at` is UTC-aware. Card data is reduced to what a hotel may keep:
the brand and whether the card is virtual — the number, CVV, expiry and holder never get
this far.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

RevisionStatus = Literal["new", "modified", "cancelled"]
PaymentCollect = Literal["ota", "property"]
PaymentType = Literal["credit_card", "bank_transfer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """The booker (Channex `customer`); any part may be missing."""

    name: str  # "name surname", "" when the OTA gave none
    email: str | None = None
    phone: str | None = None
    country: str | None = None
    language: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """An extra sold with a room or with the booking (breakfast, parking, a cancellation fee)."""

    name: str
    kind: str | None = None  # Channex `type`
    quantity: int | None = None  # persons × nights when Channex says so, else None
    total: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Tax:
    name: str
    total: Decimal
    inclusive: bool  # already inside the price it belongs to


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """What the middleware keeps of a guarantee card."""

    brand: str | None  # VI, MC, AX…
    virtual: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class NightPrice:
    night: date
    price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionRoom:
    """One room of a Channex booking revision (`index` = its position in `rooms[]`)."""

    index: int
    room_type_id: str | None
    rate_plan_id: str | None  # for a derived/occupancy plan: its parent (the real plan)
    checkin: date
    checkout: date
    adults: int
    children: int
    infants: int = 0
    child_ages: tuple[int, ...] = ()
    amount: Decimal | None = None  # holds the room's exclusive taxes
    is_cancelled: bool = False
    booking_room_id: str | None = None
    ota_unique_id: str | None = None  # Booking.com's room reservation id; stays across revisions
    guest_name: str | None = None  # the person in the room, when the OTA names one
    nights: tuple[NightPrice, ...] = ()
    services: tuple[Service, ...] = ()
    taxes: tuple[Tax, ...] = ()
    withheld_taxes: tuple[Tax, ...] = ()  # Channex `collected_taxes`: kept by the OTA
    payment_instruction: str | None = None  # Expedia's `meta.payment_instruction`
    meal_plan: str | None = None  # `meta.meal_plan`
    requests: str | None = None  # `meta.free_text`: what the guest asked the OTA for


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingRevision:
    """A Channex booking revision: the full state of a booking at one moment."""

    id: str
    booking_id: str
    property_id: str
    status: RevisionStatus
    inserted_at: datetime
    unique_id: str | None
    ota_name: str | None
    ota_reservation_code: str | None
    arrival_date: date
    departure_date: date
    amount: Decimal | None
    currency: str | None
    notes: str | None
    customer: Person
    rooms: tuple[RevisionRoom, ...]
    system_id: str | None = None
    secondary_ota: str | None = None
    arrival_hour: str | None = None  # "HH:MM"
    services: tuple[Service, ...] = ()  # booking-level
    payment_collect: PaymentCollect | None = None
    payment_type: PaymentType | None = None
    card: Card | None = None
    ota_commission: Decimal | None = None
