"""SQLite implementation of `store.parity_drift` (`ParityDrift`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

import aiosqlite

from middleware.domain import readback as domain
from middleware.domain.models import CellKey, Cells, Lane, value_from_text, value_to_text
from middleware.domain.outbox_rules import FieldKey
from middleware.domain.readback import Drift
from middleware.store.parity_drift import ParityRequest, Settled
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time, to_db_time


async def request_in(
    conn: aiosqlite.Connection, lane: Lane, date_from: date, date_to: date, now: datetime
) -> None:
    """Ask for a read-back of these days (merged with one already waiting for the lane)."""
    await conn.execute(
        "INSERT INTO parity_requests (property_id, kind, date_from, date_to, requested_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (property_id, kind) DO UPDATE SET"
        " date_from = MIN(date_from, excluded.date_from),"
        " date_to = MAX(date_to, excluded.date_to), requested_at = excluded.requested_at",
        (lane.property_id, lane.kind, date_from.isoformat(), date_to.isoformat(), to_db_time(now)),
    )


async def note_ari_event_in(
    conn: aiosqlite.Connection, property_id: str | None, payload: Any, now: datetime
) -> tuple[Literal["queued", "ignored"], str]:
    """An `ari` webhook, inside the intake transaction: a read-back of the days it names, for
    each lane whose reported values are not all what the middleware believes Channex holds
    (acked, or in the outbox). An echo of the middleware's own push costs no read."""
    touches = domain.cells_named_by_ari_event(payload)
    if property_id is None or not touches:
        return "ignored", "no cells named"
    asked: list[str] = []
    for touch in touches:
        lane = Lane(property_id, touch.kind)
        days = [key.day for key in touch.cells]
        believed = await _believed(conn, lane, min(days), max(days))
        if domain.is_echo(touch, believed):
            continue
        await request_in(conn, lane, min(days), max(days), now)
        asked.append(f"{touch.kind} {min(days)}..{max(days)}")
    if not asked:
        return "ignored", "echo of the middleware's own push"
    return "queued", "read-back scheduled: " + ", ".join(asked)


async def _believed(conn: aiosqlite.Connection, lane: Lane, first: date, last: date) -> Cells:
    """Acked values with outbox values (pending or in flight) over them."""
    cursor = await conn.execute(
        "SELECT entity_id, day, field, value, 0 AS layer FROM ari_state"
        " WHERE property_id = ? AND kind = ? AND day BETWEEN ? AND ?"
        " UNION ALL SELECT entity_id, day, field, value, 1 AS layer FROM outbox"
        " WHERE property_id = ? AND kind = ? AND day BETWEEN ? AND ? ORDER BY layer",
        (*_lane(lane), first.isoformat(), last.isoformat()) * 2,
    )
    cells: Cells = {}
    for row in await cursor.fetchall():
        key = CellKey(row[0], date.fromisoformat(row[1]))
        cells.setdefault(key, {})[row[2]] = value_from_text(row[2], row[3])
    return cells


async def _busy(
    conn: aiosqlite.Connection, lane: Lane, first: str, last: str, read_at: datetime
) -> set[FieldKey]:
    cursor = await conn.execute(
        "SELECT entity_id, day, field FROM outbox WHERE property_id = ? AND kind = ?"
        " AND day BETWEEN ? AND ? UNION SELECT entity_id, day, field FROM ari_state"
        " WHERE property_id = ? AND kind = ? AND day BETWEEN ? AND ? AND pushed_at >= ?",
        (
            *(lane.property_id, lane.kind, first, last),
            *(lane.property_id, lane.kind, first, last, to_db_time(read_at)),
        ),
    )
    return {(row[0], row[1], row[2]) for row in await cursor.fetchall()}


def _lane(lane: Lane) -> tuple[str, str]:
    return (lane.property_id, lane.kind)


class SqliteParityDrift:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def requests(self) -> list[ParityRequest]:
        rows = await self._db.fetchall("SELECT * FROM parity_requests ORDER BY requested_at")
        return [
            ParityRequest(
                property_id=row["property_id"],
                kind=row["kind"],
                date_from=date.fromisoformat(row["date_from"]),
                date_to=date.fromisoformat(row["date_to"]),
                requested_at=from_db_time(row["requested_at"]),
            )
            for row in rows
        ]

    async def finish_request(self, request: ParityRequest) -> None:
        await self._db.execute(
            "DELETE FROM parity_requests WHERE property_id = ? AND kind = ? AND requested_at = ?",
            (request.property_id, request.kind, to_db_time(request.requested_at)),
        )

    async def heal(
        self, lane: Lane, drift: Sequence[Drift], now: datetime, *, read_at: datetime
    ) -> list[Drift]:
        if not drift:
            return []
        first = min(d.day for d in drift).isoformat()
        last = max(d.day for d in drift).isoformat()
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
            busy = await _busy(conn, lane, first, last, read_at)
            queued = [d for d in drift if (d.entity_id, d.day.isoformat(), d.field) not in busy]
            keys = [(*_lane(lane), d.entity_id, d.day.isoformat(), d.field) for d in queued]
            await conn.executemany(
                "DELETE FROM ari_state WHERE property_id = ? AND kind = ? AND entity_id = ?"
                " AND day = ? AND field = ?",
                keys,
            )
            await conn.executemany(
                "INSERT INTO outbox (property_id, kind, entity_id, day, field, value, enqueued_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (*key, value_to_text(d.field, d.pms), stamp, stamp)
                    for key, d in zip(keys, queued, strict=True)
                ],
            )
            await conn.executemany(
                "INSERT INTO parity_drift (property_id, kind, entity_id, day, field, found_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET heals = heals + 1",
                [(*key, stamp) for key in keys],
            )
        return queued

    async def settle(
        self, lane: Lane, date_from: date, date_to: date, drift: Sequence[Drift], now: datetime
    ) -> Settled:
        found = {(d.entity_id, d.day.isoformat(), d.field): d for d in drift}
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT entity_id, day, field, found_at FROM parity_drift WHERE property_id = ?"
                " AND kind = ? AND day BETWEEN ? AND ?",
                (*_lane(lane), date_from.isoformat(), date_to.isoformat()),
            )
            rows = await cursor.fetchall()
            gone = [row for row in rows if (row[0], row[1], row[2]) not in found]
            await conn.executemany(
                "DELETE FROM parity_drift WHERE property_id = ? AND kind = ? AND entity_id = ?"
                " AND day = ? AND field = ?",
                [(*_lane(lane), row[0], row[1], row[2]) for row in gone],
            )
        healed = tuple(
            (row[2], max(0.0, (now - from_db_time(row[3])).total_seconds())) for row in gone
        )
        again = {(row[0], row[1], row[2]) for row in rows} - {(r[0], r[1], r[2]) for r in gone}
        return Settled(healed=healed, persisting=tuple(found[key] for key in sorted(again)))

    async def bookings_in_flight(self, property_id: str) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM revisions WHERE status = 'pending'"
            " AND (property_id = ? OR property_id IS NULL)",
            (property_id,),
        )
        return 0 if row is None else int(row[0])

    async def open_drift(self, property_id: str) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM parity_drift WHERE property_id = ?", (property_id,)
        )
        return 0 if row is None else int(row[0])
