"""Durable ARI sync requests: what triggers write, what the worker's ARI loop claims.

Pending requests are claimed together and coalesced by the caller into one PMS read.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiosqlite
import orjson

from middleware.store.db import Database, Row, to_db_time


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRequest:
    id: int
    source: str
    full_sync: bool
    room_codes: tuple[str, ...] | None
    date_from: date | None
    date_to: date | None
    attempts: int


def _row(row: Row) -> SyncRequest:
    codes = row["room_codes"]
    return SyncRequest(
        id=row["id"],
        source=row["source"],
        full_sync=bool(row["full_sync"]),
        room_codes=None if codes is None else tuple(orjson.loads(codes)),
        date_from=None if row["date_from"] is None else date.fromisoformat(row["date_from"]),
        date_to=None if row["date_to"] is None else date.fromisoformat(row["date_to"]),
        attempts=row["attempts"],
    )


async def request(
    db: Database,
    *,
    source: str,
    now: datetime,
    full_sync: bool = False,
    room_codes: Collection[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    due_in_s: float = 0.0,
) -> int:
    """Record a request; returns its id. `due_in_s`: how long it waits for others to join
    its PMS read (a change notice and a booking's re-sync of the same nights)."""
    async with db.transaction() as conn:
        return await insert(
            conn,
            source=source,
            now=now,
            full_sync=full_sync,
            room_codes=room_codes,
            date_from=date_from,
            date_to=date_to,
            due_in_s=due_in_s,
        )


async def insert(
    conn: aiosqlite.Connection,
    *,
    source: str,
    now: datetime,
    full_sync: bool = False,
    room_codes: Collection[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    due_in_s: float = 0.0,
) -> int:
    """`request` inside the caller's transaction (a request that commits with other rows)."""
    cursor = await conn.execute(
        "INSERT INTO sync_requests (requested_at, source, full_sync, room_codes, date_from,"
        " date_to, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            to_db_time(now),
            source,
            int(full_sync),
            None if room_codes is None else orjson.dumps(sorted(room_codes)).decode(),
            None if date_from is None else date_from.isoformat(),
            None if date_to is None else date_to.isoformat(),
            to_db_time(now + timedelta(seconds=due_in_s)),
        ),
    )
    return int(cursor.lastrowid or 0)


async def claim_due(db: Database, now: datetime, *, lease_s: float) -> list[SyncRequest]:
    """Atomically take every due request (pending, or running with an expired lease) and,
    when there is one, every fresh pending request waiting to coalesce: they share its read
    (a request in retry backoff keeps waiting)."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT * FROM sync_requests WHERE (status = 'pending' AND next_attempt_at <= ?)"
            " OR (status = 'running' AND claimed_until < ?)"
            " OR (status = 'pending' AND attempts = 0 AND EXISTS (SELECT 1 FROM sync_requests"
            " WHERE (status = 'pending' AND next_attempt_at <= ?)"
            " OR (status = 'running' AND claimed_until < ?))) ORDER BY id",
            (stamp, stamp, stamp, stamp),
        )
        rows = list(await cursor.fetchall())
        if rows:
            until = to_db_time(now + timedelta(seconds=lease_s))
            await conn.executemany(
                "UPDATE sync_requests SET status = 'running', claimed_until = ? WHERE id = ?",
                [(until, row["id"]) for row in rows],
            )
    return [_row(row) for row in rows]


async def finish(db: Database, ids: Sequence[int], now: datetime) -> None:
    await db.executemany(
        "UPDATE sync_requests SET status = 'done', finished_at = ?, claimed_until = NULL,"
        " error = NULL WHERE id = ?",
        [(to_db_time(now), request_id) for request_id in ids],
    )


async def retry_later(
    db: Database, ids: Sequence[int], now: datetime, *, retry_at: datetime, error: str
) -> None:
    await db.executemany(
        "UPDATE sync_requests SET status = 'pending', attempts = attempts + 1,"
        " next_attempt_at = ?, claimed_until = NULL, error = ? WHERE id = ?",
        [(to_db_time(retry_at), error, request_id) for request_id in ids],
    )


async def pending_count(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) FROM sync_requests WHERE status != 'done'")
    return int(row[0]) if row else 0


async def last_error(db: Database) -> str | None:
    row = await db.fetchone(
        "SELECT error FROM sync_requests WHERE status != 'done' AND error IS NOT NULL"
        " ORDER BY id DESC LIMIT 1"
    )
    return None if row is None else str(row["error"])
