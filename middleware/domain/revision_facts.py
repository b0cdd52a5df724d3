"""What a person reads about a booking revision, in hotel words (pure).

`facts_of` keeps, from a fetched revision, what the console shows on Attention and Bookings:
the channel and its reservation code, the guest's name, the stay, each room's type and dates,
the amount and who collects it. No e-mail, phone or card detail beyond the brand is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from middleware.domain.channels import channel_name
from middleware.domain.revision import BookingRevision


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomFacts:
    room_type_id: str | None
    checkin: date
    checkout: date
    adults: int
    children: int
    cancelled: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionFacts:
    status: str  # new | modified | cancelled
    ota: str
    reservation_code: str | None
    guest: str
    checkin: date
    checkout: date
    rooms: tuple[RoomFacts, ...]
    amount: Decimal | None
    currency: str | None
    payment_collect: str | None  # ota | property
    payment_type: str | None  # credit_card | bank_transfer
    card_brand: str | None
    virtual_card: bool


def facts_of(revision: BookingRevision) -> RevisionFacts:
    guest = next((r.guest_name for r in revision.rooms if r.guest_name), None)
    return RevisionFacts(
        status=revision.status,
        ota=channel_name(revision.ota_name),
        reservation_code=revision.ota_reservation_code or revision.unique_id,
        guest=revision.customer.name or guest or "",
        checkin=revision.arrival_date,
        checkout=revision.departure_date,
        rooms=tuple(
            RoomFacts(
                room_type_id=room.room_type_id,
                checkin=room.checkin,
                checkout=room.checkout,
                adults=room.adults,
                children=room.children,
                cancelled=room.is_cancelled,
            )
            for room in revision.rooms
        ),
        amount=revision.amount,
        currency=revision.currency,
        payment_collect=revision.payment_collect,
        payment_type=revision.payment_type,
        card_brand=None if revision.card is None else revision.card.brand,
        virtual_card=revision.card is not None and revision.card.virtual,
    )
