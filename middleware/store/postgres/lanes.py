"""Per-lane send control on PostgreSQL: the rate-limit log, the 429 pause, the retry backoff.

Same operations and results as `store/lanes.py`. What several workers add: the lane's row in
`lanes` is the lock. `reserve_call`, `reserve_read`, `call_answered` and `pause` take it
(`SELECT ... FOR UPDATE`) before they read the log, so reservers on any number of connections
and machines are served one at a time and the window never holds more than the limit (a
port without the lock over-admits: every reserver reads the same log, each sees a free
slot). The pause lives on the same row, so one worker's 429 holds every worker. Times follow
the clock rule of `postgres/database.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from middleware.domain.models import Lane
from middleware.ratelimit import WINDOW_S, next_slot, pause_after_429
from middleware.store.lanes import LaneState
from middleware.store.postgres.database import Conn, PostgresDatabase, Row

_LOCK = "SELECT 1 FROM lanes WHERE property_id = %s AND kind = %s FOR UPDATE"
_LOCK_SKIP_LOCKED = _LOCK + " SKIP LOCKED"


async def lock_lane(conn: Conn, lane: Lane, *, skip_locked: bool = False) -> bool:
    """Lock the lane's row for the transaction (made first if need be); with `skip_locked`,
    False instead of waiting when another transaction holds it."""
    await conn.execute(
        "INSERT INTO lanes (property_id, kind) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (lane.property_id, lane.kind),
    )
    cursor = await conn.execute(
        _LOCK_SKIP_LOCKED if skip_locked else _LOCK, (lane.property_id, lane.kind)
    )
    return await cursor.fetchone() is not None


async def _recorded(conn: Conn, lane: Lane) -> None:
    """The lane has state a person reads (SQLite's `_ensure`)."""
    await conn.execute(
        "INSERT INTO lanes (property_id, kind, recorded) VALUES (%s, %s, true)"
        " ON CONFLICT (property_id, kind) DO UPDATE SET recorded = true",
        (lane.property_id, lane.kind),
    )


async def _log(conn: Conn, property_id: str, kind: str) -> list[datetime]:
    cursor = await conn.execute(
        "SELECT sent_at FROM rate_calls WHERE property_id = %s AND kind = %s",
        (property_id, kind),
    )
    return [row["sent_at"] for row in await cursor.fetchall()]


STATES_SQL = """
WITH known AS (
    SELECT property_id, kind FROM lanes WHERE recorded
    UNION SELECT DISTINCT property_id, kind FROM rate_calls
    WHERE kind IN ('availability', 'restrictions')
)
SELECT k.property_id, k.kind, l.failures, l.next_attempt_at, l.pause_count, l.paused_until,
       l.last_push_at, l.last_success_at, l.last_error,
       (SELECT count(*) FROM rate_calls r
         WHERE r.property_id = k.property_id AND r.kind = k.kind AND r.sent_at > %s) AS calls
FROM known k LEFT JOIN lanes l ON l.property_id = k.property_id AND l.kind = k.kind
"""


def _state(row: Row) -> LaneState:
    return LaneState(
        lane=Lane(row["property_id"], row["kind"]),
        failures=row["failures"] or 0,
        next_attempt_at=row["next_attempt_at"],
        pause_count=row["pause_count"] or 0,
        paused_until=row["paused_until"],
        last_push_at=row["last_push_at"],
        last_success_at=row["last_success_at"],
        last_error=row["last_error"],
        calls_in_window=int(row["calls"]),
    )


async def reserve_call_in(
    conn: Conn, lane: Lane, moment: datetime, *, limit: int, window_s: float
) -> datetime | None:
    """`reserve_call` in the caller's transaction, the lane's row already locked by it
    (`outbox.claim_within_limit`)."""
    await conn.execute(
        "DELETE FROM rate_calls WHERE property_id = %s AND kind = %s AND sent_at <= %s",
        (lane.property_id, lane.kind, moment - timedelta(seconds=window_s)),
    )
    sent = await _log(conn, lane.property_id, lane.kind)
    slot = next_slot(sent, moment, limit=limit, window_s=window_s)
    if slot > moment:
        return slot
    await conn.execute(
        "INSERT INTO rate_calls (property_id, kind, sent_at) VALUES (%s, %s, %s)",
        (lane.property_id, lane.kind, moment),
    )
    return None


async def clean_push_in(conn: Conn, lane: Lane) -> None:
    """`clean_push` in the caller's transaction (`outbox.complete_answered`)."""
    await conn.execute(
        "UPDATE lanes SET pause_count = 0, paused_until = NULL"
        " WHERE property_id = %s AND kind = %s",
        (lane.property_id, lane.kind),
    )


class PostgresLanes:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def reserve_call(
        self, lane: Lane, now: datetime, *, limit: int, window_s: float = WINDOW_S
    ) -> datetime | None:
        """Take a call slot: None if a call may go now (and it is recorded now), else the
        earliest time one may (nothing recorded)."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            moment = await self.db.moment(conn, now)
            return await reserve_call_in(conn, lane, moment, limit=limit, window_s=window_s)

    async def reserve_read(
        self,
        lane: Lane,
        now: datetime,
        *,
        limit: int,
        own_limit: int = 0,
        window_s: float = WINDOW_S,
    ) -> bool:
        """Take a slot for an ARI read-back of the lane; False: not now (rules of
        `store/lanes.reserve_read`)."""
        read_kind = f"read:{lane.kind}"
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            moment = await self.db.moment(conn, now)
            if own_limit > 0:
                log_kind, allowed = read_kind, own_limit
            else:
                log_kind, allowed = lane.kind, limit - max(1, limit // 2)
                cursor = await conn.execute(
                    "SELECT 1 FROM outbox WHERE property_id = %s AND kind = %s"
                    " AND status = 'pending' UNION ALL SELECT 1 FROM lanes WHERE property_id = %s"
                    " AND kind = %s AND paused_until > %s LIMIT 1",
                    (lane.property_id, lane.kind, lane.property_id, lane.kind, moment),
                )
                if await cursor.fetchone() is not None:
                    return False
            await conn.execute(
                "DELETE FROM rate_calls WHERE property_id = %s AND kind IN (%s, %s)"
                " AND sent_at <= %s",
                (lane.property_id, lane.kind, read_kind, moment - timedelta(seconds=window_s)),
            )
            sent = await _log(conn, lane.property_id, log_kind)
            if allowed < 1 or next_slot(sent, moment, limit=allowed, window_s=window_s) > moment:
                return False
            await conn.execute(
                "INSERT INTO rate_calls (property_id, kind, sent_at) VALUES (%s, %s, %s)",
                (lane.property_id, log_kind, moment),
            )
            return True

    async def call_answered(self, lane: Lane, reserved_at: datetime, now: datetime) -> None:
        """The call reserved at `reserved_at` has its answer: its log entry moves to the answer
        time (why: `store/lanes.call_answered`). Under the database clock the caller's
        `reserved_at` is not what was logged, so the lane's oldest unanswered entry moves
        instead: answer times given out in reservation order never log a call earlier than
        it arrived, whichever of the lane's calls answered."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            await self.call_answered_in(conn, lane, reserved_at, now)

    async def call_answered_in(
        self, conn: Conn, lane: Lane, reserved_at: datetime, now: datetime
    ) -> None:
        """`call_answered` in the caller's transaction, the lane's row locked
        (`outbox.complete_answered`)."""
        if self.db.caller_clock:
            await conn.execute(
                "UPDATE rate_calls SET sent_at = %s, answered = true WHERE id = (SELECT id"
                " FROM rate_calls WHERE property_id = %s AND kind = %s AND sent_at = %s"
                " ORDER BY id LIMIT 1)",
                (max(now, reserved_at), lane.property_id, lane.kind, reserved_at),
            )
            return
        await conn.execute(
            "UPDATE rate_calls SET sent_at = greatest(sent_at, clock_timestamp()),"
            " answered = true WHERE id = (SELECT id FROM rate_calls WHERE property_id = %s"
            " AND kind = %s AND NOT answered ORDER BY sent_at, id LIMIT 1)",
            (lane.property_id, lane.kind),
        )

    async def pause(
        self,
        lane: Lane,
        now: datetime,
        *,
        retry_after_s: float | None,
        window_s: float = WINDOW_S,
    ) -> datetime:
        """After a 429: hold the lane for every worker, 60, 120, 240, 480, then 600 s (or
        Retry-After if longer), scaled by `window_s` / 60."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "SELECT pause_count FROM lanes WHERE property_id = %s AND kind = %s",
                (lane.property_id, lane.kind),
            )
            row = await cursor.fetchone()
            count = (int(row["pause_count"]) if row else 0) + 1
            hold_s = pause_after_429(count, retry_after_s, window_s=window_s)
            until = moment + timedelta(seconds=hold_s)
            await conn.execute(
                "UPDATE lanes SET pause_count = %s, paused_until = %s, recorded = true"
                " WHERE property_id = %s AND kind = %s",
                (count, until, lane.property_id, lane.kind),
            )
        return until

    async def clean_push(self, lane: Lane, now: datetime) -> None:
        """A push went through: the next 429 starts the pause ladder from 60 s again."""
        async with self.db.connection() as conn:
            await clean_push_in(conn, lane)

    async def record_success(self, conn: Conn, lane: Lane, now: datetime) -> None:
        """In the caller's transaction (with the push's outcome)."""
        moment = await self.db.moment(conn, now)
        await _recorded(conn, lane)
        await conn.execute(
            "UPDATE lanes SET failures = 0, next_attempt_at = NULL, last_error = NULL,"
            " last_success_at = %s, last_push_at = %s WHERE property_id = %s AND kind = %s",
            (moment, moment, lane.property_id, lane.kind),
        )

    async def record_failure(
        self, conn: Conn, lane: Lane, now: datetime, *, error: str, retry_at: datetime
    ) -> None:
        moment = await self.db.moment(conn, now)
        await _recorded(conn, lane)
        await conn.execute(
            "UPDATE lanes SET failures = failures + 1, next_attempt_at = %s, last_error = %s,"
            " last_push_at = %s WHERE property_id = %s AND kind = %s",
            (retry_at, error, moment, lane.property_id, lane.kind),
        )

    async def record_rejection(self, conn: Conn, lane: Lane, now: datetime, *, error: str) -> None:
        """A refused push: noted, but no back-off (the rows are dead-lettered, not retried)."""
        moment = await self.db.moment(conn, now)
        await _recorded(conn, lane)
        await conn.execute(
            "UPDATE lanes SET last_error = %s, last_push_at = %s"
            " WHERE property_id = %s AND kind = %s",
            (error, moment, lane.property_id, lane.kind),
        )

    async def states(self, now: datetime, *, window_s: float = WINDOW_S) -> list[LaneState]:
        """Every lane that has a state row or recent calls, ordered by property and kind."""
        async with self.db.connection() as conn:
            horizon = await self.db.moment(conn, now) - timedelta(seconds=window_s)
            cursor = await conn.execute(
                STATES_SQL + ' ORDER BY k.property_id COLLATE "C", k.kind COLLATE "C"',
                (horizon,),
            )
            return [_state(row) for row in await cursor.fetchall()]

    async def get(
        self, lane: Lane, now: datetime, *, window_s: float = WINDOW_S
    ) -> LaneState | None:
        async with self.db.connection() as conn:
            horizon = await self.db.moment(conn, now) - timedelta(seconds=window_s)
            cursor = await conn.execute(
                STATES_SQL + " WHERE k.property_id = %s AND k.kind = %s",
                (horizon, lane.property_id, lane.kind),
            )
            row = await cursor.fetchone()
        return None if row is None else _state(row)
