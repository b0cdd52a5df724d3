"""Booking revisions → PMS bookings: the pure planning step.

A Channex revision carries the FULL state of a booking. `plan_revision` compares it with what
the store says was already applied, per room index (one PMS booking per room), and returns
what to do: rooms to create, rooms to modify (only the fields that changed), rooms to cancel,
and the categorias and nights whose availability that changes. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from middleware.domain.models import (
    BookingRevision,
    PmsBookingChanges,
    PmsBookingRequest,
    RevisionRoom,
)

CENT = Decimal("0.01")
DEFAULT_CHANNEL = "Channex"
STAY_FIELDS = ("room_code", "checkin", "checkout")
CHANGE_FIELDS = (*STAY_FIELDS, "guest_name", "guest_phone", "adults", "children", "total")
# Stays no real booking has (hostile or broken input): the revision is parked, not applied.
MAX_STAY_NIGHTS = 366
MAX_DAYS_PAST = 366  # the stay ended longer ago than this
MAX_DAYS_AHEAD = 1096  # the stay starts later than this (Channex keeps at most 730 days)

RoomsByType = Callable[[str], str | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppliedRoom:
    """What the store says we applied for one room index (`request` None = imported)."""

    pms_id: str | None
    active: bool
    request: PmsBookingRequest | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomModify:
    room_index: int
    pms_id: str
    changes: PmsBookingChanges
    request: PmsBookingRequest  # the full new state, stored once the PMS accepts the changes


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomCancel:
    room_index: int
    pms_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Touched:
    """A categoria whose availability changed on the nights from `date_from` up to `date_to`
    EXCLUSIVE (`date_to` is the checkout day: the last night is `date_to` minus one day)."""

    room_code: str
    date_from: date
    date_to: date


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionPlan:
    stale: bool = False
    creates: tuple[PmsBookingRequest, ...] = ()
    modifies: tuple[RoomModify, ...] = ()
    cancels: tuple[RoomCancel, ...] = ()
    unmapped: tuple[str, ...] = ()  # mapping problems: nothing may be applied
    blocked: tuple[str, ...] = ()  # other problems a person must resolve: nothing applied
    touched: tuple[Touched, ...] = ()

    @property
    def needs_attention(self) -> bool:
        return bool(self.unmapped or self.blocked)


def plan_revision(
    revision: BookingRevision,
    *,
    rooms_by_type: RoomsByType,
    applied: Mapping[int, AppliedRoom],
    last_inserted_at: datetime | None,
    last_revision_id: str | None = None,
    currency: str | None = None,
    today: date | None = None,
) -> RevisionPlan:
    """What applying `revision` takes. `currency` is the property's, used when the revision
    has none; `last_revision_id` is the revision last applied to this booking; with `today`
    (the hotel's), a stay no real booking has blocks the revision (`stay_problem`)."""
    if last_inserted_at is not None and revision.inserted_at < last_inserted_at:
        return RevisionPlan(stale=True)
    if revision.id == last_revision_id:
        return RevisionPlan()
    channel = revision.ota_name or DEFAULT_CHANNEL
    if revision.status == "cancelled":
        return _cancel_all(revision, rooms_by_type, applied, f"cancelled at {channel}")

    desired = [room for room in revision.rooms if not room.is_cancelled]
    codes: dict[int, str] = {}
    unmapped: list[str] = []
    for room in desired:
        if room.room_type_id is None:
            unmapped.append(f"room {room.index}: room type missing (unmapped at the OTA)")
        elif (code := rooms_by_type(room.room_type_id)) is None:
            unmapped.append(f"room {room.index}: room type {room.room_type_id} is not mapped")
        else:
            codes[room.index] = code
    money = revision.currency or currency
    if money is None:
        unmapped.append("currency missing (neither the revision nor the property has one)")
    implausible = [
        f"room {room.index}: {problem}"
        for room in desired
        if today is not None and (problem := stay_problem(room.checkin, room.checkout, today))
    ]
    if unmapped or money is None or implausible:
        return RevisionPlan(unmapped=tuple(unmapped), blocked=tuple(implausible))

    totals = room_totals(revision)
    creates: list[PmsBookingRequest] = []
    modifies: list[RoomModify] = []
    cancels: list[RoomCancel] = []
    blocked: list[str] = []
    touched: list[Touched] = []
    wanted: set[int] = set()
    for room in desired:
        wanted.add(room.index)
        request = build_request(
            revision, room, room_code=codes[room.index], total=totals[room.index], currency=money
        )
        prior = applied.get(room.index)
        if prior is None or prior.pms_id is None:
            creates.append(request)
            touched.append(stay_of(request))
        elif not prior.active:
            blocked.append(
                f"room {room.index}: PMS booking {prior.pms_id} was cancelled"
                " and the room is back in the booking"
            )
        else:
            changes = diff_request(prior.request, request)
            if changes.is_empty():
                continue
            modifies.append(
                RoomModify(
                    room_index=room.index, pms_id=prior.pms_id, changes=changes, request=request
                )
            )
            if prior.request is None:
                touched.append(stay_of(request))
            elif any(getattr(changes, name) is not None for name in STAY_FIELDS):
                touched += [stay_of(prior.request), stay_of(request)]
    for index, prior in sorted(applied.items()):
        if index not in wanted and prior.active and prior.pms_id is not None:
            cancels.append(
                RoomCancel(
                    room_index=index, pms_id=prior.pms_id, reason=f"room removed at {channel}"
                )
            )
            touched += _old_stay(index, prior, revision, rooms_by_type)
    if blocked:
        return RevisionPlan(blocked=tuple(blocked))
    return RevisionPlan(
        creates=tuple(creates),
        modifies=tuple(modifies),
        cancels=tuple(cancels),
        touched=_unique(touched),
    )


def _cancel_all(
    revision: BookingRevision,
    rooms_by_type: RoomsByType,
    applied: Mapping[int, AppliedRoom],
    reason: str,
) -> RevisionPlan:
    cancels: list[RoomCancel] = []
    touched: list[Touched] = []
    for index, prior in sorted(applied.items()):
        if prior.active and prior.pms_id is not None:
            cancels.append(RoomCancel(room_index=index, pms_id=prior.pms_id, reason=reason))
            touched += _old_stay(index, prior, revision, rooms_by_type)
    return RevisionPlan(cancels=tuple(cancels), touched=_unique(touched))


def _old_stay(
    index: int, prior: AppliedRoom, revision: BookingRevision, rooms_by_type: RoomsByType
) -> list[Touched]:
    """The stay a cancelled room held: from what we applied, else (imported) the revision."""
    if prior.request is not None:
        return [stay_of(prior.request)]
    room = next((r for r in revision.rooms if r.index == index), None)
    if room is None or room.room_type_id is None:
        return []
    code = rooms_by_type(room.room_type_id)
    return [] if code is None else [_stay(code, room.checkin, room.checkout)]


def stay_problem(checkin: date, checkout: date, today: date) -> str | None:
    """Why a stay cannot be a real booking seen on `today`, or None."""
    nights = (checkout - checkin).days
    if nights > MAX_STAY_NIGHTS:
        return f"stay of {nights} nights is longer than {MAX_STAY_NIGHTS}"
    if checkout < today - timedelta(days=MAX_DAYS_PAST):
        return f"stay ended {checkout}, more than {MAX_DAYS_PAST} days ago"
    if checkin > today + timedelta(days=MAX_DAYS_AHEAD):
        return f"stay starts {checkin}, more than {MAX_DAYS_AHEAD} days ahead"
    return None


def build_request(
    revision: BookingRevision, room: RevisionRoom, *, room_code: str, total: Decimal, currency: str
) -> PmsBookingRequest:
    guest_name = revision.guest.name.strip() or "Guest " + (
        revision.unique_id or revision.ota_reservation_code or revision.booking_id
    )
    return PmsBookingRequest(
        room_code=room_code,
        checkin=room.checkin,
        checkout=room.checkout,
        guest_name=guest_name,
        guest_email=revision.guest.email,
        guest_phone=revision.guest.phone,
        adults=room.adults,
        children=room.children,
        total=total,
        currency=currency,
        channel=revision.ota_name or DEFAULT_CHANNEL,
        ota_code=revision.unique_id or revision.ota_reservation_code,
        channex_booking_id=revision.booking_id,
        channex_revision_id=revision.id,
        room_index=room.index,
        notes=revision.notes,
    )


def room_totals(revision: BookingRevision) -> dict[int, Decimal]:
    """Each live room's total: its own amount, or an even split of what the booking amount
    leaves for the rooms without one (to the cent; the remainder goes to the first of them)."""
    rooms = [room for room in revision.rooms if not room.is_cancelled]
    totals = {r.index: r.amount.quantize(CENT) for r in rooms if r.amount is not None}
    missing = [r.index for r in rooms if r.amount is None]
    if not missing:
        return totals
    booking = (revision.amount or Decimal(0)).quantize(CENT)
    rest = max(booking - sum(totals.values(), Decimal(0)), Decimal(0))
    share = (rest / len(missing)).quantize(CENT, rounding=ROUND_DOWN)
    for index in missing:
        totals[index] = share
    totals[missing[0]] += rest - share * len(missing)
    return totals


def diff_request(old: PmsBookingRequest | None, new: PmsBookingRequest) -> PmsBookingChanges:
    """The fields of `new` that differ from `old` (all of them when `old` is unknown). A phone
    that disappeared is not cleared: the PMS keeps the one it has."""
    changed: dict[str, Any] = {}
    for name in CHANGE_FIELDS:
        value = getattr(new, name)
        if value is not None and (old is None or getattr(old, name) != value):
            changed[name] = value
    return PmsBookingChanges(**changed)


def stay_of(request: PmsBookingRequest) -> Touched:
    return _stay(request.room_code, request.checkin, request.checkout)


def _stay(room_code: str, checkin: date, checkout: date) -> Touched:
    return Touched(room_code=room_code, date_from=checkin, date_to=max(checkin, checkout))


def _unique(items: list[Touched]) -> tuple[Touched, ...]:
    return tuple(dict.fromkeys(items))
