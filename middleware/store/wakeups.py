"""Wake-ups: work a person asked for now, recorded by the web, run by the worker.

The web process does no booking processing, feed reading or parity pass of its own: the admin
routes record what was asked (`ask`: the work, who asked, when) and answer at once. The
worker's `wakeups` loop takes every open wake-up of a kind together (`claim`: atomic, with a
lease, so two workers never run the same one and a worker that died mid-way leaves it to be
taken again once the lease runs out), runs that work once for all of them and records its
result (`finish`). `get` is what `GET /admin/wakeups/{id}` answers with.

Some work is about one thing (`subject`: the revision whose ack is owed, the calendar month to
read back): the worker runs it once per subject, and `latest` finds the newest ask about one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, get_args

# in the order a worker runs them: what the feed finds, the booking pass asked with it applies
Work = Literal[
    "poll_feed", "process_bookings", "parity_check", "ack_handled", "read_back", "read_catalog"
]
# the work that is about one thing, run once per subject
BY_SUBJECT: tuple[Work, ...] = ("ack_handled", "read_back")
WORKS: tuple[Work, ...] = get_args(Work)


@dataclass(frozen=True, slots=True, kw_only=True)
class Wakeup:
    id: int
    work: Work
    asked_by: str
    asked_at: datetime
    taken_until: datetime | None
    done_at: datetime | None
    result: str | None  # the work's report, JSON text
    subject: str | None = None  # what the work is about (`BY_SUBJECT`), else None


class Wakeups(Protocol):
    """The wakeups operations a store backend provides."""

    async def ask(self, work: Work, *, by: str, now: datetime, subject: str | None = None) -> int:
        """Record that `by` asked for `work` (about `subject`) now; returns the wake-up's id."""

    async def claim(self, work: Work, now: datetime, *, lease_s: float) -> list[int]:
        """Take every open wake-up of `work` (not done, not held by a live lease); their ids."""

    async def finish(self, ids: list[int], now: datetime, *, result: str) -> None:
        """The work those wake-ups asked for ran: record when and what it found."""

    async def get(self, wakeup_id: int) -> Wakeup | None: ...

    async def latest(self, work: Work, subject: str, *, done: bool = False) -> Wakeup | None:
        """The newest wake-up of `work` about `subject` (`done`: the newest one finished)."""
