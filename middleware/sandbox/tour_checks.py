"""The tour's checks: what a step's request log must show, as (what must hold, what was seen).

Each function takes the step's `StepLog` (and what the step expects) and returns `Check`s:
`seen` is None when the expectation held, else a short description of what happened instead.
ARI values are expanded back into cells (`encode.expand_values`), so a check compares the
exact dates and fields Channex was told, however the values were range-compressed.
"""

from __future__ import annotations

from datetime import date, timedelta

from middleware.domain import encode
from middleware.domain.models import Cells, Kind
from middleware.sandbox.pms_api import RecordedRequest as PmsCall
from middleware.sandbox.pms_state import Booking
from middleware.sandbox.system_emulators import SANDBOX
from middleware.sandbox.tour_log import StepLog

Check = tuple[str, str | None]  # (what must hold, None if it held else what was seen)
SHOWN_CELLS = 4


def days(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, inclusive."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def nights(checkin: date, checkout: date) -> list[date]:
    return days(checkin, checkout - timedelta(days=1))


def pushed(log: StepLog, kind: Kind, currency: str) -> tuple[int, Cells]:
    """How many accepted calls to the endpoint, and the cells they wrote (later wins)."""
    bodies = log.ari_bodies(kind)
    cells: Cells = {}
    for body in bodies:
        cells.update(encode.expand_values(kind, body["values"], currency=currency))
    return len(bodies), cells


def describe(cells: Cells) -> str:
    """A short, stable text of some cells for a failure message."""
    items = sorted(cells.items())
    shown = ", ".join(f"{k.day}:{v}" for k, v in items[:SHOWN_CELLS])
    more = ", …" if len(items) > SHOWN_CELLS else ""
    return f"{len(items)} cells [{shown}{more}]"


def one_call(log: StepLog, kind: Kind, want: Cells, what: str, currency: str) -> list[Check]:
    """Exactly one call to `kind` writing exactly `want`, none to the other endpoint, and
    every Channex call answered 200."""
    other: Kind = "restrictions" if kind == "availability" else "availability"
    calls, cells = pushed(log, kind, currency)
    stray, _ = pushed(log, other, currency)
    refused = [c for c in log.channex if c.status != 200]
    return [
        (f"exactly one /{kind} call", None if calls == 1 else f"{calls} calls"),
        (what, None if cells == want else f"got {describe(cells)}, want {describe(want)}"),
        (f"no /{other} call", None if stray == 0 else f"{stray} calls"),
        ("every Channex call answered 200", f"{len(refused)} did not" if refused else None),
    ]


def revision_handled(log: StepLog, revision_id: str) -> list[Check]:
    """The webhooks came with the secret header and were taken; the revision was fetched by
    id and acked once."""
    fetched = log.channex_calls("GET", f"/booking_revisions/{revision_id}")
    acks = log.channex_calls("POST", f"/booking_revisions/{revision_id}/ack")
    taken = [d for d in log.deliveries if d.status == 200 and SANDBOX.secret_header in d.headers]
    delivered = bool(taken) and len(taken) == len(log.deliveries)
    answers = [d.status for d in log.deliveries]
    return [
        ("webhooks carry the secret header, answered 200", None if delivered else f"{answers}"),
        ("the revision fetched by id", None if fetched else "no GET of the revision"),
        ("the revision acked exactly once", None if len(acks) == 1 else f"{len(acks)} acks"),
    ]


def booking_is(booking: Booking | None, room: str, stay: tuple[date, date], status: str) -> Check:
    if booking is None:
        return ("one sistema-os booking for the OTA booking", "none or several")
    got = (booking.categoria, booking.checkin, booking.checkout, booking.status)
    ok = got == (room, *stay, status) and bool(booking.apartamento)
    return (f"sistema-os booking {status} with an apartment", None if ok else f"{got}")


def answered(calls: list[PmsCall], status: int) -> str | None:
    """None when there was exactly one call and it was answered `status`."""
    statuses = [c.status for c in calls]
    return None if statuses == [status] else f"answers {statuses}"


def full_sync(log: StepLog) -> list[Check]:
    counts = {kind: len(log.ari_bodies(kind)) for kind in ("availability", "restrictions")}
    seen = None if counts == {"availability": 1, "restrictions": 1} else f"{counts}"
    return [("one /availability and one /restrictions call", seen)]
