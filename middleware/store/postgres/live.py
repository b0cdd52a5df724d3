"""Which properties are live, on PostgreSQL (`store/live.py`'s operations; read its
docstring). The live row and the full sync that pushes the property commit together, so no
worker sees one without the other. `live_since` follows the clock rule of
`postgres/database.py`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from middleware.store.live import LiveProperty
from middleware.store.postgres import sync_requests
from middleware.store.postgres.database import Conn, PostgresDatabase


async def _insert(conn: Conn, property_ids: Collection[str], moment: datetime, by: str) -> None:
    """A property already live keeps its first row (when and by whom it went live)."""
    await conn.execute(
        "INSERT INTO live_properties (property_id, live_since, put_live_by)"
        " SELECT p, %s, %s FROM unnest(%s::text[]) AS p ON CONFLICT (property_id) DO NOTHING",
        (moment, by, sorted(property_ids)),
    )


class PostgresLive:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def go_live(
        self,
        property_ids: Collection[str],
        now: datetime,
        *,
        by: str,
        source: str,
        only: str | None = None,
    ) -> int:
        """Put the properties live and record the full sync that pushes them, in one
        transaction; returns the sync request's id (`only`: that one property)."""
        ids = [only] if only is not None else property_ids
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            await _insert(conn, ids, moment, by)
            return await sync_requests.insert(
                conn, moment=moment, source=source, full_sync=True, property_id=only
            )

    async def put_live(self, property_ids: Collection[str], now: datetime, *, by: str) -> None:
        """Put the properties live without a full sync."""
        async with self.db.transaction() as conn:
            await _insert(conn, property_ids, await self.db.moment(conn, now), by)

    async def is_live(self, property_id: str) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM live_properties WHERE property_id = %s", (property_id,)
        )
        return row is not None

    async def live_properties(self) -> dict[str, LiveProperty]:
        """Every live property by id."""
        rows = await self.db.fetchall(
            "SELECT property_id, live_since, put_live_by FROM live_properties"
        )
        return {
            row["property_id"]: LiveProperty(
                property_id=row["property_id"], since=row["live_since"], by=row["put_live_by"]
            )
            for row in rows
        }
