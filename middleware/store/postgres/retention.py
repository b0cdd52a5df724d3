"""Bookings retention on PostgreSQL (`store/retention.py`'s rules and report; read its
docstring for what is forgotten and what never is). Each batch is one transaction under an
exclusive lock of `forgotten_bookings` (one forgetter at a time). Unlike SQLite's single
writer, that lock does not hold back a revision queued meanwhile: so only final revisions
idle since the cutoff are deleted, and one queued meanwhile stays, to be parked against the
tombstone. (A revision claimed in the same instant, before the tombstone commits, can still
be planned against the booking map being deleted: a narrow window left open for now.)
`now` follows the store's clock rule (`PostgresDatabase.moment`); the cutoffs are the
caller's, used as given."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from middleware.domain.retention import Cutoffs, Tombstone
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.retention import BATCH_BOOKINGS, RetentionReport

# A booking id with work left, or not finished, does not qualify (SQLite's `_FINISHED`).
_FINISHED = """
WITH ids(b) AS (
    SELECT channex_booking_id FROM bookings
    UNION SELECT booking_id FROM revisions WHERE booking_id IS NOT NULL)
SELECT b FROM ids
WHERE NOT EXISTS (SELECT 1 FROM bookings k WHERE k.channex_booking_id = ids.b
                  AND k.updated_at >= %(idle)s)
  AND NOT EXISTS (SELECT 1 FROM booking_rooms br WHERE br.channex_booking_id = ids.b
                  AND (br.updated_at >= %(idle)s OR br.pms_booking_id IS NULL
                       OR br.applied IS NULL
                       OR coalesce(br.applied::jsonb ->> 'checkout', '9') >= %(departed)s))
  AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.booking_id = ids.b
                  AND (r.status NOT IN ('acked', 'stale', 'handled', 'unknown')
                       OR r.updated_at >= %(idle)s
                       OR r.claimed_until > %(now)s
                       OR EXISTS (SELECT 1 FROM revision_handling h
                                  WHERE h.revision_id = r.revision_id
                                  AND h.channex_ack IN ('pending', 'failed'))
                       OR EXISTS (SELECT 1 FROM revision_facts f
                                  WHERE f.revision_id = r.revision_id
                                  AND coalesce(f.facts::jsonb ->> 'checkout', '9')
                                      >= %(departed)s)
                       OR EXISTS (SELECT 1 FROM notices n WHERE n.resolved_at IS NULL
                                  AND n.ref = r.revision_id)))
  AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.resolved_at IS NULL AND n.ref = ids.b)
ORDER BY b
"""

_LATEST = "ORDER BY coalesce(r.inserted_at, r.received_at) DESC, r.received_at DESC LIMIT 1"

# What the tombstone keeps, for the booking ids in %(ids)s (a text array).
_TOMBSTONES = f"""
SELECT j.b,
  coalesce((SELECT property_id FROM bookings WHERE channex_booking_id = j.b),
           (SELECT r.property_id FROM revisions r WHERE r.booking_id = j.b
            AND r.property_id IS NOT NULL {_LATEST})) AS property_id,
  coalesce((SELECT ota_code FROM bookings WHERE channex_booking_id = j.b),
           (SELECT f.facts::jsonb ->> 'reservation_code' FROM revisions r
            JOIN revision_facts f USING (revision_id) WHERE r.booking_id = j.b
            {_LATEST})) AS ota_code,
  nullif(greatest(coalesce((SELECT max(applied::jsonb ->> 'checkout') FROM booking_rooms
                            WHERE channex_booking_id = j.b), ''),
                  coalesce((SELECT max(f.facts::jsonb ->> 'checkout') FROM revisions r
                            JOIN revision_facts f USING (revision_id)
                            WHERE r.booking_id = j.b), '')), '')::date AS departure,
  coalesce((SELECT r.revision_id FROM revisions r WHERE r.booking_id = j.b {_LATEST}),
           (SELECT last_revision_id FROM bookings
            WHERE channex_booking_id = j.b)) AS last_revision_id
FROM unnest(%(ids)s::text[]) AS j(b)
"""  # noqa: S608 - constants

# Forgotten again (a late revision, handled): what the booking map said the first time wins.
_REMEMBER = """
INSERT INTO forgotten_bookings (channex_booking_id, property_id, ota_code, departure,
    forgotten_at, last_revision_id)
VALUES (%(b)s, %(property_id)s, %(ota_code)s, %(departure)s, %(now)s, %(last_revision_id)s)
ON CONFLICT (channex_booking_id) DO UPDATE SET
    property_id = coalesce(forgotten_bookings.property_id, excluded.property_id),
    ota_code = coalesce(forgotten_bookings.ota_code, excluded.ota_code),
    departure = CASE WHEN forgotten_bookings.departure IS NULL THEN excluded.departure
                     WHEN excluded.departure IS NULL THEN forgotten_bookings.departure
                     ELSE greatest(excluded.departure, forgotten_bookings.departure) END,
    forgotten_at = excluded.forgotten_at,
    last_revision_id = coalesce(excluded.last_revision_id, forgotten_bookings.last_revision_id)
"""

_DONE = (
    "booking_id = ANY(%(ids)s) AND status IN ('acked', 'stale', 'handled', 'unknown')"
    " AND updated_at < %(idle)s"
)
_OF_REVISIONS = f"revision_id IN (SELECT revision_id FROM revisions WHERE {_DONE})"  # noqa: S608
# table -> the rows of the bookings in %(ids)s; facts and handling go before their revisions
_DELETES = {
    "revision_facts": _OF_REVISIONS,
    "revision_handling": _OF_REVISIONS,
    "revisions": _DONE,
    "booking_rooms": "channex_booking_id = ANY(%(ids)s)",
    "bookings": "channex_booking_id = ANY(%(ids)s)",
}


class PostgresRetention:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def forget_finished(
        self, cut: Cutoffs, now: datetime, *, batch_bookings: int = BATCH_BOOKINGS
    ) -> RetentionReport:
        forgotten = 0
        removed = dict.fromkeys(_DELETES, 0)
        while True:
            async with self.db.transaction() as conn:
                await conn.execute("LOCK TABLE forgotten_bookings IN EXCLUSIVE MODE")
                moment = await self.db.moment(conn, now)
                cursor = await conn.execute(
                    _FINISHED + " LIMIT %(limit)s",
                    {**_params(cut, moment), "limit": batch_bookings},
                )
                ids = [str(row["b"]) for row in await cursor.fetchall()]
                if ids:
                    cursor = await conn.execute(_TOMBSTONES, {"ids": ids})
                    kept = await cursor.fetchall()
                    for row in kept:
                        await conn.execute(_REMEMBER, {**row, "now": moment})
                    for table, rows_of in _DELETES.items():
                        cursor = await conn.execute(
                            f"DELETE FROM {table} WHERE {rows_of}",  # noqa: S608 - constants
                            {"ids": ids, "idle": cut.idle_since},
                        )
                        removed[table] += cursor.rowcount
            forgotten += len(ids)
            if len(ids) < batch_bookings:
                return RetentionReport(forgotten=forgotten, removed=removed)

    async def tombstone(self, channex_booking_id: str) -> Tombstone | None:
        row = await self.db.fetchone(
            "SELECT * FROM forgotten_bookings WHERE channex_booking_id = %s",
            (channex_booking_id,),
        )
        if row is None:
            return None
        return Tombstone(
            channex_booking_id=row["channex_booking_id"],
            property_id=row["property_id"],
            ota_code=row["ota_code"],
            departure=row["departure"],
            forgotten_at=row["forgotten_at"],
            last_revision_id=row["last_revision_id"],
        )

    async def forgotten_count(self) -> int:
        row = await self.db.fetchone("SELECT count(*) AS n FROM forgotten_bookings")
        return 0 if row is None else int(row["n"])

    async def count_finished(self, cut: Cutoffs, now: datetime) -> int:
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(_FINISHED, _params(cut, moment))
            return len(await cursor.fetchall())


def _params(cut: Cutoffs, now: datetime) -> dict[str, Any]:
    return {
        "idle": cut.idle_since,
        "departed": cut.departed_before.isoformat(),
        "now": now,
    }
