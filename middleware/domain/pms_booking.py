"""What the PMS is asked to hold for one room of a Channex booking (contract §2.2–2.4).

PMS-neutral names: the sistema-os adapter maps each field to its wire name. A request is the
whole state of one PMS booking; a modification names the fields of the new request that
changed (`RoomModify.changed`), so one table of fields serves create, diff and PATCH.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from middleware.domain.revision import NightPrice, Person, Service, Tax

Collector = Literal["ota", "hotel"]
PaymentKind = Literal["card", "bank_transfer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Payment:
    """Who collects the money and how; never card numbers, CVV, expiry or holder."""

    collector: Collector
    kind: PaymentKind | None = None
    virtual_card: bool = False
    card_brand: str | None = None
    instructions: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsBookingRequest:
    """What the PMS needs to create one booking (one room of a Channex booking)."""

    room_code: str
    checkin: date
    checkout: date
    guest_name: str
    guest_email: str | None
    guest_phone: str | None
    adults: int
    children: int
    total: Decimal
    currency: str
    channel: str
    ota_code: str | None
    channex_booking_id: str
    channex_revision_id: str
    room_index: int  # the room's slot: fixed at its creation, part of the Idempotency-Key
    notes: str | None
    plan_code: str | None = None
    infants: int = 0
    child_ages: tuple[int, ...] = ()
    arrival_hour: str | None = None
    booker: Person | None = None
    nights: tuple[NightPrice, ...] = ()
    services: tuple[Service, ...] = ()
    taxes: tuple[Tax, ...] = ()
    withheld_taxes: tuple[Tax, ...] = ()
    commission: Decimal | None = None
    payment: Payment | None = None
    booking_total: Decimal | None = None
    rooms_in_booking: int = 1
    # Identity only (never sent): how the next revision finds this room again.
    booking_room_id: str | None = None
    ota_unique_id: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"{self.channex_booking_id}:{self.room_index}"


# Fields a modification may change, in the order a PATCH lists them. The rest are identity
# (booking ids, slot, revision id: sent on create, never diffed) or never sent.
CHANGEABLE_FIELDS: tuple[str, ...] = (
    "room_code",
    "plan_code",
    "checkin",
    "checkout",
    "guest_name",
    "guest_email",
    "guest_phone",
    "adults",
    "children",
    "infants",
    "child_ages",
    "arrival_hour",
    "booker",
    "total",
    "currency",
    "nights",
    "services",
    "taxes",
    "withheld_taxes",
    "commission",
    "payment",
    "booking_total",
    "rooms_in_booking",
    "channel",
    "ota_code",
    "notes",
)
STAY_FIELDS = ("room_code", "checkin", "checkout")


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsBookingRef:
    """The PMS's answer about one booking."""

    pms_id: str
    unit: str | None
    status: str
