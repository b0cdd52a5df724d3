"""How long a finished booking is remembered, and what a revision arriving after that is (pure).

A booking is *finished* once its stay has ended and nothing has happened to it for a while:
its departure is more than `keep_days` behind (plus a day, so the hotel's own date has passed
it whatever its timezone) and no row of it changed for `keep_days`. Its per-booking rows are
then removed (`store.retention`), and a `Tombstone` is kept: enough to recognise the booking
when Channex names it again. A revision for a tombstoned booking (a late modification or
cancellation, a duplicate of an old webhook) is never applied: with the booking map gone, the
plan would create the booking in the PMS again. It parks as `ParkReason.BOOKING_FORGOTTEN`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from middleware.domain.attention import ParkReason
from middleware.domain.booking_plan import Problem

TIMEZONE_SLACK = timedelta(days=1)  # UTC-12 .. UTC+14: the hotel's date is within a day of UTC's
UNKNOWN_DEPARTURE = "an unknown date"


@dataclass(frozen=True, slots=True, kw_only=True)
class Tombstone:
    """What is kept of a forgotten booking."""

    channex_booking_id: str
    property_id: str | None
    ota_code: str | None
    departure: date | None  # None: no stay was ever read for it
    forgotten_at: datetime
    last_revision_id: str | None  # the latest revision seen before it was forgotten


@dataclass(frozen=True, slots=True, kw_only=True)
class Cutoffs:
    """A booking is finished when it departed before `departed_before` and none of its rows
    changed since `idle_since`."""

    departed_before: date
    idle_since: datetime


def cutoffs(now: datetime, keep_days: int) -> Cutoffs:
    """The cutoffs for `keep_days` of retention at `now` (UTC-aware)."""
    if keep_days < 1:
        raise ValueError("keep_days must be >= 1")
    keep = timedelta(days=keep_days)
    return Cutoffs(departed_before=(now - keep - TIMEZONE_SLACK).date(), idle_since=now - keep)


def late_revision(tombstone: Tombstone, revision_id: str) -> Problem:
    """Why a revision of a forgotten booking is parked, not applied."""
    departure = tombstone.departure.isoformat() if tombstone.departure else UNKNOWN_DEPARTURE
    forgotten = tombstone.forgotten_at.date().isoformat()
    again = revision_id == tombstone.last_revision_id
    text = (
        f"booking {tombstone.channex_booking_id} was forgotten on {forgotten} (departure"
        f" {departure}, last revision seen {tombstone.last_revision_id or 'none'});"
        + (" this revision was seen before it" if again else " this revision is new")
        + ": not applied"
    )
    return Problem(
        reason=ParkReason.BOOKING_FORGOTTEN,
        text=text,
        details=(("departure", departure), ("forgotten_at", forgotten)),
    )
