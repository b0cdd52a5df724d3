"""The ARI Channex has accepted, on PostgreSQL (`store/ari_state.py`'s operations).

The `*_in` functions run on a connection inside a caller's transaction (the outbox's).
Days are `date` columns; field keys keep SQLite's `(entity_id, "YYYY-MM-DD", field)` shape.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime

from middleware.domain.models import Cells, Lane
from middleware.domain.outbox_rules import FieldKey, cells_from_texts
from middleware.store.postgres.database import Conn, PostgresDatabase, Row

SELECT_LANE_RANGE = (
    "SELECT entity_id, day, field, value FROM ari_state"
    " WHERE property_id = %s AND kind = %s AND day BETWEEN %s AND %s"
)


def field_key(row: Row) -> FieldKey:
    return (row["entity_id"], row["day"].isoformat(), row["field"])


def texts_from_rows(rows: Iterable[Row], entity_ids: Collection[str] | None) -> dict[FieldKey, str]:
    wanted = None if entity_ids is None else set(entity_ids)
    return {
        field_key(row): row["value"] for row in rows if wanted is None or row["entity_id"] in wanted
    }


async def read_in(
    conn: Conn, lane: Lane, entity_ids: Collection[str] | None, day_from: date, day_to: date
) -> dict[FieldKey, str]:
    cursor = await conn.execute(SELECT_LANE_RANGE, (lane.property_id, lane.kind, day_from, day_to))
    return texts_from_rows(await cursor.fetchall(), entity_ids)


async def write_in(conn: Conn, lane: Lane, texts: Mapping[FieldKey, str], moment: datetime) -> None:
    """Record that Channex accepted these field values at `moment` (the store's clock)."""
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO ari_state (property_id, kind, entity_id, day, field, value, pushed_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (property_id, kind, entity_id, day, field)"
            " DO UPDATE SET value = excluded.value, pushed_at = excluded.pushed_at",
            [
                (lane.property_id, lane.kind, entity_id, date.fromisoformat(day), field, text,
                 moment)
                for (entity_id, day, field), text in texts.items()
            ],
        )  # fmt: skip


class PostgresAriState:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def acked(
        self, lane: Lane, entity_ids: Collection[str] | None, day_from: date, day_to: date
    ) -> Cells:
        """What Channex holds for the lane's entities (all when None), days inclusive."""
        async with self.db.connection() as conn:
            return cells_from_texts(await read_in(conn, lane, entity_ids, day_from, day_to))

    async def forget_before(self, today_by_property: Mapping[str, date]) -> int:
        """Drop state for days already past at each property; returns rows removed."""
        removed = 0
        async with self.db.transaction() as conn:
            for property_id, today in today_by_property.items():
                cursor = await conn.execute(
                    "DELETE FROM ari_state WHERE property_id = %s AND day < %s",
                    (property_id, today),
                )
                removed += cursor.rowcount
        return removed

    async def forget(
        self, lane: Lane, entity_ids: Collection[str], day_from: date, day_to: date
    ) -> int:
        """Drop what Channex is believed to hold for these entities and days (inclusive)."""
        cursor_count = await self.db.execute(
            "DELETE FROM ari_state WHERE property_id = %s AND kind = %s"
            " AND day BETWEEN %s AND %s AND entity_id = ANY(%s)",
            (lane.property_id, lane.kind, day_from, day_to, sorted(set(entity_ids))),
        )
        return cursor_count
