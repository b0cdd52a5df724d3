"""Retention of finished bookings: their per-booking rows go, a tombstone stays.

A booking (a Channex booking id in the booking map or in the revision queue) is forgotten when
`domain.retention.cutoffs` say it is finished — every stay it ever had (each room's last PMS
request, each fetched revision's facts) departed before `departed_before`, and none of its
rows changed since `idle_since` — and no work of it is left:
- every revision is final (`acked`, `stale`, `handled`, `unknown`) and none is leased;
- no revision closed by hand still owes its ack at Channex (`revision_handling`);
- every room has its PMS booking id and a stored request (a create sent without its answer is
  in flight; a room imported from the legacy store has no known stay, and stays);
- no open notice names the booking or one of its revisions (a person has not dealt with it).
Then, in one transaction per batch of `BATCH_BOOKINGS`: a tombstone is written
(`forgotten_bookings`) and its rows in `bookings`, `booking_rooms`, `revisions`,
`revision_facts` and `revision_handling` are deleted. Webhook events and resolved notices are
the audit trail, pruned by age (`store.prune`). The candidates are chosen inside the
transaction, which holds the write lock: a revision arriving meanwhile waits, and is then seen.

A revision for a tombstoned booking is parked by the booking processor (`tombstone`).
The SQLite implementation is `store.sqlite.retention`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from middleware.domain.retention import Cutoffs, Tombstone

BATCH_BOOKINGS = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionReport:
    forgotten: int  # bookings that became tombstones
    removed: dict[str, int]  # table -> rows removed


class Retention(Protocol):
    """The bookings retention operations a store backend provides."""

    async def forget_finished(
        self, cut: Cutoffs, now: datetime, *, batch_bookings: int = BATCH_BOOKINGS
    ) -> RetentionReport:
        """Tombstone every finished booking with no work left, a batch per transaction."""

    async def tombstone(self, channex_booking_id: str) -> Tombstone | None:
        """What is kept of the booking if it was forgotten; None if it never was."""

    async def forgotten_count(self) -> int:
        """How many bookings have a tombstone."""

    async def count_finished(self, cut: Cutoffs, now: datetime) -> int:
        """Bookings `forget_finished` would forget now (the soak checks none is left over)."""
