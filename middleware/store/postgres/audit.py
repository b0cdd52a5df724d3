"""The audit trail on PostgreSQL (`store/audit.py`'s operations): outbound HTTP calls,
process heartbeats and small named values.

Bodies are masked and truncated by `store/audit.mask_body` before they are stored, as on
SQLite. Stamps (`at` of a call or a heartbeat, `updated_at` of a value) follow the clock rule
of `postgres/database.py`; so does `prune`'s cutoff (`keep_days` before the moment).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from middleware.calllog import CallRecord, CallSink
from middleware.store.audit import (
    CallRow,
    Heartbeat,
    call_row_values,
    group_sink,
)
from middleware.store.postgres.database import PostgresDatabase, Row


def _call_row(row: Row) -> CallRow:
    return CallRow(
        id=row["id"],
        at=row["at"],
        service=row["service"],
        method=row["method"],
        url=row["url"],
        status=row["status"],
        duration_ms=row["duration_ms"],
        request_body=row["request_body"],
        response_body=row["response_body"],
        error=row["error"],
    )


class PostgresAudit:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def record_call(self, record: CallRecord, now: datetime) -> None:
        await self.record_calls([(record, now)])

    async def record_calls(self, calls: Sequence[tuple[CallRecord, datetime]]) -> list[None]:
        """Several calls in one transaction; each stamped its own end time on the caller's
        clock, the moment of the write on the database's."""
        if not calls:
            return []
        async with self.db.transaction() as conn:
            moment = None if self.db.caller_clock else await self.db.moment(conn, calls[0][1])
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO http_calls (at, service, method, url, status, duration_ms,"
                    " request_body, response_body, error)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(moment or now, *call_row_values(record)) for record, now in calls],
                )
        return [None] * len(calls)

    def sink(self, clock: Callable[[], datetime]) -> CallSink:
        """The clients' `on_call` (`store/audit.group_sink`): calls that end together are
        stored in one transaction, best effort."""
        return group_sink(self, clock)

    async def recent_calls(self, *, service: str | None = None, limit: int = 50) -> list[CallRow]:
        """The latest calls, newest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM http_calls WHERE (%s::text IS NULL OR service = %s)"
            " ORDER BY id DESC LIMIT %s",
            (service, service, limit),
        )
        return [_call_row(row) for row in rows]

    async def calls_mentioning(
        self, needles: Sequence[str], *, service: str | None = None, limit: int = 50
    ) -> list[CallRow]:
        """Calls whose URL or request body contains any of `needles` (ids), oldest first."""
        wanted = [n for n in needles if n]
        if not wanted:
            return []
        rows = await self.db.fetchall(
            "SELECT * FROM (SELECT * FROM http_calls WHERE (%(s)s::text IS NULL OR service = %(s)s)"
            " AND EXISTS (SELECT 1 FROM unnest(%(n)s::text[]) AS needle"
            " WHERE strpos(url, needle) > 0 OR strpos(coalesce(request_body, ''), needle) > 0)"
            " ORDER BY id DESC LIMIT %(limit)s) AS latest ORDER BY id",
            {"s": service, "n": wanted, "limit": limit},
        )
        return [_call_row(row) for row in rows]

    async def heartbeat(self, name: str, now: datetime, detail: str | None = None) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO heartbeats (name, at, detail) VALUES (%s, %s, %s)"
                " ON CONFLICT (name) DO UPDATE SET at = excluded.at, detail = excluded.detail",
                (name, await self.db.moment(conn, now), detail),
            )

    async def last_heartbeat(self, name: str) -> tuple[datetime, str | None] | None:
        row = await self.db.fetchone("SELECT at, detail FROM heartbeats WHERE name = %s", (name,))
        return None if row is None else (row["at"], row["detail"])

    async def heartbeats(self, kind: str) -> list[Heartbeat]:
        """Every heartbeat of the processes of `kind`, by name (`store/audit.py`)."""
        rows = await self.db.fetchall(
            "SELECT name, at, detail FROM heartbeats"
            " WHERE name = %(k)s OR starts_with(name, %(k)s || ':') ORDER BY name COLLATE \"C\"",
            {"k": kind},
        )
        return [Heartbeat(name=r["name"], at=r["at"], detail=r["detail"]) for r in rows]

    async def forget_heartbeats(self, kind: str, *, before: datetime) -> list[str]:
        """`before` is the caller's (an absolute time it computed), stored rule aside."""
        rows = await self.db.fetchall(
            "DELETE FROM heartbeats WHERE (name = %(k)s OR starts_with(name, %(k)s || ':'))"
            " AND at < %(before)s RETURNING name",
            {"k": kind, "before": before},
        )
        return sorted(str(row["name"]) for row in rows)

    async def set_value(self, key: str, value: str, now: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (%s, %s, %s) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, await self.db.moment(conn, now)),
            )

    async def get_value(self, key: str) -> str | None:
        row = await self.db.fetchone("SELECT value FROM kv WHERE key = %s", (key,))
        return None if row is None else str(row["value"])

    async def take_turn(self, key: str, now: datetime, *, every_s: float) -> bool:
        """`Audit.take_turn` on the database's clock (workers' clocks may disagree)."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (%s, %s, %s) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
                " WHERE kv.updated_at <= %s RETURNING key",
                (key, moment.isoformat(), moment, moment - timedelta(seconds=every_s)),
            )
            return await cursor.fetchone() is not None

    async def prune(self, now: datetime, *, keep_days: int = 30) -> int:
        """Housekeeping: drop audited calls and finished pushes older than `keep_days`."""
        async with self.db.transaction() as conn:
            cutoff = await self.db.moment(conn, now) - timedelta(days=keep_days)
            calls = await conn.execute("DELETE FROM http_calls WHERE at < %s", (cutoff,))
            await conn.execute(
                "DELETE FROM push_cells WHERE push_id IN"
                " (SELECT id FROM pushes WHERE status != 'claimed' AND finished_at < %s)",
                (cutoff,),
            )
            pushes = await conn.execute(
                "DELETE FROM pushes WHERE status != 'claimed' AND finished_at < %s", (cutoff,)
            )
            return calls.rowcount + pushes.rowcount
