"""The audit trail of outbound HTTP calls, process heartbeats and small named values.

Bodies are masked before they are stored (secrets, e-mail addresses, phone numbers, values
under contact keys) and truncated, so the audit table is safe to show on /status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
import structlog

from middleware import logs
from middleware.calllog import CallRecord, CallSink
from middleware.store.db import Database, Row, from_db_time, to_db_time

log = structlog.get_logger(__name__)

MAX_BODY_CHARS = 4000
TRUNCATED = "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRow:
    id: int
    at: datetime
    service: str
    method: str
    url: str
    status: int | None
    duration_ms: int
    request_body: str | None
    response_body: str | None
    error: str | None


def _truncate(text: str) -> str:
    if len(text) <= MAX_BODY_CHARS:
        return text
    return text[: MAX_BODY_CHARS - len(TRUNCATED)] + TRUNCATED


def mask_body(body: str | None) -> str | None:
    """A body safe to store: JSON masked by key and by pattern, other text by pattern."""
    if body is None:
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _truncate(logs.mask_text(body))
    return _truncate(orjson.dumps(logs.mask_value(parsed)).decode())


async def record_call(db: Database, record: CallRecord, now: datetime) -> None:
    await db.execute(
        "INSERT INTO http_calls (at, service, method, url, status, duration_ms, request_body,"
        " response_body, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            to_db_time(now),
            record.service,
            record.method,
            logs.mask_text(record.url),
            record.status,
            record.duration_ms,
            mask_body(record.request_body),
            mask_body(record.response_body),
            None if record.error is None else _truncate(logs.mask_text(record.error)),
        ),
    )


def sink(db: Database, clock: Callable[[], datetime]) -> CallSink:
    """The clients' `on_call`: store each call. Auditing is best effort: a failed write is
    logged, never raised into the call that was being audited."""

    async def on_call(record: CallRecord) -> None:
        try:
            await record_call(db, record, clock())
        except Exception as exc:
            log.warning("audit_write_failed", service=record.service, error=str(exc))

    return on_call


async def recent_calls(
    db: Database, *, service: str | None = None, limit: int = 50
) -> list[CallRow]:
    """The latest calls, newest first."""
    rows = await db.fetchall(
        "SELECT * FROM http_calls WHERE (? IS NULL OR service = ?) ORDER BY id DESC LIMIT ?",
        (service, service, limit),
    )
    return [_call_row(row) for row in rows]


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


async def calls_mentioning(
    db: Database, needles: Sequence[str], *, service: str | None = None, limit: int = 50
) -> list[CallRow]:
    """Calls whose URL or request body contains any of `needles` (ids), oldest first."""
    wanted = [n for n in needles if n]
    if not wanted:
        return []
    match = " OR ".join(
        ["instr(url, ?) > 0 OR instr(coalesce(request_body, ''), ?) > 0"] * len(wanted)
    )
    rows = await db.fetchall(
        f"SELECT * FROM (SELECT * FROM http_calls WHERE (? IS NULL OR service = ?)"  # noqa: S608
        f" AND ({match}) ORDER BY id DESC LIMIT ?) ORDER BY id",
        (service, service, *[n for needle in wanted for n in (needle, needle)], limit),
    )
    return [_call_row(row) for row in rows]


async def heartbeat(db: Database, name: str, now: datetime, detail: str | None = None) -> None:
    await db.execute(
        "INSERT INTO heartbeats (name, at, detail) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET at = excluded.at, detail = excluded.detail",
        (name, to_db_time(now), detail),
    )


async def last_heartbeat(db: Database, name: str) -> tuple[datetime, str | None] | None:
    row = await db.fetchone("SELECT at, detail FROM heartbeats WHERE name = ?", (name,))
    return None if row is None else (from_db_time(row["at"]), row["detail"])


async def set_value(db: Database, key: str, value: str, now: datetime) -> None:
    await db.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        (key, value, to_db_time(now)),
    )


async def get_value(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM kv WHERE key = ?", (key,))
    return None if row is None else str(row["value"])


async def prune(db: Database, now: datetime, *, keep_days: int = 30) -> int:
    """Housekeeping: drop audited calls and finished pushes older than `keep_days`."""
    cutoff = to_db_time(now - timedelta(days=keep_days))
    async with db.transaction() as conn:
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
