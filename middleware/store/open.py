"""Open the store the settings name: SQLite at `DATABASE_PATH` unless `DATABASE_URL` is set.

The one place outside the backends that knows which backends exist
(`../shared/pms-contract.md` §6). `DATABASE_URL=postgresql://…` opens `PostgresStore` with
the database clock (the production rule in `store.postgres.database`). A URL that cannot be
parsed is a `ConfigError`; a server that cannot be reached (or refuses the login) is a
`DatabaseUnavailableError` naming user, host, port and database — never the password.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import psycopg_pool
from psycopg import conninfo

from middleware.config import POSTGRES_SCHEMES, Settings
from middleware.errors import ConfigError, MiddlewareError
from middleware.store.port import Store
from middleware.store.postgres.store import PostgresStore
from middleware.store.sqlite.store import SqliteStore

CONNECT_TIMEOUT_S = 10


class DatabaseUnavailableError(MiddlewareError):
    """The PostgreSQL server of `DATABASE_URL` could not be reached or refused the login."""


def postgres_url(settings: Settings) -> str | None:
    """The PostgreSQL URL the settings name, or None for SQLite; `ConfigError` for a URL
    that is not PostgreSQL's or cannot be parsed (the message never quotes the URL)."""
    if settings.database_url is None:
        return None
    url = str(settings.database_url)
    if not url.startswith(POSTGRES_SCHEMES):
        raise ConfigError(["DATABASE_URL: expected a postgresql:// URL"])
    try:
        conninfo.conninfo_to_dict(url)
    except psycopg.Error as exc:
        reason = _masked(str(exc), url)
        # Not chained: libpq's own message may quote the password.
        raise ConfigError([f"DATABASE_URL: not a valid PostgreSQL URL ({reason})"]) from None
    return url


def location(settings: Settings) -> str:
    """Where the store is, for people: the SQLite file, or PostgreSQL's user@host:port/db."""
    url = postgres_url(settings)
    return str(settings.database_path) if url is None else f"PostgreSQL {_where(url)}"


def _where(url: str) -> str:
    parts = {key: str(value) for key, value in conninfo.conninfo_to_dict(url).items()}
    user = parts.get("user", "")
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    dbname = parts.get("dbname") or user
    return f"{user + '@' if user else ''}{host}:{port}/{dbname}"


def _masked(text: str, url: str) -> str:
    """`text` with the URL and its password (if any) replaced by `***`."""
    text = text.replace(url, "***")
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        text = text.replace(password, "***")
    return " ".join(text.split())


async def _open_postgres(url: str, *, read_only: bool, caller_clock: bool) -> PostgresStore:
    """One direct connection first, so an unreachable server fails at once with libpq's
    reason (the pool would retry quietly until its timeout), then the pool."""
    try:
        probe = await psycopg.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT_S)
        await probe.close()
        if read_only:
            return await PostgresStore.open_read_only(url)
        return await PostgresStore.open(url, caller_clock=caller_clock)
    except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
        reason = _masked(str(exc), url)  # not chained: the original may quote the password
        raise DatabaseUnavailableError(
            f"DATABASE_URL: cannot connect to PostgreSQL at {_where(url)}: {reason}"
        ) from None


async def open_store(settings: Settings, *, caller_clock: bool = False) -> Store:
    """Open (creating and migrating as needed) the store for reading and writing.
    `caller_clock`: PostgreSQL runs on the caller's clock, not the database's (a process on
    an injected clock — the flow tests' harness — whose leases and windows must follow it)."""
    url = postgres_url(settings)
    if url is not None:
        return await _open_postgres(url, read_only=False, caller_clock=caller_clock)
    return await SqliteStore.open(settings.database_path)


async def open_store_read_only(settings: Settings) -> Store:
    """Open the existing store for reading only (`python -m middleware check`): nothing is
    created, migrated or written (PostgreSQL: every session `default_transaction_read_only`).
    SQLite with no database file yet: an empty in-memory stand-in that the caller must not
    read."""
    url = postgres_url(settings)
    if url is not None:
        return await _open_postgres(url, read_only=True, caller_clock=False)
    path = settings.database_path
    if not path.is_file():
        return await SqliteStore.open(":memory:")
    return await SqliteStore.open_read_only(path)


async def open_store_file(path: Path) -> Store:
    """The embedded store in the SQLite file at `path` (benchmarks and tools that are handed
    a deployment's database file rather than its settings)."""
    return await SqliteStore.open(path)
