"""Fetched revision facts on PostgreSQL give the SQLite module's results."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.fetched_facts import PostgresFetchedFacts
from middleware.store.sqlite import fetched_facts as sqlite_fetched_facts
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound
from tests.store.contract.test_fetched_facts import FACTS

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)


async def _scenario(facts: Any) -> list[Any]:
    out: list[Any] = []
    out.append(await facts.load_many([]))
    await facts.save("rev-1", FACTS, NOW)
    await facts.save("rev-2", dataclasses.replace(FACTS, guest="Bo"), NOW)
    out.append(await facts.load_many(["rev-1", "rev-2", "rev-3", "rev-1"]))
    await facts.save("rev-1", dataclasses.replace(FACTS, amount=None, guest=""), NOW)
    out.append(await facts.load_many(["rev-1"]))
    return out


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        expected = await _scenario(Bound(sqlite_fetched_facts, sqlite_db))
    finally:
        await sqlite_db.close()
    assert await _scenario(PostgresFetchedFacts(pg_db)) == expected
