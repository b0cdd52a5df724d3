"""Bounded storage: the audit trail and finished work older than a cutoff are removed.

Pruned: outbound HTTP calls (`http_calls`), finished pushes, webhook events and resolved
notices — the audit trail — older than the cutoff (`PRUNE_AFTER_DAYS`); finished sync requests
and done wake-ups — a record of work nobody reads once its asker has seen it done — older than
the work cutoff (`PRUNE_WORK_AFTER_HOURS`): a PMS that notifies every change makes one sync
request per notice and hotel, about 60 a second in the 200-hotel storm of
`scripts/bench_properties.py`, which a 30-day cutoff would keep by the hundred million. Never
pruned, whatever their age: a push still claimed, a webhook event whose revision is not finished
(pending, applied but not acked, or parked), an open notice (a person has not dealt with it), a
sync request or a wake-up not done — nor the booking map, revisions (the dedup keys), the
outbox or the ARI state, which are the working state, not a record of it. Rows go in batches of
`BATCH_ROWS`, each its own short transaction, so a large first prune never holds the
database for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

BATCH_ROWS = 5000

# table -> the condition (one `?`: the cutoff) a row must meet to be removed
RULES: dict[str, str] = {
    "http_calls": "at < ?",
    "pushes": "status != 'claimed' AND finished_at IS NOT NULL AND finished_at < ?",
    "webhook_events": (
        "received_at < ? AND status != 'received' AND (revision_id IS NULL OR NOT EXISTS"
        " (SELECT 1 FROM revisions r WHERE r.revision_id = webhook_events.revision_id"
        " AND r.status IN ('pending', 'applied', 'parked')))"
    ),
    "notices": "resolved_at IS NOT NULL AND resolved_at < ?",
    "sync_requests": "status = 'done' AND finished_at IS NOT NULL AND finished_at < ?",
    "wakeups": "done_at IS NOT NULL AND done_at < ?",
}


# the tables of finished work, pruned at the work cutoff
WORK_TABLES = frozenset({"sync_requests", "wakeups"})


def cutoff_for(table: str, cutoff: datetime, work_cutoff: datetime | None) -> datetime:
    """A table's cutoff: the work cutoff for `WORK_TABLES` when given — never keeping work
    longer than the audit trail — else `cutoff`."""
    if table in WORK_TABLES and work_cutoff is not None:
        return max(cutoff, work_cutoff)
    return cutoff


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneReport:
    removed: dict[str, int]  # table -> rows removed

    @property
    def total(self) -> int:
        return sum(self.removed.values())


class Prune(Protocol):
    """The prune operations a store backend provides."""

    async def prune(
        self,
        cutoff: datetime,
        *,
        work_cutoff: datetime | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> PruneReport:
        """Remove what `RULES` allow of rows older than their table's cutoff (`cutoff_for`);
        returns the counts per table."""
