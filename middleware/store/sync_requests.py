"""Durable ARI sync requests: what triggers write, what the worker's ARI loop claims.

A request names a property (None: every property) and a room scope (None: every room). The
worker first splits each request for every property into one per property (`split_unscoped`),
then claims one property's due requests together (`claim_due_for`) and coalesces them into
one read of that property's PMS, so one hotel's change re-reads only that hotel.
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
    property_id: str | None
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
        property_id=row["property_id"],
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
    property_id: str | None = None,
    room_codes: Collection[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    due_in_s: float = 0.0,
) -> int:
    """Record a request (`property_id` None: for every property); returns its id. `due_in_s`:
    how long it waits for others to join its PMS read (a change notice and a booking's re-sync
    of the same nights)."""
    async with db.transaction() as conn:
        return await insert(
            conn,
            source=source,
            now=now,
            full_sync=full_sync,
            property_id=property_id,
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
    property_id: str | None = None,
    room_codes: Collection[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    due_in_s: float = 0.0,
) -> int:
    """`request` inside the caller's transaction (a request that commits with other rows)."""
    cursor = await conn.execute(
        "INSERT INTO sync_requests (requested_at, source, property_id, full_sync, room_codes,"
        " date_from, date_to, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            to_db_time(now),
            source,
            property_id,
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


_DUE = (
    "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'running' AND claimed_until < ?))"
)
# not done and not held by a live lease
_WAITING = "(status = 'pending' OR (status = 'running' AND claimed_until < ?))"


async def split_unscoped(db: Database, property_ids: Sequence[str], now: datetime) -> int:
    """Give each request for every property (due, or waiting to coalesce) to the first
    property and a copy (same scope, attempts and times) to each other one, so each
    property's share is claimed, retried, coalesced and finished on its own; returns how many
    were split. With no property, such a request is done."""
    stamp = to_db_time(now)
    probe = await db.fetchone(
        f"SELECT 1 FROM sync_requests WHERE property_id IS NULL AND {_WAITING} LIMIT 1",  # noqa: S608
        (stamp,),
    )
    if probe is None:  # the usual case: no write transaction for nothing
        return 0
    async with db.transaction() as conn:
        cursor = await conn.execute(
            f"SELECT * FROM sync_requests WHERE property_id IS NULL AND {_WAITING}",  # noqa: S608
            (stamp,),
        )
        rows = list(await cursor.fetchall())
        if not property_ids:
            await conn.executemany(
                "UPDATE sync_requests SET status = 'done', finished_at = ?, claimed_until = NULL"
                " WHERE id = ?",
                [(stamp, row["id"]) for row in rows],
            )
            return len(rows)
        first, others = property_ids[0], property_ids[1:]
        await conn.executemany(
            "UPDATE sync_requests SET property_id = ? WHERE id = ?",
            [(first, row["id"]) for row in rows],
        )
        await conn.executemany(
            "INSERT INTO sync_requests (requested_at, source, property_id, full_sync,"
            " room_codes, date_from, date_to, status, attempts, next_attempt_at, claimed_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    row["requested_at"],
                    row["source"],
                    property_id,
                    row["full_sync"],
                    row["room_codes"],
                    row["date_from"],
                    row["date_to"],
                    row["status"],
                    row["attempts"],
                    row["next_attempt_at"],
                    row["claimed_until"],
                )
                for row in rows
                for property_id in others
            ],
        )
    return len(rows)


async def due_properties(db: Database, now: datetime) -> list[str]:
    """The properties with due requests (after `split_unscoped`), the longest waiting first."""
    stamp = to_db_time(now)
    rows = await db.fetchall(
        "SELECT property_id, MIN(id) AS first FROM sync_requests"  # noqa: S608
        f" WHERE property_id IS NOT NULL AND {_DUE} GROUP BY property_id ORDER BY first",
        (stamp, stamp),
    )
    return [str(row["property_id"]) for row in rows]


async def claim_due_for(
    db: Database, property_id: str, now: datetime, *, lease_s: float
) -> list[SyncRequest]:
    """Atomically take every due request of one property and, when there is one, its fresh
    pending requests waiting to coalesce: they share the read (one in retry backoff waits)."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT * FROM sync_requests WHERE property_id = ?"  # noqa: S608
            f" AND ({_DUE} OR (status = 'pending' AND attempts = 0 AND EXISTS (SELECT 1"
            f" FROM sync_requests WHERE property_id = ? AND {_DUE}))) ORDER BY id",
            (property_id, stamp, stamp, property_id, stamp, stamp),
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
