"""Which PMS booking is which room (contract §2.2, "Which PMS booking is which room").

Channex sends the whole booking in every revision, and its room list can be reordered, shrink
or grow. A room of a new revision is the same room as an applied one (a *slot*: one PMS
booking, keyed by the index it was created with) when, in this order:
1. its `booking_room_id` matches;
2. its `ota_unique_id` matches (Channex changes `booking_room_id` between revisions of one
   reservation while Booking.com's room id stays);
3. its room type, dates and occupancy are unchanged;
4. what is left is paired by position.
Steps 3 and 4 never pair two rooms whose `ota_unique_id`s are both known and differ.
Steps 3 and 4 pair with live slots only; a room may pair with a cancelled slot by its ids, or
by position when no slot is live at all (the whole booking was cancelled and comes back): a
person must then look, since that PMS booking's key is spent. Pure: values in, values out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from middleware.domain.pms_booking import PmsBookingRequest
from middleware.domain.revision import RevisionRoom

Rule = Callable[["RevisionRoom", "AppliedRoom"], bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class AppliedRoom:
    """What the store says we applied for one slot (`request` None = imported)."""

    pms_id: str | None
    active: bool
    request: PmsBookingRequest | None = None


def match_rooms(
    rooms: Sequence[RevisionRoom],
    applied: Mapping[int, AppliedRoom],
    room_code: Callable[[RevisionRoom], str | None],
) -> dict[int, int]:
    """Revision room index → the slot it is; rooms absent from the answer are new."""
    matched: dict[int, int] = {}
    free = dict(sorted(applied.items()))

    def pair(rule: Callable[[RevisionRoom, AppliedRoom], bool]) -> None:
        for room in rooms:
            if room.index in matched:
                continue
            slot = next((s for s, prior in free.items() if rule(room, prior)), None)
            if slot is not None:
                matched[room.index] = slot
                del free[slot]

    def live(rule: Callable[[RevisionRoom, AppliedRoom], bool]) -> Rule:
        return lambda room, prior: prior.active and rule(room, prior)

    pair(_same_id("booking_room_id"))
    pair(_same_id("ota_unique_id"))
    pair(live(lambda room, prior: _same_stay(room, prior, room_code(room))))
    pair(live(_may_be_same))
    if not any(prior.active for prior in applied.values()):
        pair(_may_be_same)
    return matched


def _same_id(name: str) -> Rule:
    """A rule: the room's `name` id is known and equals the one applied."""

    def same(room: RevisionRoom, prior: AppliedRoom) -> bool:
        ours = getattr(room, name)
        return (
            prior.request is not None and ours is not None and getattr(prior.request, name) == ours
        )

    return same


def _may_be_same(room: RevisionRoom, prior: AppliedRoom) -> bool:
    """False when the OTA's own room ids say two rooms differ (Booking.com's stay put)."""
    request = prior.request
    return (
        request is None
        or room.ota_unique_id is None
        or request.ota_unique_id is None
        or room.ota_unique_id == request.ota_unique_id
    )


def _same_stay(room: RevisionRoom, prior: AppliedRoom, code: str | None) -> bool:
    request = prior.request
    return (
        _may_be_same(room, prior)
        and request is not None
        and code is not None
        and (request.room_code, request.checkin, request.checkout)
        == (code, room.checkin, room.checkout)
        and (request.adults, request.children, request.infants)
        == (room.adults, room.children, room.infants)
    )
