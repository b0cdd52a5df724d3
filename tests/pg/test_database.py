"""The PostgreSQL database: migrations under an advisory lock, the schema, the store's clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from middleware.store.postgres.database import PostgresDatabase, migrations
from middleware.store.sqlite.db import Database

# Columns PostgreSQL has beyond SQLite's (see 0001_schema.sql).
PG_ONLY_COLUMNS = {("lanes", "recorded"), ("rate_calls", "answered"), ("rate_calls", "id")}


async def _pg_columns(db: PostgresDatabase) -> set[tuple[str, str]]:
    rows = await db.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name <> 'schema_migrations'"
    )
    return {(row["table_name"], row["column_name"]) for row in rows}


async def _sqlite_columns(path: Path) -> set[tuple[str, str]]:
    db = await Database.open(path)
    try:
        tables = await db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        found: set[tuple[str, str]] = set()
        for table in tables:
            columns = await db.fetchall(f"PRAGMA table_info({table['name']})")
            found.update((str(table["name"]), str(column["name"])) for column in columns)
        return found
    finally:
        await db.close()


async def test_a_new_database_gets_every_migration_and_the_sqlite_tables(
    empty_pg_url: str, tmp_path: Path
) -> None:
    db = await PostgresDatabase.open(empty_pg_url)
    try:
        assert db.migrated == [m.version for m in migrations()]
        rows = await db.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(row["version"], row["name"]) for row in rows] == [
            (m.version, m.name) for m in migrations()
        ]
        assert await _pg_columns(db) - PG_ONLY_COLUMNS == await _sqlite_columns(tmp_path / "s.db")
    finally:
        await db.close()


async def test_the_pump_indexes_are_partial_on_both_backends(
    empty_pg_url: str, tmp_path: Path
) -> None:
    """Migration 0005 (SQLite 11): the due-lanes read's indexes hold only the claims in flight
    and the unclaimed pending rows, on PostgreSQL as on SQLite."""
    db = await PostgresDatabase.open(empty_pg_url)
    try:
        rows = await db.fetchall(
            "SELECT indexname, tablename, position('WHERE' in indexdef) > 0 AS partial"
            " FROM pg_indexes"
            " WHERE indexname IN ('pushes_claimed', 'outbox_unclaimed') ORDER BY indexname"
        )
        found = [(row["indexname"], row["tablename"], row["partial"]) for row in rows]
    finally:
        await db.close()
    sqlite = await Database.open(tmp_path / "s.db")
    try:
        made = await sqlite.fetchall(
            "SELECT name, tbl_name, sql LIKE '%WHERE%' FROM sqlite_master"
            " WHERE name IN ('pushes_claimed', 'outbox_unclaimed') ORDER BY name"
        )
    finally:
        await sqlite.close()
    expected = [("outbox_unclaimed", "outbox", True), ("pushes_claimed", "pushes", True)]
    assert (found, [(name, table, bool(partial)) for name, table, partial in made]) == (
        expected,
        expected,
    )


async def test_two_processes_starting_together_migrate_once(empty_pg_url: str) -> None:
    """Two pools opened at once (as two processes would): one applies, the other waits on the
    advisory lock and finds nothing left to do."""
    first, second = await asyncio.gather(
        PostgresDatabase.open(empty_pg_url), PostgresDatabase.open(empty_pg_url)
    )
    try:
        assert sorted([first.migrated, second.migrated]) == [[], [m.version for m in migrations()]]
        rows = await first.fetchall("SELECT count(*) AS n FROM schema_migrations")
        assert rows == [{"n": len(migrations())}]
    finally:
        await first.close()
        await second.close()


async def test_reopening_a_migrated_database_applies_nothing(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url)
    await db.close()
    assert db.migrated == []


async def test_the_database_clock_is_the_moment_in_production(pg_url: str) -> None:
    """`caller_clock=False`: the caller's `now` (here far in the past) does not count."""
    db = await PostgresDatabase.open(pg_url)
    caller_now = datetime(2001, 1, 1, tzinfo=UTC)
    try:
        async with db.transaction() as conn:
            before = (await (await conn.execute("SELECT clock_timestamp() AS t")).fetchall())[0]
            moment = await db.moment(conn, caller_now)
            after = (await (await conn.execute("SELECT clock_timestamp() AS t")).fetchall())[0]
        assert before["t"] <= moment <= after["t"]
        assert moment.tzinfo is not None and moment.utcoffset() == UTC.utcoffset(None)
    finally:
        await db.close()


async def test_the_callers_clock_is_the_moment_under_a_test_clock(pg_db: PostgresDatabase) -> None:
    caller_now = datetime(2001, 1, 1, tzinfo=UTC)
    async with pg_db.transaction() as conn:
        assert await pg_db.moment(conn, caller_now) == caller_now
