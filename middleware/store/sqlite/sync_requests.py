"""SQLite implementation of `store.sync_requests` (`SyncRequests`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

import aiosqlite
import orjson

from middleware.store.sqlite.db import Database, Row
from middleware.store.stamps import to_db_time
from middleware.store.sync_requests import NewRequest, SyncRequest


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


async def finish_in(conn: aiosqlite.Connection, ids: Sequence[int], now: datetime) -> None:
    """`finish` inside the caller's transaction (`outbox.enqueue_read`)."""
    await conn.executemany(
        "UPDATE sync_requests SET status = 'done', finished_at = ?, claimed_until = NULL,"
        " error = NULL WHERE id = ?",
        [(to_db_time(now), request_id) for request_id in ids],
    )


_DUE = (
    "((status = 'pending' AND next_attempt_at <= ?) OR (status = 'running' AND claimed_until < ?))"
)


# not done and not held by a live lease
_WAITING = "(status = 'pending' OR (status = 'running' AND claimed_until < ?))"


class SqliteSyncRequests:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def request(
        self,
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
        async with self._db.transaction() as conn:
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

    async def request_many(self, asks: Sequence[NewRequest]) -> list[int]:
        async with self._db.transaction() as conn:
            return [
                await insert(
                    conn,
                    source=ask.source,
                    now=ask.now,
                    full_sync=ask.full_sync,
                    property_id=ask.property_id,
                    room_codes=ask.room_codes,
                    date_from=ask.date_from,
                    date_to=ask.date_to,
                    due_in_s=ask.due_in_s,
                )
                for ask in asks
            ]

    async def claim_due(self, now: datetime, *, lease_s: float) -> list[SyncRequest]:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
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

    async def split_unscoped(self, property_ids: Sequence[str], now: datetime) -> int:
        stamp = to_db_time(now)
        probe = await self._db.fetchone(
            f"SELECT 1 FROM sync_requests WHERE property_id IS NULL AND {_WAITING} LIMIT 1",  # noqa: S608
            (stamp,),
        )
        if probe is None:  # the usual case: no write transaction for nothing
            return 0
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT * FROM sync_requests"  # noqa: S608
                f" WHERE property_id IS NULL AND {_WAITING}",
                (stamp,),
            )
            rows = list(await cursor.fetchall())
            if not property_ids:
                await conn.executemany(
                    "UPDATE sync_requests SET status = 'done', finished_at = ?,"
                    " claimed_until = NULL"
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

    async def due_properties(self, now: datetime) -> list[str]:
        stamp = to_db_time(now)
        rows = await self._db.fetchall(
            "SELECT property_id, MIN(id) AS first FROM sync_requests"  # noqa: S608
            f" WHERE property_id IS NOT NULL AND {_DUE} GROUP BY property_id ORDER BY first",
            (stamp, stamp),
        )
        return [str(row["property_id"]) for row in rows]

    async def claim_due_for(
        self, property_id: str, now: datetime, *, lease_s: float
    ) -> list[SyncRequest]:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
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

    async def finish(self, ids: Sequence[int], now: datetime) -> None:
        async with self._db.transaction() as conn:
            await finish_in(conn, ids, now)

    async def retry_later(
        self, ids: Sequence[int], now: datetime, *, retry_at: datetime, error: str
    ) -> None:
        await self._db.executemany(
            "UPDATE sync_requests SET status = 'pending', attempts = attempts + 1,"
            " next_attempt_at = ?, claimed_until = NULL, error = ? WHERE id = ?",
            [(to_db_time(retry_at), error, request_id) for request_id in ids],
        )

    async def pending_count(self) -> int:
        row = await self._db.fetchone("SELECT count(*) FROM sync_requests WHERE status != 'done'")
        return int(row[0]) if row else 0

    async def last_error(self) -> str | None:
        row = await self._db.fetchone(
            "SELECT error FROM sync_requests WHERE status != 'done' AND error IS NOT NULL"
            " ORDER BY id DESC LIMIT 1"
        )
        return None if row is None else str(row["error"])
