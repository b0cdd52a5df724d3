"""Open the store the settings name: SQLite at `DATABASE_PATH` unless `DATABASE_URL` is set.

The one place outside `store.sqlite` that knows which backends exist
(`../shared/pms-contract.md` §6).
"""

from __future__ import annotations

from pathlib import Path

from middleware.config import Settings
from middleware.errors import ConfigError
from middleware.store.port import Store
from middleware.store.sqlite.store import SqliteStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _refuse_url(settings: Settings) -> None:
    url = settings.database_url
    if url is None:
        return
    # Only the scheme is named: the URL may carry a password.
    if str(url).startswith(POSTGRES_SCHEMES):
        raise ConfigError(
            [
                "DATABASE_URL=postgresql://...: the PostgreSQL backend is not in this build"
                " yet; unset DATABASE_URL to use SQLite at DATABASE_PATH"
            ]
        )
    raise ConfigError(["DATABASE_URL: expected a postgresql:// URL"])


async def open_store(settings: Settings) -> Store:
    """Open (creating and migrating as needed) the store for reading and writing."""
    _refuse_url(settings)
    return await SqliteStore.open(settings.database_path)


async def open_store_read_only(settings: Settings) -> Store:
    """Open the existing store for reading only (`python -m middleware check`): nothing is
    created, migrated or written. With no database file yet, an empty in-memory stand-in
    that the caller must not read."""
    _refuse_url(settings)
    path = settings.database_path
    if not path.is_file():
        return await SqliteStore.open(":memory:")
    return await SqliteStore.open_read_only(path)


async def open_store_file(path: Path) -> Store:
    """The embedded store in the SQLite file at `path` (benchmarks and tools that are handed
    a deployment's database file rather than its settings)."""
    return await SqliteStore.open(path)
