"""SQLite implementation of `store.live` (`Live`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import aiosqlite

from middleware.store.live import LiveProperty
from middleware.store.sqlite import sync_requests
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time, to_db_time


async def _insert(
    conn: aiosqlite.Connection, property_ids: Collection[str], now: datetime, by: str
) -> None:
    """A property already live keeps its first row (when and by whom it went live)."""
    await conn.executemany(
        "INSERT OR IGNORE INTO live_properties (property_id, live_since, put_live_by)"
        " VALUES (?, ?, ?)",
        [(property_id, to_db_time(now), by) for property_id in sorted(property_ids)],
    )


class SqliteLive:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def go_live(
        self,
        property_ids: Collection[str],
        now: datetime,
        *,
        by: str,
        source: str,
        only: str | None = None,
    ) -> int:
        ids = [only] if only is not None else property_ids
        async with self._db.transaction() as conn:
            await _insert(conn, ids, now, by)
            return await sync_requests.insert(
                conn, source=source, now=now, full_sync=True, property_id=only
            )

    async def put_live(self, property_ids: Collection[str], now: datetime, *, by: str) -> None:
        async with self._db.transaction() as conn:
            await _insert(conn, property_ids, now, by)

    async def is_live(self, property_id: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM live_properties WHERE property_id = ?", (property_id,)
        )
        return row is not None

    async def live_properties(self) -> dict[str, LiveProperty]:
        rows = await self._db.fetchall(
            "SELECT property_id, live_since, put_live_by FROM live_properties"
        )
        return {
            row["property_id"]: LiveProperty(
                property_id=row["property_id"],
                since=from_db_time(row["live_since"]),
                by=row["put_live_by"],
            )
            for row in rows
        }
