"""One room of a Channex revision → the whole PMS booking request (contract §2.2).

Who stays (the room's own guest when the OTA names one, else the booker), what they pay
(per night, services, taxes, the room's share of the booking), who collects the money and
how, and a short digest of all that in the notes for screens that show only notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from middleware.domain.booking_money import services_total
from middleware.domain.channels import channel_name
from middleware.domain.pms_booking import Collector, Payment, PaymentKind, PmsBookingRequest
from middleware.domain.revision import BookingRevision, Person, RevisionRoom, Service

# Expedia's payment instruction decides who collects when it says so (Channex
# `rooms[].meta.payment_instruction`): "Collect payment from traveler upon arrival" is the
# hotel's to charge, even where it mentions Expedia's virtual card for no-shows.
HOTEL_COLLECTS = re.compile(
    r"from (the )?(traveler|traveller|guest)|upon arrival|at the hotel", re.I
)
OTA_COLLECTS = re.compile(r"expedia collect|from expedia|virtual card|vcc", re.I)
NOTES_MAX = 2000
COLLECTOR_WORDS = {"ota": "cobrado pela OTA", "hotel": "no hotel"}
KIND_WORDS: dict[PaymentKind, str] = {"card": "cartão", "bank_transfer": "transferência"}


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomPlace:
    """Where a room sits in its booking: its slot, whether it carries the booking-level
    extras, how many live rooms the booking has, and what it costs."""

    slot: int
    primary: bool
    rooms: int
    total: Decimal


def build_request(
    revision: BookingRevision,
    room: RevisionRoom,
    *,
    place: RoomPlace,
    room_code: str,
    plan_code: str | None,
    currency: str,
) -> PmsBookingRequest:
    booker = revision.customer
    guest_name, is_booker = _guest(revision, room)
    services = room.services + (revision.services if place.primary else ())
    payment = payment_of(revision, room)
    return PmsBookingRequest(
        room_code=room_code,
        checkin=room.checkin,
        checkout=room.checkout,
        guest_name=guest_name,
        guest_email=booker.email if is_booker else None,
        guest_phone=booker.phone if is_booker else None,
        adults=room.adults,
        children=room.children,
        total=place.total,
        currency=currency,
        channel=channel_name(revision.ota_name),
        ota_code=revision.unique_id or revision.ota_reservation_code,
        channex_booking_id=revision.booking_id,
        channex_revision_id=revision.id,
        room_index=place.slot,
        notes=notes_of(revision, room, payment, services, currency),
        plan_code=plan_code,
        infants=room.infants,
        child_ages=room.child_ages,
        arrival_hour=revision.arrival_hour,
        booker=booker if _known(booker) else None,
        nights=room.nights,
        services=services,
        taxes=room.taxes,
        withheld_taxes=room.withheld_taxes,
        commission=revision.ota_commission if place.primary else None,
        payment=payment,
        booking_total=revision.amount,
        rooms_in_booking=place.rooms,
        booking_room_id=room.booking_room_id,
        ota_unique_id=room.ota_unique_id,
    )


def _guest(revision: BookingRevision, room: RevisionRoom) -> tuple[str, bool]:
    """(name of the person in the room, whether that is the booker)."""
    booker = revision.customer.name.strip()
    named = (room.guest_name or "").strip()
    if named and named.casefold() != booker.casefold():
        return named, False
    if booker:
        return booker, True
    code = revision.unique_id or revision.ota_reservation_code or revision.booking_id
    return f"Guest {code}", True


def _known(person: Person) -> bool:
    return bool(person.name.strip() or person.email or person.phone)


def payment_of(revision: BookingRevision, room: RevisionRoom) -> Payment:
    """Who collects (contract §2.2 `pagamento`): the OTA when Channex says so, when Expedia's
    instruction says Expedia collects, or when the guarantee is a virtual card; else the hotel.
    Only the card's brand and virtual flag are ever kept."""
    card = revision.card
    instruction = room.payment_instruction
    collector: Collector
    if revision.payment_collect == "ota":
        collector = "ota"
    elif instruction is not None and HOTEL_COLLECTS.search(instruction):
        collector = "hotel"
    elif instruction is not None and OTA_COLLECTS.search(instruction):
        collector = "ota"
    elif revision.payment_collect == "property" or card is None or not card.virtual:
        collector = "hotel"
    else:
        collector = "ota"
    kind: PaymentKind | None = None
    if revision.payment_type == "bank_transfer":
        kind = "bank_transfer"
    elif revision.payment_type == "credit_card" or card is not None:
        kind = "card"
    return Payment(
        collector=collector,
        kind=kind,
        virtual_card=card is not None and card.virtual,
        card_brand=None if card is None else card.brand,
        instructions=instruction,
    )


def notes_of(
    revision: BookingRevision,
    room: RevisionRoom,
    payment: Payment,
    services: tuple[Service, ...],
    currency: str,
) -> str:
    """The OTA's notes, then a one-line digest of what the other fields say."""
    parts = [f"Pagamento: {_payment_words(payment)}"]
    if services:
        names = ", ".join(service.name for service in services)
        parts.append(f"Serviços: {names} ({services_total(services)} {currency})")
    if revision.arrival_hour:
        parts.append(f"Chegada: {revision.arrival_hour}")
    if room.meal_plan:
        parts.append(f"Regime: {room.meal_plan}")
    if room.requests:
        parts.append(f"Pedidos: {room.requests}")
    if revision.secondary_ota:
        parts.append(f"Vendido por: {revision.secondary_ota}")
    digest = "[Channex] " + " | ".join(parts)
    text = f"{revision.notes}\n{digest}" if revision.notes else digest
    return text[:NOTES_MAX]


def _payment_words(payment: Payment) -> str:
    words = [COLLECTOR_WORDS[payment.collector]]
    if payment.kind is not None:
        kind = KIND_WORDS[payment.kind]
        if payment.virtual_card:
            kind += " virtual"
        if payment.card_brand:
            kind += f" {payment.card_brand}"
        words.append(kind)
    return ", ".join(words)
