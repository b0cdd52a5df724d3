"""Which store the settings open: SQLite at DATABASE_PATH, PostgreSQL refused until it lands."""

from __future__ import annotations

from pathlib import Path

import pytest

from middleware.config import load_settings
from middleware.errors import ConfigError
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


@pytest.mark.parametrize("read_only", [False, True])
async def test_a_postgresql_url_is_a_clear_config_error_that_names_no_password(
    tmp_path: Path, read_only: bool
) -> None:
    settings = load_settings(
        {**BASE, "DATABASE_PATH": str(tmp_path / "m.db"), "DATABASE_URL": "postgresql://u:pw@h/db"},
        env_file=None,
    )
    with pytest.raises(ConfigError) as caught:
        await (open_store_read_only(settings) if read_only else open_store(settings))
    assert caught.value.problems == (
        "DATABASE_URL=postgresql://...: the PostgreSQL backend is not in this build yet;"
        " unset DATABASE_URL to use SQLite at DATABASE_PATH",
    )
    assert not (tmp_path / "m.db").exists()


async def test_read_only_open_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    store = await open_store_read_only(
        load_settings({**BASE, "DATABASE_PATH": str(path)}, env_file=None)
    )
    await store.close()
    assert not path.exists()
