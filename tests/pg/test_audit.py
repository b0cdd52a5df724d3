"""The audit trail on PostgreSQL: calls (masked), heartbeats, named values and pruning give
the SQLite module's results on one scenario."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from middleware.calllog import CallRecord
from middleware.store.postgres.audit import PostgresAudit
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.sqlite import audit as sqlite_audit
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def call(service: str, url: str, body: str | None = None, **more: Any) -> CallRecord:
    return CallRecord(
        service=service,
        method=more.pop("method", "POST"),
        url=url,
        status=more.pop("status", 200),
        duration_ms=more.pop("duration_ms", 12),
        request_body=body,
        response_body=more.pop("response", None),
        error=more.pop("error", None),
    )


async def _scenario(audit: Any) -> list[Any]:
    out: list[Any] = []
    await audit.record_call(
        call(
            "channex",
            "http://127.0.0.1/api/v1/bookings/bk-1?page=2",
            '{"guest": {"email": "ana@example.com"}, "id": "rev-1"}',
        ),
        at(0),
    )
    await audit.record_call(
        call(
            "pms",
            "http://127.0.0.1/reservas",
            "x" * 5000,
            response="not json",
            status=None,
            error="timeout",
        ),
        at(1),
    )
    on_call = audit.sink(lambda: at(40))
    await on_call(call("channex", "http://127.0.0.1/api/v1/ari", '{"values": ["rev-1"]}'))
    out.append(await audit.recent_calls())
    out.append(await audit.recent_calls(service="pms", limit=5))
    out.append(await audit.calls_mentioning(["rev-1", ""]))
    out.append(await audit.calls_mentioning(["bk-1", "reservas"], service="channex", limit=1))
    out.append(await audit.calls_mentioning([]))
    out.append(await audit.last_heartbeat("worker-1"))
    await audit.heartbeat("worker-1", at(2), "pid 4")
    await audit.heartbeat("worker-1", at(3))
    await audit.heartbeat("web", at(3), "up")
    out.append(await audit.last_heartbeat("worker-1"))
    out.append(await audit.last_heartbeat("web"))
    out.append(await audit.get_value("k"))
    await audit.set_value("k", "one", at(4))
    await audit.set_value("k", "two", at(5))
    out.append(await audit.get_value("k"))
    out.append(await audit.prune(at(31), keep_days=30))  # the first call only
    out.append(await audit.prune(at(31), keep_days=30))
    out.append(await audit.recent_calls())
    return out  # fmt: skip


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        expected = await _scenario(Bound(sqlite_audit, sqlite_db))
    finally:
        await sqlite_db.close()
    got = await _scenario(PostgresAudit(pg_db))
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)
    assert "ana@example.com" not in str(got)  # masked before it is stored


async def test_a_failed_audit_write_is_not_raised_into_the_call(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url, caller_clock=True)
    audit = PostgresAudit(db)
    await db.execute("DROP TABLE http_calls")
    try:
        await audit.sink(lambda: T0)(call("pms", "http://127.0.0.1/x"))
    finally:
        await db.close()
