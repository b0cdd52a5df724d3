"""Bounded storage on PostgreSQL (`store/prune.py`'s rules and report; read its docstring
for what is pruned and what never is). Rows go in batches of `BATCH_ROWS` by each table's
key, each batch its own short transaction. The cutoff is the caller's, used as given."""

from __future__ import annotations

from datetime import datetime

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.prune import BATCH_ROWS, PruneReport, cutoff_for

# table -> (its key, the condition (`%(cutoff)s`) a row must meet to be removed)
RULES: dict[str, tuple[str, str]] = {
    "http_calls": ("id", "at < %(cutoff)s"),
    "pushes": (
        "id",
        "status != 'claimed' AND finished_at IS NOT NULL AND finished_at < %(cutoff)s",
    ),
    "webhook_events": (
        "id",
        "received_at < %(cutoff)s AND status != 'received' AND (revision_id IS NULL"
        " OR NOT EXISTS (SELECT 1 FROM revisions r WHERE r.revision_id = t.revision_id"
        " AND r.status IN ('pending', 'applied', 'parked')))",
    ),
    "notices": ("id", "resolved_at IS NOT NULL AND resolved_at < %(cutoff)s"),
    "sync_requests": (
        "id",
        "status = 'done' AND finished_at IS NOT NULL AND finished_at < %(cutoff)s",
    ),
    "wakeups": ("wakeup_id", "done_at IS NOT NULL AND done_at < %(cutoff)s"),
}


class PostgresPrune:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def prune(
        self,
        cutoff: datetime,
        *,
        work_cutoff: datetime | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> PruneReport:
        """Remove what `RULES` allow of rows older than their table's cutoff; the counts."""
        removed: dict[str, int] = {}
        for table, (key, condition) in RULES.items():
            table_cutoff = cutoff_for(table, cutoff, work_cutoff)
            count = 0
            while True:
                deleted = await self.db.execute(
                    f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} AS t"  # noqa: S608 - constants
                    f" WHERE {condition} LIMIT %(limit)s)",
                    {"cutoff": table_cutoff, "limit": batch_rows},
                )
                count += deleted
                if deleted < batch_rows:
                    break
            removed[table] = count
        return PruneReport(removed=removed)
