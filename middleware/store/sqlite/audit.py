"""SQLite implementation of `store.audit` (`Audit`)."""

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
from middleware.store.sqlite.db import Database, Row
from middleware.store.stamps import from_db_time, to_db_time


def _call_row(row: Row) -> CallRow:
    return CallRow(
        id=row["id"],
        at=from_db_time(row["at"]),
        service=row["service"],
        method=row["method"],
        url=row["url"],
        status=row["status"],
        duration_ms=row["duration_ms"],
        request_body=row["request_body"],
        response_body=row["response_body"],
        error=row["error"],
    )


# a heartbeat of the kind: named the kind, or the kind and ":" and an identity
_OF_KIND = "(name = ? OR substr(name, 1, length(?) + 1) = ? || ':')"


class SqliteAudit:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record_call(self, record: CallRecord, now: datetime) -> None:
        await self.record_calls([(record, now)])

    async def record_calls(self, calls: Sequence[tuple[CallRecord, datetime]]) -> list[None]:
        if not calls:
            return []
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO http_calls (at, service, method, url, status, duration_ms,"
                " request_body, response_body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(to_db_time(now), *call_row_values(record)) for record, now in calls],
            )
        return [None] * len(calls)

    def sink(self, clock: Callable[[], datetime]) -> CallSink:
        return group_sink(self, clock)

    async def recent_calls(self, *, service: str | None = None, limit: int = 50) -> list[CallRow]:
        rows = await self._db.fetchall(
            "SELECT * FROM http_calls WHERE (? IS NULL OR service = ?) ORDER BY id DESC LIMIT ?",
            (service, service, limit),
        )
        return [_call_row(row) for row in rows]

    async def calls_mentioning(
        self, needles: Sequence[str], *, service: str | None = None, limit: int = 50
    ) -> list[CallRow]:
        wanted = [n for n in needles if n]
        if not wanted:
            return []
        match = " OR ".join(
            ["instr(url, ?) > 0 OR instr(coalesce(request_body, ''), ?) > 0"] * len(wanted)
        )
        rows = await self._db.fetchall(
            "SELECT * FROM (SELECT * FROM http_calls"  # noqa: S608
            " WHERE (? IS NULL OR service = ?)"
            f" AND ({match}) ORDER BY id DESC LIMIT ?) ORDER BY id",
            (service, service, *[n for needle in wanted for n in (needle, needle)], limit),
        )
        return [_call_row(row) for row in rows]

    async def heartbeat(self, name: str, now: datetime, detail: str | None = None) -> None:
        await self._db.execute(
            "INSERT INTO heartbeats (name, at, detail) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET at = excluded.at, detail = excluded.detail",
            (name, to_db_time(now), detail),
        )

    async def last_heartbeat(self, name: str) -> tuple[datetime, str | None] | None:
        row = await self._db.fetchone("SELECT at, detail FROM heartbeats WHERE name = ?", (name,))
        return None if row is None else (from_db_time(row["at"]), row["detail"])

    async def heartbeats(self, kind: str) -> list[Heartbeat]:
        rows = await self._db.fetchall(
            f"SELECT name, at, detail FROM heartbeats WHERE {_OF_KIND} ORDER BY name",  # noqa: S608
            (kind, kind, kind),
        )
        return [
            Heartbeat(name=r["name"], at=from_db_time(r["at"]), detail=r["detail"]) for r in rows
        ]

    async def forget_heartbeats(self, kind: str, *, before: datetime) -> list[str]:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"DELETE FROM heartbeats WHERE ({_OF_KIND}) AND at < ? RETURNING name",  # noqa: S608
                (kind, kind, kind, to_db_time(before)),
            )
            return sorted(str(row[0]) for row in await cursor.fetchall())

    async def set_value(self, key: str, value: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at ="
            " excluded.updated_at",
            (key, value, to_db_time(now)),
        )

    async def get_value(self, key: str) -> str | None:
        row = await self._db.fetchone("SELECT value FROM kv WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def take_turn(self, key: str, now: datetime, *, every_s: float) -> bool:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
                " WHERE kv.updated_at <= ? RETURNING key",
                (key, stamp, stamp, to_db_time(now - timedelta(seconds=every_s))),
            )
            return await cursor.fetchone() is not None

    async def prune(self, now: datetime, *, keep_days: int = 30) -> int:
        cutoff = to_db_time(now - timedelta(days=keep_days))
        async with self._db.transaction() as conn:
            calls = await conn.execute("DELETE FROM http_calls WHERE at < ?", (cutoff,))
            await conn.execute(
                "DELETE FROM push_cells WHERE push_id IN"
                " (SELECT id FROM pushes WHERE status != 'claimed' AND finished_at < ?)",
                (cutoff,),
            )
            pushes = await conn.execute(
                "DELETE FROM pushes WHERE status != 'claimed' AND finished_at < ?", (cutoff,)
            )
            return calls.rowcount + pushes.rowcount
