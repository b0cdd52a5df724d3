"""Durable ARI sync requests on PostgreSQL (`store/sync_requests.py`'s operations and
results; read its docstring for how a request is split, claimed and coalesced).

Several workers claim. A claim locks its rows with `FOR UPDATE SKIP LOCKED` (rows another
worker is taking are passed over, never taken twice) and runs under a transaction-scoped
advisory lock — one per property for `claim_due_for`, one for the whole table for
`claim_due` — taken with `pg_try_advisory_xact_lock`: a worker that finds another claiming the
same requests takes nothing now instead of queueing behind it, so a fresh request waiting to
coalesce is never taken by one worker while the due request it waits on is taken by another.
`split_unscoped` locks the rows it splits, so two workers never copy one request twice. Times
follow the clock rule of `postgres/database.py`; `retry_at` is the caller's, stored as given.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from psycopg.types.json import Jsonb

from middleware.store.postgres import notify
from middleware.store.postgres.database import Conn, PostgresDatabase, Row
from middleware.store.sync_requests import NewRequest, SyncRequest

CLAIM_LOCK_CLASS = 11_001  # advisory lock space: (class, hashtext(property or ''))
_DUE = (
    "((status = 'pending' AND next_attempt_at <= %(m)s)"
    " OR (status = 'running' AND claimed_until < %(m)s))"
)
_WAITING = "(status = 'pending' OR (status = 'running' AND claimed_until < %(m)s))"
# due, or fresh and waiting to coalesce with a due one (of the property)
_CLAIM_ALL = (
    f"{_DUE} OR (status = 'pending' AND attempts = 0"  # noqa: S608 - constants
    f" AND EXISTS (SELECT 1 FROM sync_requests WHERE {_DUE}))"
)
_CLAIM_PROPERTY = (
    f"property_id = %(p)s AND ({_DUE} OR (status = 'pending' AND attempts = 0"  # noqa: S608
    f" AND EXISTS (SELECT 1 FROM sync_requests WHERE property_id = %(p)s AND {_DUE})))"
)
_COPIED = (
    "requested_at, source, full_sync, room_codes, date_from, date_to, status, attempts,"
    " next_attempt_at, claimed_until"
)


def _row(row: Row) -> SyncRequest:
    codes = row["room_codes"]
    return SyncRequest(
        id=row["id"],
        source=row["source"],
        property_id=row["property_id"],
        full_sync=row["full_sync"],
        room_codes=None if codes is None else tuple(codes),
        date_from=row["date_from"],
        date_to=row["date_to"],
        attempts=row["attempts"],
    )


async def insert(
    conn: Conn,
    *,
    moment: datetime,
    source: str,
    full_sync: bool = False,
    property_id: str | None = None,
    room_codes: Collection[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    due_in_s: float = 0.0,
) -> int:
    """A request inside the caller's transaction, stamped `moment` (the store's clock)."""
    cursor = await conn.execute(
        "INSERT INTO sync_requests (requested_at, source, property_id, full_sync, room_codes,"
        " date_from, date_to, next_attempt_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING id",
        (
            moment,
            source,
            property_id,
            full_sync,
            None if room_codes is None else Jsonb(sorted(room_codes)),
            date_from,
            date_to,
            moment + timedelta(seconds=due_in_s),
        ),
    )
    await notify.signal(conn, "sync_requests")
    return int((await cursor.fetchall())[0]["id"])


async def finish_in(conn: Conn, ids: Sequence[int], moment: datetime) -> None:
    """`finish` in the caller's transaction, stamped `moment` (`outbox.enqueue_read`)."""
    await conn.execute(
        "UPDATE sync_requests SET status = 'done', finished_at = %s, claimed_until = NULL,"
        " error = NULL WHERE id = ANY(%s)",
        (moment, list(ids)),
    )


async def _lease(
    conn: Conn, lock_key: str, where: str, params: dict[str, object], until: datetime
) -> list[SyncRequest]:
    cursor = await conn.execute(
        "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s)) AS mine", (CLAIM_LOCK_CLASS, lock_key)
    )
    if not (await cursor.fetchall())[0]["mine"]:
        return []
    cursor = await conn.execute(
        f"SELECT * FROM sync_requests WHERE {where} ORDER BY id FOR UPDATE SKIP LOCKED",  # noqa: S608
        params,
    )
    rows = await cursor.fetchall()
    if rows:
        await conn.execute(
            "UPDATE sync_requests SET status = 'running', claimed_until = %s WHERE id = ANY(%s)",
            (until, [row["id"] for row in rows]),
        )
    return [_row(row) for row in rows]


class PostgresSyncRequests:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

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
        """Record a request (`property_id` None: for every property); returns its id."""
        async with self.db.transaction() as conn:
            return await self.insert(
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
        self,
        conn: Conn,
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
        """`request` inside the caller's transaction (a psycopg connection in the place of
        SQLite's `aiosqlite.Connection`)."""
        return await insert(
            conn,
            moment=await self.db.moment(conn, now),
            source=source,
            full_sync=full_sync,
            property_id=property_id,
            room_codes=room_codes,
            date_from=date_from,
            date_to=date_to,
            due_in_s=due_in_s,
        )

    async def request_many(self, asks: Sequence[NewRequest]) -> list[int]:
        """Several requests in one transaction, in order; their ids."""
        async with self.db.transaction() as conn:
            return [
                await self.insert(
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
        """Take every due request and, when there is one, every fresh pending request waiting
        to coalesce (rules of `store/sync_requests.claim_due`)."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            until = moment + timedelta(seconds=lease_s)
            return await _lease(conn, "", _CLAIM_ALL, {"m": moment}, until)

    async def split_unscoped(self, property_ids: Sequence[str], now: datetime) -> int:
        """Give each request for every property to the first property and a copy to each
        other one (rules of `store/sync_requests.split_unscoped`); returns how many."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                f"SELECT * FROM sync_requests WHERE property_id IS NULL AND {_WAITING}"  # noqa: S608
                " ORDER BY id FOR UPDATE SKIP LOCKED",
                {"m": moment},
            )
            ids = [row["id"] for row in await cursor.fetchall()]
            if not ids:
                return 0
            if not property_ids:
                await conn.execute(
                    "UPDATE sync_requests SET status = 'done', finished_at = %s,"
                    " claimed_until = NULL WHERE id = ANY(%s)",
                    (moment, ids),
                )
                return len(ids)
            first, others = property_ids[0], list(property_ids[1:])
            await conn.execute(
                f"INSERT INTO sync_requests (property_id, {_COPIED})"  # noqa: S608
                f" SELECT other, {_COPIED} FROM sync_requests"
                " CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS o(other, n)"
                " WHERE id = ANY(%s) ORDER BY id, n",
                (others, ids),
            )
            await conn.execute(
                "UPDATE sync_requests SET property_id = %s WHERE id = ANY(%s)", (first, ids)
            )
            return len(ids)

    async def due_properties(self, now: datetime) -> list[str]:
        """The properties with due requests, the longest waiting first."""
        async with self.db.connection() as conn:
            cursor = await conn.execute(
                "SELECT property_id, min(id) AS first FROM sync_requests"  # noqa: S608
                f" WHERE property_id IS NOT NULL AND {_DUE} GROUP BY property_id ORDER BY first",
                {"m": await self.db.moment(conn, now)},
            )
            return [str(row["property_id"]) for row in await cursor.fetchall()]

    async def claim_due_for(
        self, property_id: str, now: datetime, *, lease_s: float
    ) -> list[SyncRequest]:
        """Take every due request of one property and, when there is one, its fresh pending
        requests waiting to coalesce (rules of `store/sync_requests.claim_due_for`)."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            until = moment + timedelta(seconds=lease_s)
            params = {"m": moment, "p": property_id}
            return await _lease(conn, property_id, _CLAIM_PROPERTY, params, until)

    async def finish(self, ids: Sequence[int], now: datetime) -> None:
        async with self.db.transaction() as conn:
            await finish_in(conn, ids, await self.db.moment(conn, now))

    async def retry_later(
        self, ids: Sequence[int], now: datetime, *, retry_at: datetime, error: str
    ) -> None:
        await self.db.execute(
            "UPDATE sync_requests SET status = 'pending', attempts = attempts + 1,"
            " next_attempt_at = %s, claimed_until = NULL, error = %s WHERE id = ANY(%s)",
            (retry_at, error, list(ids)),
        )

    async def pending_count(self) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) AS n FROM sync_requests WHERE status != 'done'"
        )
        return 0 if row is None else int(row["n"])

    async def last_error(self) -> str | None:
        row = await self.db.fetchone(
            "SELECT error FROM sync_requests WHERE status != 'done' AND error IS NOT NULL"
            " ORDER BY id DESC LIMIT 1"
        )
        return None if row is None else str(row["error"])
