"""The chaos oracle: after the faults stop and the system is quiet, is everything right?

It reads the two emulators' own state and the middleware's database (read-only) and uses none
of the middleware's parsing, planning or encoding, so it checks them rather than repeats them:
- bookings: every Channex revision acked, or parked in the middleware with a reason, an open
  notice and a place in `/status` (a full hotel is a legitimate outcome, a silent one is not);
  never acked while the middleware still holds it; at most one PMS booking per Channex booking
  room, and for a booking with nothing parked exactly the rooms of its newest revision (dates,
  categoria, CANCELADA iff cancelled or removed); no PMS booking for an unknown Channex booking;
- ARI: Channex holds the PMS's availability, rates and restrictions on every cell of the
  horizon, except cells the middleware dead-lettered with a reason (a parked booking is no
  exception: the nights Channex took for it must be given back to the PMS's values);
- rate limit: no window of any lane ever held more than the limit, counting the calls
  Channex accepted and, separately, every call the middleware made — in the drift variant
  its read-backs (GETs) too, as if Channex counted them (undocumented, so assumed);
- in the drift variant, Channex was brought back to the PMS by reconciliation alone: no full
  sync after the go-live one;
- the middleware's queues: nothing left pending, every dead letter says why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from middleware.domain.mapping import Mapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.channex_limits import max_calls_in_window
from middleware.sandbox.chaos_snapshot import MiddlewareSnapshot
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.pms_state import CANCELLED, CONFIRMED
from middleware.sandbox.pms_state import Booking as PmsBooking

ARI_PATHS = ("/availability", "/restrictions")
RESTRICTION_FIELDS = (
    "min_stay_arrival",
    "min_stay_through",
    "max_stay",
    "closed_to_arrival",
    "closed_to_departure",
    "stop_sell",
)
SHOWN = 8  # differences listed per check before "... and N more"


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    channex: ChannexEmulator
    pms: PmsEmulator
    mapping: Mapping
    snapshot: MiddlewareSnapshot
    attention: frozenset[str]  # revision ids `/status` lists as needing attention
    today: date
    horizon_days: int
    rate_limit: int
    full_syncs_allowed: int | None = None  # the drift variant: only the go-live one
    reads_count: bool = False  # the drift variant: GETs count against the limit too


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    violations: tuple[str, ...]
    parked_bookings: int
    excluded_cells: int  # ARI cells not compared (dead-lettered with a reason)
    max_accepted_in_window: int
    max_attempts_in_window: int


def judge(e: Evidence) -> Verdict:
    parked = _parked_bookings(e)
    ari, excluded = _ari_violations(e)
    accepted, attempts, rate = _rate_violations(e)
    return Verdict(
        violations=tuple(_booking_violations(e, parked) + ari + rate + _queue_violations(e)),
        parked_bookings=len(parked),
        excluded_cells=excluded,
        max_accepted_in_window=accepted,
        max_attempts_in_window=attempts,
    )


def _parked_bookings(e: Evidence) -> set[str]:
    return {
        booking.id
        for booking in e.channex.state.bookings.values()
        for rid in booking.revision_ids
        if (record := e.snapshot.revisions.get(rid)) is not None and record.status == "parked"
    }


def _limited(problems: list[str]) -> list[str]:
    if len(problems) <= SHOWN:
        return problems
    return [*problems[:SHOWN], f"... and {len(problems) - SHOWN} more like these"]


# ---------------------------------------------------------------------------- bookings


def _booking_violations(e: Evidence, parked: set[str]) -> list[str]:
    state = e.channex.state
    by_booking: dict[str, list[PmsBooking]] = defaultdict(list)
    problems: list[str] = []
    for row in e.pms.bookings():
        if row.channex_booking_id is None:
            continue
        if row.channex_booking_id not in state.bookings:
            problems.append(f"PMS booking {row.id} names unknown Channex booking")
        by_booking[row.channex_booking_id].append(row)
    for booking in state.bookings.values():
        problems += _revision_problems(e, booking.id, booking.revision_ids)
        rows = by_booking.get(booking.id, [])
        rooms: dict[int | None, list[PmsBooking]] = defaultdict(list)
        for row in rows:
            rooms[row.quarto_indice].append(row)
        for index, same in sorted(rooms.items(), key=lambda item: str(item[0])):
            if len(same) > 1:
                ids = [r.id for r in same]
                problems.append(
                    f"booking {booking.id} room {index}: {len(same)} PMS bookings {ids}"
                )
        if booking.id not in parked:
            newest = state.revisions[booking.revision_ids[-1]]
            problems += _room_problems(e, booking.id, newest, rooms)
    return _limited(problems)


def _revision_problems(e: Evidence, booking_id: str, revision_ids: list[str]) -> list[str]:
    problems = []
    for rid in revision_ids:
        record = e.snapshot.revisions.get(rid)
        status = record.status if record else "unknown to the middleware"
        if rid in e.channex.state.acked:
            if status not in ("acked", "stale"):
                problems.append(f"revision {rid} (booking {booking_id}) acked while {status}")
            continue
        if record is None or record.status != "parked":
            problems.append(f"revision {rid} (booking {booking_id}) not acked, {status}")
            continue
        missing = [
            what
            for what, ok in (
                ("a reason", bool(record.reason)),
                ("an open notice", rid in e.snapshot.open_notice_refs),
                ("a place in /status", rid in e.attention),
            )
            if not ok
        ]
        if missing:
            problems.append(f"revision {rid} parked without " + ", ".join(missing))
    return problems


def _room_problems(
    e: Evidence,
    booking_id: str,
    newest: dict[str, Any],
    rooms: dict[int | None, list[PmsBooking]],
) -> list[str]:
    """The live PMS bookings (one per room index; duplicates are named elsewhere) are exactly
    the newest revision's rooms. Which PMS booking holds which room follows the room-identity
    rule, not the position: rooms pair by equal stay first, what is left in order."""
    cancelled = newest["status"] == "cancelled"
    wanted = [] if cancelled else [r for r in newest["rooms"] if not r["is_cancelled"]]
    want: list[tuple[int, tuple[str | None, date, date]]] = []
    for index, room in enumerate(wanted):
        ref = e.mapping.by_room_type(room["room_type_id"])
        stay = (
            ref.room.room_code if ref else None,
            date.fromisoformat(room["checkin_date"]),
            date.fromisoformat(room["checkout_date"]),
        )
        want.append((index, stay))
    live = [
        same[0]
        for _, same in sorted(rooms.items(), key=lambda item: str(item[0]))
        if same[0].status != CANCELLED
    ]
    unmatched = []
    for index, stay in want:
        row = next((r for r in live if (r.categoria, r.checkin, r.checkout) == stay), None)
        if row is None:
            unmatched.append((index, stay))
        else:
            live.remove(row)
    problems = []
    for index, stay in unmatched:
        if not live:
            problems.append(f"booking {booking_id} room {index}: no PMS booking")
            continue
        row = live.pop(0)
        got = (row.status, row.categoria, row.checkin, row.checkout)
        problems.append(
            f"booking {booking_id} room {index}: PMS {got}, Channex {(CONFIRMED, *stay)}"
        )
    for row in live:
        problems.append(
            f"booking {booking_id} room {row.quarto_indice}: PMS bookings {[row.id]} not cancelled"
        )
    return problems


# ---------------------------------------------------------------------------- ARI


def _excluded(e: Evidence) -> set[tuple[str, date, str]]:
    """(entity id, day, field) the comparison skips, each for a recorded reason."""
    skip = {
        (cell.entity_id, date.fromisoformat(cell.day), cell.field)
        for cell in e.snapshot.dead_cells
        if cell.last_error
    }
    return skip


def _ari_violations(e: Evidence) -> tuple[list[str], int]:
    end = e.today + timedelta(days=e.horizon_days - 1)
    document: dict[str, Any] = e.pms.ari(e.today, end)
    problems: list[str] = []
    skip = _excluded(e)
    skipped = 0
    for prop in e.mapping:
        availability = e.channex.availability(prop.property_id, e.today, end)
        restrictions = e.channex.restrictions(prop.property_id, e.today, end)
        for room in document["room_types"]:
            ref = e.mapping.by_room_code(prop.property_id, room["categoria"])
            if ref is None:
                continue
            plans = {p.plan_code: p.rate_plan_id for p in ref.room.rate_plans}
            for day in room["days"]:
                when = date.fromisoformat(day["date"])
                cells: list[tuple[str, str, object, object]] = [
                    (
                        ref.room.room_type_id,
                        "availability",
                        availability.get(ref.room.room_type_id, {}).get(when),
                        max(0, min(int(day["available"]), int(room["total"]))),
                    )
                ]
                for rate in day.get("rates", []):
                    plan_id = plans.get(rate["plano"])
                    if plan_id is None:
                        continue
                    held = restrictions.get(plan_id, {}).get(when, {})
                    cells.append((plan_id, "rate", _money(held.get("rate")), _money(rate["rate"])))
                    cells += [
                        (plan_id, name, held.get(name), rate[name])
                        for name in RESTRICTION_FIELDS
                        if rate.get(name) is not None
                    ]
                for entity, name, got, want in cells:
                    if (entity, when, name) in skip:
                        skipped += 1
                    elif got != want:
                        problems.append(
                            f"{room['categoria']} {when} {name}: Channex {got}, PMS {want}"
                        )
    return _limited(problems), skipped


def _money(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# ---------------------------------------------------------------------------- rate limit


def _rate_violations(e: Evidence) -> tuple[int, int, list[str]]:
    most_accepted = most_attempts = 0
    problems = []
    for prop in e.mapping:
        for path in ARI_PATHS:
            if e.reads_count:
                times = [
                    r.at
                    for method in ("POST", "GET")
                    for r in e.channex.calls(method, path)
                    if prop.property_id in r.property_ids
                ]
                calls = max_calls_in_window(sorted(times), e.channex.window_s)
                if calls > e.rate_limit:
                    problems.append(
                        f"{path}: the middleware made {calls} calls, read-backs included,"
                        f" in {e.channex.window_s} s"
                    )
            accepted = e.channex.max_calls_in_any_window(prop.property_id, path, accepted_only=True)
            attempts = e.channex.max_calls_in_any_window(prop.property_id, path)
            most_accepted = max(most_accepted, accepted)
            most_attempts = max(most_attempts, attempts)
            window = e.channex.window_s
            if accepted > e.rate_limit:
                problems.append(f"{path}: Channex accepted {accepted} calls in {window} s")
            if attempts > e.rate_limit:
                problems.append(f"{path}: the middleware made {attempts} calls in {window} s")
    return most_accepted, most_attempts, problems


# ---------------------------------------------------------------------------- queues


def _queue_violations(e: Evidence) -> list[str]:
    s = e.snapshot
    problems = [f"left unfinished: {what}" for what in s.busy]
    if e.full_syncs_allowed is not None and s.full_syncs > e.full_syncs_allowed:
        problems.append(
            f"{s.full_syncs} full syncs, {e.full_syncs_allowed} allowed: Channex was to be"
            " brought back to the PMS by reconciliation alone"
        )
    unexplained = [c for c in s.dead_cells if not c.last_error]
    if unexplained:
        problems.append(f"{len(unexplained)} dead-lettered ARI rows without a last_error")
    return problems
