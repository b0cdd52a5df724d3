"""SQLite implementation of `store.prune` (`Prune`)."""

from __future__ import annotations

from datetime import datetime

from middleware.store.prune import BATCH_ROWS, RULES, PruneReport, cutoff_for
from middleware.store.sqlite.db import Database
from middleware.store.stamps import to_db_time


class SqlitePrune:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def prune(
        self,
        cutoff: datetime,
        *,
        work_cutoff: datetime | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> PruneReport:
        removed: dict[str, int] = {}
        for table, condition in RULES.items():
            stamp = to_db_time(cutoff_for(table, cutoff, work_cutoff))
            count = 0
            while True:
                deleted = await self._db.execute(
                    f"DELETE FROM {table} WHERE rowid IN"  # noqa: S608 - table and rule are constants
                    f" (SELECT rowid FROM {table} WHERE {condition} LIMIT ?)",
                    (stamp, batch_rows),
                )
                count += deleted
                if deleted < batch_rows:
                    break
            removed[table] = count
        return PruneReport(removed=removed)
