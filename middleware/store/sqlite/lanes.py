"""SQLite implementation of `store.lanes` (`Lanes`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiosqlite

from middleware.domain.models import Lane
from middleware.ratelimit import WINDOW_S, next_slot, pause_after_429
from middleware.store.lanes import LaneState
from middleware.store.sqlite.db import Database, Row
from middleware.store.stamps import from_db_time, to_db_time


def _time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


async def _ensure(conn: aiosqlite.Connection, lane: Lane) -> None:
    await conn.execute(
        "INSERT INTO lanes (property_id, kind) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (lane.property_id, lane.kind),
    )


async def record_success(conn: aiosqlite.Connection, lane: Lane, now: datetime) -> None:
    stamp = to_db_time(now)
    await _ensure(conn, lane)
    await conn.execute(
        "UPDATE lanes SET failures = 0, next_attempt_at = NULL, last_error = NULL,"
        " last_success_at = ?, last_push_at = ? WHERE property_id = ? AND kind = ?",
        (stamp, stamp, lane.property_id, lane.kind),
    )


async def record_failure(
    conn: aiosqlite.Connection, lane: Lane, now: datetime, *, error: str, retry_at: datetime
) -> None:
    await _ensure(conn, lane)
    await conn.execute(
        "UPDATE lanes SET failures = failures + 1, next_attempt_at = ?, last_error = ?,"
        " last_push_at = ? WHERE property_id = ? AND kind = ?",
        (to_db_time(retry_at), error, to_db_time(now), lane.property_id, lane.kind),
    )


async def record_rejection(
    conn: aiosqlite.Connection, lane: Lane, now: datetime, *, error: str
) -> None:
    """A refused push: noted, but no back-off (the rows are dead-lettered, not retried)."""
    await _ensure(conn, lane)
    await conn.execute(
        "UPDATE lanes SET last_error = ?, last_push_at = ? WHERE property_id = ? AND kind = ?",
        (error, to_db_time(now), lane.property_id, lane.kind),
    )


async def reserve_call_in(
    conn: aiosqlite.Connection, lane: Lane, now: datetime, *, limit: int, window_s: float
) -> datetime | None:
    """`reserve_call` inside the caller's transaction (`outbox.claim_within_limit`)."""
    horizon = to_db_time(now - timedelta(seconds=window_s))
    await conn.execute(
        "DELETE FROM rate_calls WHERE property_id = ? AND kind = ? AND sent_at <= ?",
        (lane.property_id, lane.kind, horizon),
    )
    cursor = await conn.execute(
        "SELECT sent_at FROM rate_calls WHERE property_id = ? AND kind = ?",
        (lane.property_id, lane.kind),
    )
    sent = [from_db_time(row["sent_at"]) for row in await cursor.fetchall()]
    slot = next_slot(sent, now, limit=limit, window_s=window_s)
    if slot > now:
        return slot
    await conn.execute(
        "INSERT INTO rate_calls (property_id, kind, sent_at) VALUES (?, ?, ?)",
        (lane.property_id, lane.kind, to_db_time(now)),
    )
    return None


async def call_answered_in(
    conn: aiosqlite.Connection, lane: Lane, reserved_at: datetime, now: datetime
) -> None:
    """`call_answered` inside the caller's transaction (`outbox.complete_answered`)."""
    await conn.execute(
        "UPDATE rate_calls SET sent_at = ? WHERE rowid = (SELECT rowid FROM rate_calls"
        " WHERE property_id = ? AND kind = ? AND sent_at = ? LIMIT 1)",
        (to_db_time(max(now, reserved_at)), lane.property_id, lane.kind, to_db_time(reserved_at)),
    )


async def clean_push_in(conn: aiosqlite.Connection, lane: Lane) -> None:
    """`clean_push` inside the caller's transaction (`outbox.complete_answered`)."""
    await conn.execute(
        "UPDATE lanes SET pause_count = 0, paused_until = NULL WHERE property_id = ? AND kind = ?",
        (lane.property_id, lane.kind),
    )


STATES_SQL = """
WITH known AS (
    SELECT property_id, kind FROM lanes
    UNION SELECT DISTINCT property_id, kind FROM rate_calls
    WHERE kind IN ('availability', 'restrictions')
)
SELECT k.property_id, k.kind, l.failures, l.next_attempt_at, l.pause_count, l.paused_until,
       l.last_push_at, l.last_success_at, l.last_error,
       (SELECT COUNT(*) FROM rate_calls r
         WHERE r.property_id = k.property_id AND r.kind = k.kind AND r.sent_at > ?) AS calls
FROM known k LEFT JOIN lanes l ON l.property_id = k.property_id AND l.kind = k.kind
"""


def _state(row: Row) -> LaneState:
    return LaneState(
        lane=Lane(row["property_id"], row["kind"]),
        failures=row["failures"] or 0,
        next_attempt_at=_time(row["next_attempt_at"]),
        pause_count=row["pause_count"] or 0,
        paused_until=_time(row["paused_until"]),
        last_push_at=_time(row["last_push_at"]),
        last_success_at=_time(row["last_success_at"]),
        last_error=row["last_error"],
        calls_in_window=row["calls"],
    )


class SqliteLanes:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def reserve_call(
        self, lane: Lane, now: datetime, *, limit: int, window_s: float = WINDOW_S
    ) -> datetime | None:
        async with self._db.transaction() as conn:
            return await reserve_call_in(conn, lane, now, limit=limit, window_s=window_s)

    async def reserve_read(
        self,
        lane: Lane,
        now: datetime,
        *,
        limit: int,
        own_limit: int = 0,
        window_s: float = WINDOW_S,
    ) -> bool:
        read_kind = f"read:{lane.kind}"
        horizon = to_db_time(now - timedelta(seconds=window_s))
        async with self._db.transaction() as conn:
            if own_limit > 0:
                log_kind, allowed = read_kind, own_limit
            else:
                log_kind, allowed = lane.kind, limit - max(1, limit // 2)
                cursor = await conn.execute(
                    "SELECT 1 FROM outbox WHERE property_id = ? AND kind = ? AND status = 'pending'"
                    " UNION ALL SELECT 1 FROM lanes WHERE property_id = ? AND kind = ?"
                    " AND paused_until > ? LIMIT 1",
                    (lane.property_id, lane.kind, lane.property_id, lane.kind, to_db_time(now)),
                )
                if await cursor.fetchone() is not None:
                    return False
            await conn.execute(
                "DELETE FROM rate_calls WHERE property_id = ? AND kind IN (?, ?) AND sent_at <= ?",
                (lane.property_id, lane.kind, read_kind, horizon),
            )
            cursor = await conn.execute(
                "SELECT sent_at FROM rate_calls WHERE property_id = ? AND kind = ?",
                (lane.property_id, log_kind),
            )
            sent = [from_db_time(row["sent_at"]) for row in await cursor.fetchall()]
            if allowed < 1 or next_slot(sent, now, limit=allowed, window_s=window_s) > now:
                return False
            await conn.execute(
                "INSERT INTO rate_calls (property_id, kind, sent_at) VALUES (?, ?, ?)",
                (lane.property_id, log_kind, to_db_time(now)),
            )
            return True

    async def call_answered(self, lane: Lane, reserved_at: datetime, now: datetime) -> None:
        async with self._db.transaction() as conn:
            await call_answered_in(conn, lane, reserved_at, now)

    async def pause(
        self,
        lane: Lane,
        now: datetime,
        *,
        retry_after_s: float | None,
        window_s: float = WINDOW_S,
    ) -> datetime:
        async with self._db.transaction() as conn:
            await _ensure(conn, lane)
            cursor = await conn.execute(
                "SELECT pause_count FROM lanes WHERE property_id = ? AND kind = ?",
                (lane.property_id, lane.kind),
            )
            row = await cursor.fetchone()
            count = (int(row["pause_count"]) if row else 0) + 1
            until = now + timedelta(
                seconds=pause_after_429(count, retry_after_s, window_s=window_s)
            )
            await conn.execute(
                "UPDATE lanes SET pause_count = ?, paused_until = ? WHERE property_id = ?"
                " AND kind = ?",
                (count, to_db_time(until), lane.property_id, lane.kind),
            )
        return until

    async def clean_push(self, lane: Lane, now: datetime) -> None:
        async with self._db.transaction() as conn:
            await clean_push_in(conn, lane)

    async def states(self, now: datetime, *, window_s: float = WINDOW_S) -> list[LaneState]:
        horizon = to_db_time(now - timedelta(seconds=window_s))
        rows = await self._db.fetchall(STATES_SQL + " ORDER BY k.property_id, k.kind", (horizon,))
        return [_state(row) for row in rows]

    async def get(
        self, lane: Lane, now: datetime, *, window_s: float = WINDOW_S
    ) -> LaneState | None:
        horizon = to_db_time(now - timedelta(seconds=window_s))
        row = await self._db.fetchone(
            STATES_SQL + " WHERE k.property_id = ? AND k.kind = ?",
            (horizon, lane.property_id, lane.kind),
        )
        return None if row is None else _state(row)
