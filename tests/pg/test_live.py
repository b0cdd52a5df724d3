"""Go-live on PostgreSQL: the live rows and the full sync that pushes them give the SQLite
module's results on one scenario (and commit together)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.live import PostgresLive
from middleware.store.postgres.sync_requests import PostgresSyncRequests
from middleware.store.sqlite import live as sqlite_live
from middleware.store.sqlite import sync_requests as sqlite_sync_requests
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def _scenario(live: Any, requests: Any) -> list[Any]:
    out: list[Any] = []
    out.append(await live.is_live("p1"))
    out.append(await live.live_properties())
    out.append(await live.go_live(["p2", "p1"], at(1), by="POST /sync/full (ana)", source="admin"))
    out.append(await live.go_live(["p1", "p3"], at(2), by="cli", source="cli", only="p3"))
    await live.put_live(["p1", "p4"], at(3), by="bench")
    out.append([await live.is_live(p) for p in ("p1", "p2", "p3", "p4", "p5")])
    out.append(await live.live_properties())
    out.append(await requests.claim_due(at(4), lease_s=60))
    return out


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        expected = await _scenario(
            Bound(sqlite_live, sqlite_db), Bound(sqlite_sync_requests, sqlite_db)
        )
    finally:
        await sqlite_db.close()
    got = await _scenario(PostgresLive(pg_db), PostgresSyncRequests(pg_db))
    assert got == expected


async def test_a_failed_full_sync_request_leaves_the_property_not_live(
    pg_db: PostgresDatabase,
) -> None:
    await pg_db.execute("ALTER TABLE sync_requests ADD CONSTRAINT no_cli CHECK (source != 'cli')")
    live = PostgresLive(pg_db)
    with pytest.raises(psycopg.errors.CheckViolation, match="no_cli"):
        await live.go_live(["p1"], at(1), by="cli", source="cli")
    assert await live.live_properties() == {}
