"""For tests that read or seed the SQLite tables under a `Store` directly."""

from __future__ import annotations

from middleware.store.port import Store
from middleware.store.sqlite.db import Database
from middleware.store.sqlite.store import SqliteStore


def sql(store: Store) -> Database:
    """The SQLite database under `store` (the suite's deployments run on SQLite)."""
    assert isinstance(store, SqliteStore), f"not a SQLite store: {store!r}"
    return store.db
