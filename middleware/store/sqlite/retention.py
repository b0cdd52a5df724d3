"""SQLite implementation of `store.retention` (`Retention`): the rules are in its docstring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import aiosqlite
import orjson

from middleware.domain.retention import Cutoffs, Tombstone
from middleware.store.retention import BATCH_BOOKINGS, RetentionReport
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time, to_db_time

# A booking id with work left, or not finished, does not qualify: `_params`.
_FINISHED = """
WITH ids(b) AS (
    SELECT channex_booking_id FROM bookings
    UNION SELECT booking_id FROM revisions WHERE booking_id IS NOT NULL)
SELECT b FROM ids
WHERE NOT EXISTS (SELECT 1 FROM bookings k WHERE k.channex_booking_id = ids.b
                  AND k.updated_at >= ?1)
  AND NOT EXISTS (SELECT 1 FROM booking_rooms br WHERE br.channex_booking_id = ids.b
                  AND (br.updated_at >= ?1 OR br.pms_booking_id IS NULL OR br.applied IS NULL
                       OR coalesce(json_extract(br.applied, '$.checkout'), '9') >= ?2))
  AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.booking_id = ids.b
                  AND (r.status NOT IN ('acked', 'stale', 'handled', 'unknown')
                       OR r.updated_at >= ?1
                       OR coalesce(r.claimed_until, '') > ?3
                       OR EXISTS (SELECT 1 FROM revision_handling h
                                  WHERE h.revision_id = r.revision_id
                                  AND h.channex_ack IN ('pending', 'failed'))
                       OR EXISTS (SELECT 1 FROM revision_facts f
                                  WHERE f.revision_id = r.revision_id
                                  AND coalesce(json_extract(f.facts, '$.checkout'), '9') >= ?2)
                       OR EXISTS (SELECT 1 FROM notices n WHERE n.resolved_at IS NULL
                                  AND n.ref = r.revision_id)))
  AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.resolved_at IS NULL AND n.ref = ids.b)
LIMIT ?4
"""

_LATEST = "ORDER BY coalesce(r.inserted_at, r.received_at) DESC, r.received_at DESC LIMIT 1"

# What the tombstone keeps, for the booking ids in :ids (a JSON array).
_TOMBSTONES = f"""
SELECT j.value AS b,
  coalesce((SELECT property_id FROM bookings WHERE channex_booking_id = j.value),
           (SELECT r.property_id FROM revisions r WHERE r.booking_id = j.value
            AND r.property_id IS NOT NULL {_LATEST})) AS property_id,
  coalesce((SELECT ota_code FROM bookings WHERE channex_booking_id = j.value),
           (SELECT json_extract(f.facts, '$.reservation_code') FROM revisions r
            JOIN revision_facts f USING (revision_id) WHERE r.booking_id = j.value
            {_LATEST})) AS ota_code,
  nullif(max(coalesce((SELECT max(json_extract(applied, '$.checkout')) FROM booking_rooms
                       WHERE channex_booking_id = j.value), ''),
             coalesce((SELECT max(json_extract(f.facts, '$.checkout')) FROM revisions r
                       JOIN revision_facts f USING (revision_id)
                       WHERE r.booking_id = j.value), '')), '') AS departure,
  coalesce((SELECT r.revision_id FROM revisions r WHERE r.booking_id = j.value {_LATEST}),
           (SELECT last_revision_id FROM bookings
            WHERE channex_booking_id = j.value)) AS last_revision_id
FROM json_each(:ids) j
"""  # noqa: S608 - constants

# Forgotten again (a late revision, handled): what the booking map said the first time wins.
_REMEMBER = """
INSERT INTO forgotten_bookings (channex_booking_id, property_id, ota_code, departure,
    forgotten_at, last_revision_id) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (channex_booking_id) DO UPDATE SET
    property_id = coalesce(forgotten_bookings.property_id, excluded.property_id),
    ota_code = coalesce(forgotten_bookings.ota_code, excluded.ota_code),
    departure = nullif(max(coalesce(excluded.departure, ''),
                           coalesce(forgotten_bookings.departure, '')), ''),
    forgotten_at = excluded.forgotten_at,
    last_revision_id = coalesce(excluded.last_revision_id, forgotten_bookings.last_revision_id)
"""

_OF_REVISIONS = "revision_id IN (SELECT revision_id FROM revisions WHERE booking_id IN {ids})"
# table -> the rows of the bookings in `{ids}`; facts and handling go before their revisions
_DELETES = {
    "revision_facts": _OF_REVISIONS,
    "revision_handling": _OF_REVISIONS,
    "revisions": "booking_id IN {ids}",
    "booking_rooms": "channex_booking_id IN {ids}",
    "bookings": "channex_booking_id IN {ids}",
}
_IDS = "(SELECT value FROM json_each(?))"


class SqliteRetention:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def forget_finished(
        self, cut: Cutoffs, now: datetime, *, batch_bookings: int = BATCH_BOOKINGS
    ) -> RetentionReport:
        forgotten = 0
        removed = dict.fromkeys(_DELETES, 0)
        params = _params(cut, now, batch_bookings)
        while True:
            async with self._db.transaction() as conn:
                rows = await conn.execute_fetchall(_FINISHED, params)
                ids = [str(row[0]) for row in rows]
                if ids:
                    for table, count in (await _forget(conn, ids, now)).items():
                        removed[table] += count
            forgotten += len(ids)
            if len(ids) < batch_bookings:
                return RetentionReport(forgotten=forgotten, removed=removed)

    async def tombstone(self, channex_booking_id: str) -> Tombstone | None:
        row = await self._db.fetchone(
            "SELECT * FROM forgotten_bookings WHERE channex_booking_id = ?", (channex_booking_id,)
        )
        if row is None:
            return None
        return Tombstone(
            channex_booking_id=row["channex_booking_id"],
            property_id=row["property_id"],
            ota_code=row["ota_code"],
            departure=None if row["departure"] is None else date.fromisoformat(row["departure"]),
            forgotten_at=from_db_time(row["forgotten_at"]),
            last_revision_id=row["last_revision_id"],
        )

    async def forgotten_count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM forgotten_bookings")
        return 0 if row is None else int(row[0])

    async def count_finished(self, cut: Cutoffs, now: datetime) -> int:
        return len(await self._db.fetchall(_FINISHED, _params(cut, now, -1)))


async def _forget(conn: aiosqlite.Connection, ids: Sequence[str], now: datetime) -> dict[str, int]:
    """In the caller's transaction: the tombstones of `ids`, then their rows deleted."""
    wanted = orjson.dumps(list(ids)).decode()
    stamp = to_db_time(now)
    kept = await conn.execute_fetchall(_TOMBSTONES, {"ids": wanted})
    await conn.executemany(
        _REMEMBER,
        [
            (row["b"], row["property_id"], row["ota_code"], row["departure"], stamp,
             row["last_revision_id"])
            for row in kept
        ],
    )  # fmt: skip
    removed: dict[str, int] = {}
    for table, rows_of in _DELETES.items():
        where = rows_of.format(ids=_IDS)
        cursor = await conn.execute(f"DELETE FROM {table} WHERE {where}", (wanted,))  # noqa: S608
        removed[table] = cursor.rowcount
    return removed


def _params(cut: Cutoffs, now: datetime, limit: int) -> tuple[str, str, str, int]:
    """?1 idle since, ?2 departed before, ?3 now, ?4 at most (-1: no limit)."""
    return (to_db_time(cut.idle_since), cut.departed_before.isoformat(), to_db_time(now), limit)
