"""The money of a Channex booking split over its PMS bookings (contract §2.2, §2.4).

Each room's `total` is what that room's stay costs the guest: its amount (which already holds
its exclusive taxes), plus its own services, plus — on the primary room only — the
booking-level services. Over the rooms the totals add up to the Channex booking `amount`, in
the currency's own decimals. A cancellation's fee is what the hotel still receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from middleware.domain import money
from middleware.domain.revision import BookingRevision, RevisionRoom, Service

CANCELLATION_FEE_WORDS = ("cancellation", "cancel")


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomTotals:
    totals: dict[int, Decimal]  # revision room index → total
    problem: str | None = None  # the amount did not add up and how that was settled


def services_total(services: Sequence[Service]) -> Decimal:
    return sum((service.total for service in services), Decimal(0))


def room_totals(
    revision: BookingRevision, *, currency: str, primary: int | None = None
) -> RoomTotals:
    """Each live room's total (see the module docstring). `primary` is the room index that
    carries the booking-level services (and any difference to the booking amount; the
    first live room when None). Rooms without an amount share what the booking amount
    leaves, evenly, the remainder on the first of them."""
    smallest = money.unit(currency)
    rooms: list[RevisionRoom] = [room for room in revision.rooms if not room.is_cancelled]
    if not rooms:
        return RoomTotals(totals={})
    head = primary if primary is not None else rooms[0].index
    extras = {room.index: services_total(room.services) for room in rooms}
    booking_services = services_total(revision.services)
    totals = {
        room.index: room.amount + extras[room.index] for room in rooms if room.amount is not None
    }
    missing = [room.index for room in rooms if room.amount is None]
    if missing:
        taken = sum(totals.values(), Decimal(0)) + booking_services
        taken += sum((extras[index] for index in missing), Decimal(0))
        rest = max((revision.amount or Decimal(0)) - taken, Decimal(0))
        share = (rest / len(missing)).quantize(smallest, rounding=ROUND_DOWN)
        for index in missing:
            totals[index] = share + extras[index]
        totals[missing[0]] += rest - share * len(missing)
    totals[head] += booking_services
    totals = {
        index: total.quantize(smallest, rounding=ROUND_HALF_UP) for index, total in totals.items()
    }
    if revision.amount is None:
        return RoomTotals(totals=totals)
    return _settle(totals, extras, revision.amount.quantize(smallest, ROUND_HALF_UP), head)


def _settle(
    totals: dict[int, Decimal], extras: dict[int, Decimal], amount: Decimal, head: int
) -> RoomTotals:
    """Make the totals add up to `amount`: room amounts that already held their services lose
    them again; any other difference goes to `head`, and is reported."""
    gap = amount - sum(totals.values(), Decimal(0))
    if not gap:
        return RoomTotals(totals=totals)
    room_services = sum(extras.values(), Decimal(0))
    if room_services and gap == -room_services:
        return RoomTotals(totals={i: total - extras[i] for i, total in totals.items()})
    if totals[head] + gap < 0:
        return RoomTotals(
            totals=totals,
            problem=f"the rooms add up to {amount - gap}, not the booking amount {amount}",
        )
    settled = {**totals, head: totals[head] + gap}
    return RoomTotals(
        totals=settled,
        problem=(
            f"the rooms add up to {amount - gap}, not the booking amount {amount}:"
            f" {gap} put on the room that carries the booking"
        ),
    )


def cancellation_fee(revision: BookingRevision) -> Decimal | None:
    """What the hotel still receives after a cancellation: its "Cancellation Fee" services,
    else the cancelled revision's amount (Airbnb's kept payout); None when nothing is due."""
    fees = [
        service
        for service in revision.services
        if any(word in service.name.lower() for word in CANCELLATION_FEE_WORDS)
    ]
    fee = services_total(fees) if fees else revision.amount
    return fee if fee is not None and fee > 0 else None
