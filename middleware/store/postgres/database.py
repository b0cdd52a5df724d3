"""PostgreSQL through psycopg 3: a connection pool, versioned migrations, and the store's clock.

`PostgresDatabase.open(DATABASE_URL)` opens an `AsyncConnectionPool` and brings the schema up
to date: the files `migrations/NNNN_<name>.sql`, in order, each in its own transaction and
recorded in `schema_migrations`, all under `pg_advisory_lock(MIGRATION_LOCK_KEY)` — several
processes starting together migrate once, the others wait and find nothing left to do.

The store's clock (the rule every PostgreSQL store module follows):
- Every instant the store writes or compares itself — stamps, leases (`claimed_until`,
  `lease_until`), rate-limit windows, pauses, "due" checks — is the *moment* of the operation.
- Production (`caller_clock=False`, the default): the moment is the database server's
  `clock_timestamp()`, read inside the operation's transaction after any row lock it waited
  for. Every worker on every machine then shares one clock, and a lease or a rate window means
  the same to all of them whatever their own clocks say. The `now` argument every store method
  takes (for signature compatibility with the SQLite store) is ignored for these.
- Tests and the emulated sandbox (`caller_clock=True`): the moment is the caller's `now`, so a
  fake clock drives leases and windows exactly as it does on SQLite.
- Absolute times the caller computes (`retry_at`, `next_attempt_at`, `at` of a handling) are
  stored as given in both modes; values read back are UTC-aware datetimes, as on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

# Any fixed 64-bit number, the same in every process of a deployment.
MIGRATION_LOCK_KEY = 7_346_120_011
POOL_MIN_SIZE = 1
POOL_MAX_SIZE = 10
POOL_OPEN_TIMEOUT_S = 30.0
MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Conn = AsyncConnection[DictRow]
Row = DictRow
Params = Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The migration files shipped with the package, in version order."""
    folder = resources.files("middleware.store.postgres").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_FILE.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must run 1, 2, 3 ... without gaps: {versions}")
    return found


async def _configure(conn: Conn) -> None:
    await conn.execute("SET TIME ZONE 'UTC'")


async def _configure_read_only(conn: Conn) -> None:
    await _configure(conn)
    await conn.execute("SET default_transaction_read_only = on")


async def migrate(conn: Conn) -> list[int]:
    """Apply the missing migrations under the advisory lock; returns the versions applied."""
    applied: list[int] = []
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
        cursor = await conn.execute("SELECT version FROM schema_migrations")
        done = {int(row["version"]) for row in await cursor.fetchall()}
        for migration in migrations():
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql.encode())
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
            applied.append(migration.version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied


class PostgresDatabase:
    """A pool of autocommit connections; `transaction()` for anything that writes twice."""

    def __init__(self, pool: AsyncConnectionPool[Conn], *, caller_clock: bool) -> None:
        self.pool = pool
        self.caller_clock = caller_clock
        self.migrated: list[int] = []

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        caller_clock: bool = False,
        min_size: int = POOL_MIN_SIZE,
        max_size: int = POOL_MAX_SIZE,
        read_only: bool = False,
    ) -> PostgresDatabase:
        """`read_only` (`python -m middleware check`): every session is
        `default_transaction_read_only` and no migration runs."""
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            url,
            connection_class=AsyncConnection[DictRow],
            kwargs={"autocommit": True, "row_factory": dict_row},
            configure=_configure_read_only if read_only else _configure,
            min_size=min_size,
            max_size=max_size,
            open=False,
        )
        await pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT_S)
        db = cls(pool, caller_clock=caller_clock)
        if read_only:
            return db
        try:
            async with pool.connection() as conn:
                db.migrated = await migrate(conn)
        except BaseException:
            await pool.close()
            raise
        return db

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """One pooled connection in a transaction: COMMIT, or ROLLBACK on any exception."""
        async with self.pool.connection() as conn, conn.transaction():
            yield conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        """One pooled connection, autocommit: each statement its own transaction (reads)."""
        async with self.pool.connection() as conn:
            yield conn

    async def moment(self, conn: Conn, now: datetime) -> datetime:
        """The operation's instant by the clock rule in the module docstring."""
        if self.caller_clock:
            return now
        cursor = await conn.execute("SELECT clock_timestamp() AS now")
        moment: datetime = (await cursor.fetchall())[0]["now"]
        return moment

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchall()

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return await cursor.fetchone()

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement (autocommit); returns the affected row count."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount
