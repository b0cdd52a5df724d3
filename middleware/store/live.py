"""Which properties are live: nothing reaches Channex's ARI for a property before it is.

A property is put live once, by the first full sync an operator asks for (`POST /sync/full`,
`python -m middleware sync full`): the live row and the full sync that pushes the whole horizon
commit together, so the worker never sees one without the other. Until then the worker still
reads sistema-os on every trigger, but enqueues nothing for the property and reads nothing back
from Channex; bookings are still taken in (see `worker.booking_sync`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from middleware.store import sync_requests
from middleware.store.db import Database, from_db_time, to_db_time


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveProperty:
    property_id: str
    since: datetime
    by: str  # who put it live: the route and its caller, or the CLI and its user


async def _insert(
    conn: aiosqlite.Connection, property_ids: Collection[str], now: datetime, by: str
) -> None:
    """A property already live keeps its first row (when and by whom it went live)."""
    await conn.executemany(
        "INSERT OR IGNORE INTO live_properties (property_id, live_since, put_live_by)"
        " VALUES (?, ?, ?)",
        [(property_id, to_db_time(now), by) for property_id in sorted(property_ids)],
    )


async def go_live(
    db: Database,
    property_ids: Collection[str],
    now: datetime,
    *,
    by: str,
    source: str,
    only: str | None = None,
) -> int:
    """Put the properties live and record the full sync that pushes them, in one
    transaction; returns the sync request's id. `only`: one property goes live (the console's
    per-hotel button), and its full sync reads that property alone."""
    ids = [only] if only is not None else property_ids
    async with db.transaction() as conn:
        await _insert(conn, ids, now, by)
        return await sync_requests.insert(
            conn, source=source, now=now, full_sync=True, property_id=only
        )


async def put_live(db: Database, property_ids: Collection[str], now: datetime, *, by: str) -> None:
    """Put the properties live without a full sync (test harnesses and benchmarks that start
    from a Channex already in step with sistema-os)."""
    async with db.transaction() as conn:
        await _insert(conn, property_ids, now, by)


async def is_live(db: Database, property_id: str) -> bool:
    """Whether one property is live (one indexed row: the ARI sync asks this per read)."""
    row = await db.fetchone("SELECT 1 FROM live_properties WHERE property_id = ?", (property_id,))
    return row is not None


async def live_properties(db: Database) -> dict[str, LiveProperty]:
    """Every live property by id."""
    rows = await db.fetchall("SELECT property_id, live_since, put_live_by FROM live_properties")
    return {
        row["property_id"]: LiveProperty(
            property_id=row["property_id"],
            since=from_db_time(row["live_since"]),
            by=row["put_live_by"],
        )
        for row in rows
    }
