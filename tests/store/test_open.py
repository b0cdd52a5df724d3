"""Which store the settings open: SQLite at DATABASE_PATH (PostgreSQL: tests/pg/test_open.py)."""

from __future__ import annotations

from pathlib import Path

from middleware.config import load_settings
from middleware.store.open import open_store, open_store_read_only
from middleware.store.sqlite.store import SqliteStore

BASE = {"CHANNEX_API_KEY": "k-123456"}


async def test_sqlite_at_database_path_by_default(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    store = await open_store(load_settings({**BASE, "DATABASE_PATH": str(path)}, env_file=None))
    try:
        assert isinstance(store, SqliteStore) and store.path == path
        assert await store.schema_version() == store.latest_schema_version
    finally:
        await store.close()


async def test_read_only_open_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    store = await open_store_read_only(
        load_settings({**BASE, "DATABASE_PATH": str(path)}, env_file=None)
    )
    await store.close()
    assert not path.exists()
