"""SQLite implementation of `store.ari_state` (`AriState`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime

import aiosqlite

from middleware.domain import outbox_rules
from middleware.domain.models import Cells, Lane
from middleware.domain.outbox_rules import FieldKey
from middleware.store.sqlite.db import Database, Row
from middleware.store.stamps import to_db_time

SELECT_LANE_RANGE = (
    "SELECT entity_id, day, field, value FROM ari_state"
    " WHERE property_id = ? AND kind = ? AND day BETWEEN ? AND ?"
)


def lane_range_params(lane: Lane, day_from: date, day_to: date) -> tuple[str, ...]:
    return (lane.property_id, lane.kind, day_from.isoformat(), day_to.isoformat())


def texts_from_rows(rows: Iterable[Row], entity_ids: Collection[str] | None) -> dict[FieldKey, str]:
    wanted = None if entity_ids is None else set(entity_ids)
    return {
        (row["entity_id"], row["day"], row["field"]): row["value"]
        for row in rows
        if wanted is None or row["entity_id"] in wanted
    }


async def read_in(
    conn: aiosqlite.Connection,
    lane: Lane,
    entity_ids: Collection[str] | None,
    day_from: date,
    day_to: date,
) -> dict[FieldKey, str]:
    cursor = await conn.execute(SELECT_LANE_RANGE, lane_range_params(lane, day_from, day_to))
    return texts_from_rows(await cursor.fetchall(), entity_ids)


async def value_in(conn: aiosqlite.Connection, lane: Lane, key: FieldKey) -> str | None:
    cursor = await conn.execute(
        "SELECT value FROM ari_state WHERE property_id = ? AND kind = ? AND entity_id = ?"
        " AND day = ? AND field = ?",
        (lane.property_id, lane.kind, *key),
    )
    row = await cursor.fetchone()
    return None if row is None else str(row["value"])


async def write_in(
    conn: aiosqlite.Connection, lane: Lane, texts: Mapping[FieldKey, str], now: datetime
) -> None:
    """Record that Channex accepted these field values at `now`."""
    stamp = to_db_time(now)
    await conn.executemany(
        "INSERT INTO ari_state (property_id, kind, entity_id, day, field, value, pushed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (property_id, kind, entity_id, day, field)"
        " DO UPDATE SET value = excluded.value, pushed_at = excluded.pushed_at",
        [
            (lane.property_id, lane.kind, entity_id, day, field, text, stamp)
            for (entity_id, day, field), text in texts.items()
        ],
    )


class SqliteAriState:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def acked(
        self,
        lane: Lane,
        entity_ids: Collection[str] | None,
        day_from: date,
        day_to: date,
    ) -> Cells:
        rows = await self._db.fetchall(SELECT_LANE_RANGE, lane_range_params(lane, day_from, day_to))
        return outbox_rules.cells_from_texts(texts_from_rows(rows, entity_ids))

    async def forget_before(self, today_by_property: Mapping[str, date]) -> int:
        removed = 0
        async with self._db.transaction() as conn:
            for property_id, today in today_by_property.items():
                cursor = await conn.execute(
                    "DELETE FROM ari_state WHERE property_id = ? AND day < ?",
                    (property_id, today.isoformat()),
                )
                removed += cursor.rowcount
        return removed

    async def forget(
        self, lane: Lane, entity_ids: Collection[str], day_from: date, day_to: date
    ) -> int:
        removed = 0
        async with self._db.transaction() as conn:
            for entity_id in sorted(set(entity_ids)):
                cursor = await conn.execute(
                    "DELETE FROM ari_state WHERE property_id = ? AND kind = ? AND day"
                    " BETWEEN ? AND ?"
                    " AND entity_id = ?",
                    (*lane_range_params(lane, day_from, day_to), entity_id),
                )
                removed += cursor.rowcount
        return removed
