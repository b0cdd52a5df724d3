"""Booking revisions → PMS bookings: the pure planning step.

A Channex revision carries the FULL state of a booking. `plan_revision` finds which applied
PMS booking each room is (`room_identity.match_rooms`), builds each room's whole request
(`pms_request.build_request`, money by `booking_money`), and returns what to do: rooms to
create, rooms to modify (naming the fields that changed), rooms to cancel (the fee on the
room that carries the booking), rooms whose identity alone changed (stored, no PMS call),
and the categorias and nights whose availability that changes. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from middleware.domain.attention import ParkReason
from middleware.domain.booking_money import cancellation_fee, room_totals
from middleware.domain.channels import channel_name
from middleware.domain.pms_booking import CHANGEABLE_FIELDS, STAY_FIELDS, PmsBookingRequest
from middleware.domain.pms_request import RoomPlace, build_request
from middleware.domain.revision import BookingRevision, Person, RevisionRoom
from middleware.domain.room_identity import AppliedRoom, match_rooms

# Stays no real booking has (hostile or broken input): the revision is parked, not applied.
MAX_STAY_NIGHTS = 366
MAX_DAYS_PAST = 366  # the stay ended longer ago than this
MAX_DAYS_AHEAD = 1096  # the stay starts later than this (Channex keeps at most 730 days)

RoomsByType = Callable[[str], str | None]  # Channex room type id → room code
PlansByRate = Callable[[str], str | None]  # Channex rate plan id → plan code


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomModify:
    room_index: int  # the slot
    pms_id: str
    changed: tuple[str, ...]  # fields of `request` that differ from what the PMS holds
    request: PmsBookingRequest  # the full new state, stored once the PMS accepts the changes


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomCancel:
    room_index: int
    pms_id: str
    reason: str
    fee: Decimal | None = None  # what the hotel still receives (on the primary room only)
    currency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomRecord:
    """A room whose PMS booking needs nothing, but whose Channex ids changed: stored only."""

    room_index: int
    pms_id: str
    request: PmsBookingRequest


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Touched:
    """A categoria whose availability changed on the nights from `date_from` up to `date_to`
    EXCLUSIVE (`date_to` is the checkout day: the last night is `date_to` minus one day)."""

    room_code: str
    date_from: date
    date_to: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Why a revision cannot be applied: the park reason, a technical text and the details
    its plain wording needs (`attention.describe_park`)."""

    reason: ParkReason
    text: str
    details: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionPlan:
    stale: bool = False
    creates: tuple[PmsBookingRequest, ...] = ()
    modifies: tuple[RoomModify, ...] = ()
    cancels: tuple[RoomCancel, ...] = ()
    records: tuple[RoomRecord, ...] = ()
    unmapped: tuple[Problem, ...] = ()  # mapping problems: nothing may be applied
    blocked: tuple[Problem, ...] = ()  # other problems a person must resolve: nothing applied
    touched: tuple[Touched, ...] = ()
    notes: tuple[str, ...] = ()  # applied anyway, but worth a warning

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
    plans_by_rate: PlansByRate | None = None,
) -> RevisionPlan:
    """What applying `revision` takes. `currency` is the property's, used when the revision
    has none; `last_revision_id` is the revision last applied to this booking; with `today`
    (the hotel's), a stay no real booking has blocks the revision (`stay_problem`)."""
    if last_inserted_at is not None and revision.inserted_at < last_inserted_at:
        return RevisionPlan(stale=True)
    if revision.id == last_revision_id:
        return RevisionPlan()
    channel = channel_name(revision.ota_name)
    if revision.status == "cancelled":
        return _cancel_all(revision, rooms_by_type, applied, f"cancelled at {channel}", currency)

    desired = [room for room in revision.rooms if not room.is_cancelled]
    codes: dict[int, str] = {}
    unmapped: list[Problem] = []
    for room in desired:
        if room.room_type_id is None:
            text = f"room {room.index}: room type missing (unmapped at the OTA)"
            unmapped.append(Problem(reason=ParkReason.ROOM_UNMAPPED_AT_OTA, text=text))
        elif (code := rooms_by_type(room.room_type_id)) is None:
            text = f"room {room.index}: room type {room.room_type_id} is not mapped"
            details = (("room_type_id", room.room_type_id),)
            unmapped.append(
                Problem(reason=ParkReason.ROOM_TYPE_NOT_MAPPED, text=text, details=details)
            )
        else:
            codes[room.index] = code
    money = revision.currency or currency
    if money is None:
        text = "currency missing (neither the revision nor the property has one)"
        unmapped.append(Problem(reason=ParkReason.CURRENCY_MISSING, text=text))
    implausible = [
        Problem(
            reason=ParkReason.STAY_IMPLAUSIBLE,
            text=f"room {room.index}: {problem}",
            details=(("problem", problem),),
        )
        for room in desired
        if today is not None and (problem := stay_problem(room.checkin, room.checkout, today))
    ]
    if unmapped or money is None or implausible:
        return RevisionPlan(unmapped=tuple(unmapped), blocked=tuple(implausible))
    return _plan_rooms(
        revision, desired, codes, applied, money, plans_by_rate, rooms_by_type, channel
    )


def _plan_rooms(
    revision: BookingRevision,
    desired: list[RevisionRoom],
    codes: dict[int, str],
    applied: Mapping[int, AppliedRoom],
    currency: str,
    plans_by_rate: PlansByRate | None,
    rooms_by_type: RoomsByType,
    channel: str,
) -> RevisionPlan:
    matched = match_rooms(desired, applied, lambda room: codes.get(room.index))
    slots = _slots(desired, matched, applied)
    primary = min(desired, key=lambda room: slots[room.index]).index if desired else None
    money = room_totals(revision, currency=currency, primary=primary)
    notes = [money.problem] if money.problem else []
    creates: list[PmsBookingRequest] = []
    modifies: list[RoomModify] = []
    records: list[RoomRecord] = []
    blocked: list[Problem] = []
    touched: list[Touched] = []
    for room in desired:
        plan_code = _plan_code(room, plans_by_rate, notes)
        place = RoomPlace(
            slot=slots[room.index],
            primary=room.index == primary,
            rooms=len(desired),
            total=money.totals[room.index],
        )
        request = build_request(
            revision,
            room,
            place=place,
            room_code=codes[room.index],
            plan_code=plan_code,
            currency=currency,
        )
        prior = applied.get(place.slot)  # None for a new slot
        if prior is not None and prior.request is not None:
            request = _keep_known(prior.request, request)
        if prior is None or prior.pms_id is None:
            creates.append(request)
            touched.append(stay_of(request))
        elif not prior.active:
            blocked.append(
                Problem(
                    reason=ParkReason.ROOM_BACK_AFTER_CANCEL,
                    text=f"room {room.index}: PMS booking {prior.pms_id} was cancelled"
                    " and the room is back in the booking",
                    details=(("pms_id", prior.pms_id),),
                )
            )
        elif changed := diff_fields(prior.request, request):
            modifies.append(
                RoomModify(
                    room_index=place.slot, pms_id=prior.pms_id, changed=changed, request=request
                )
            )
            if prior.request is None:
                touched.append(stay_of(request))
            elif any(name in changed for name in STAY_FIELDS):
                touched += [stay_of(prior.request), stay_of(request)]
        elif prior.request is not None and _ids(prior.request) != _ids(request):
            records.append(RoomRecord(room_index=place.slot, pms_id=prior.pms_id, request=request))
    cancels: list[RoomCancel] = []
    kept = set(matched.values())
    for slot, prior in sorted(applied.items()):
        if slot not in kept and prior.active and prior.pms_id is not None:
            reason = f"room removed at {channel}"
            cancels.append(RoomCancel(room_index=slot, pms_id=prior.pms_id, reason=reason))
            touched += [stay_of(prior.request)] if prior.request is not None else []
    if blocked:
        return RevisionPlan(blocked=tuple(blocked))
    return RevisionPlan(
        creates=tuple(creates),
        modifies=tuple(modifies),
        cancels=tuple(cancels),
        records=tuple(records),
        touched=_unique(touched),
        notes=tuple(notes),
    )


def _slots(
    desired: list[RevisionRoom], matched: dict[int, int], applied: Mapping[int, AppliedRoom]
) -> dict[int, int]:
    """Each room's slot: the one it matched, else the next unused one (a new PMS booking)."""
    following = max(applied, default=-1) + 1
    slots: dict[int, int] = {}
    for room in desired:
        if room.index in matched:
            slots[room.index] = matched[room.index]
        else:
            slots[room.index] = following
            following += 1
    return slots


def _plan_code(
    room: RevisionRoom, plans_by_rate: PlansByRate | None, notes: list[str]
) -> str | None:
    if plans_by_rate is None or room.rate_plan_id is None:
        return None
    code = plans_by_rate(room.rate_plan_id)
    if code is None:
        notes.append(f"room {room.index}: rate plan {room.rate_plan_id} is not mapped")
    return code


def _keep_known(old: PmsBookingRequest, new: PmsBookingRequest) -> PmsBookingRequest:
    """The booker's details the OTA stopped sending stay what the PMS has (never cleared)."""
    if old.booker is None or new.booker is None:
        return new
    kept = {
        name: getattr(old.booker, name)
        for name in Person.__dataclass_fields__
        if not getattr(new.booker, name)
    }
    return replace(new, booker=replace(new.booker, **kept))


def _ids(request: PmsBookingRequest) -> tuple[str | None, str | None]:
    return request.booking_room_id, request.ota_unique_id


def _cancel_all(
    revision: BookingRevision,
    rooms_by_type: RoomsByType,
    applied: Mapping[int, AppliedRoom],
    reason: str,
    currency: str | None,
) -> RevisionPlan:
    """Cancel every live room; the fee goes on the first live slot (the primary room)."""
    fee = cancellation_fee(revision)
    cancels: list[RoomCancel] = []
    touched: list[Touched] = []
    for slot, prior in sorted(applied.items()):
        if prior.active and prior.pms_id is not None:
            first = not cancels
            cancels.append(
                RoomCancel(
                    room_index=slot,
                    pms_id=prior.pms_id,
                    reason=reason,
                    fee=fee if first else None,
                    currency=(revision.currency or currency) if first and fee else None,
                )
            )
            touched += _old_stay(slot, prior, revision, rooms_by_type)
    return RevisionPlan(cancels=tuple(cancels), touched=_unique(touched))


def _old_stay(
    slot: int, prior: AppliedRoom, revision: BookingRevision, rooms_by_type: RoomsByType
) -> list[Touched]:
    """The stay a cancelled room held: from what we applied, else (imported) the revision's
    room at that position."""
    if prior.request is not None:
        return [stay_of(prior.request)]
    room = next((r for r in revision.rooms if r.index == slot), None)
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


def diff_fields(old: PmsBookingRequest | None, new: PmsBookingRequest) -> tuple[str, ...]:
    """The fields of `new` that differ from `old` (all set ones when `old` is unknown). A
    value that disappeared (a phone, an arrival hour) is not cleared: the PMS keeps its own."""
    return tuple(
        name
        for name in CHANGEABLE_FIELDS
        if (value := getattr(new, name)) is not None
        and (old is None or getattr(old, name) != value)
    )


def stay_of(request: PmsBookingRequest) -> Touched:
    return _stay(request.room_code, request.checkin, request.checkout)


def _stay(room_code: str, checkin: date, checkout: date) -> Touched:
    return Touched(room_code=room_code, date_from=checkin, date_to=max(checkin, checkout))


def _unique(items: list[Touched]) -> tuple[Touched, ...]:
    return tuple(dict.fromkeys(items))
