"""`DATABASE_URL=postgresql://…` opens the PostgreSQL store (database clock); a bad URL or an
unreachable server is a clear error that never shows the password; `check` reads through a
read-only session and migrates nothing; the `/health` write probe writes on PostgreSQL."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from middleware.config import load_settings
from middleware.errors import ConfigError
from middleware.ops.checks import Check, Checker
from middleware.ops.runtime import open_runtime
from middleware.sandbox.processes import middleware_env
from middleware.store import keys
from middleware.store.open import DatabaseUnavailableError, open_store, open_store_read_only
from middleware.store.postgres.database import migrations
from middleware.store.postgres.store import PostgresStore
from tests.ops.test_cli import NOW, base_env, fixed_clock, run

BASE = {"CHANNEX_API_KEY": "k-123456"}
PASSWORD = "s3cret-pw"


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(tmp_path: Path, url: str) -> dict[str, str]:
    return {**BASE, "DATABASE_PATH": str(tmp_path / "m.db"), "DATABASE_URL": url}


async def test_a_postgresql_url_opens_the_postgres_store_on_the_database_clock(
    tmp_path: Path, pg_url: str
) -> None:
    store = await open_store(load_settings(settings_for(tmp_path, pg_url), env_file=None))
    try:
        assert isinstance(store, PostgresStore)
        assert store.db.caller_clock is False
        assert await store.schema_version() == migrations()[-1].version
    finally:
        await store.close()
    assert not (tmp_path / "m.db").exists()


@pytest.mark.parametrize("read_only", [False, True])
async def test_an_unreachable_server_is_named_by_host_and_port_without_the_password(
    tmp_path: Path, read_only: bool
) -> None:
    port = closed_port()
    url = f"postgresql://mw:{PASSWORD}@127.0.0.1:{port}/hotels"
    settings = load_settings(settings_for(tmp_path, url), env_file=None)
    with pytest.raises(DatabaseUnavailableError) as caught:
        await (open_store_read_only(settings) if read_only else open_store(settings))
    assert str(caught.value) == (
        f"DATABASE_URL: cannot connect to PostgreSQL at mw@127.0.0.1:{port}/hotels:"
        f' connection failed: connection to server at "127.0.0.1", port {port} failed:'
        " Connection refused Is the server running on that host and accepting TCP/IP"
        " connections?"
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert not (tmp_path / "m.db").exists()


async def test_an_unparseable_url_is_a_config_error_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://mw:p w@127.0.0.1/hotels"
    with pytest.raises(ConfigError) as caught:
        await open_store(load_settings(settings_for(tmp_path, url), env_file=None))
    assert caught.value.problems == (
        'DATABASE_URL: not a valid PostgreSQL URL (unexpected spaces found in "***",'
        " use percent-encoded spaces (%20) instead)",
    )


async def test_the_cli_names_the_unreachable_server_and_exits_with_the_config_code(
    tmp_path: Path,
) -> None:
    port = closed_port()
    env = base_env(tmp_path) | {"DATABASE_URL": f"postgresql://mw:{PASSWORD}@127.0.0.1:{port}/h"}
    code, out, err = await run(["status"], env)
    assert (code, out) == (2, "")
    assert err.startswith(
        f"error: DATABASE_URL: cannot connect to PostgreSQL at mw@127.0.0.1:{port}/h"
    )
    assert PASSWORD not in err


async def test_read_only_sessions_and_no_migration(tmp_path: Path, empty_pg_url: str) -> None:
    settings = load_settings(settings_for(tmp_path, empty_pg_url), env_file=None)
    store = await open_store_read_only(settings)
    try:
        assert isinstance(store, PostgresStore)
        assert await store.schema_version() == 0
        row = await store.db.fetchone("SHOW default_transaction_read_only")
        assert row == {"default_transaction_read_only": "on"}
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            await store.db.execute("CREATE TABLE t (x int)")
    finally:
        await store.close()
    with psycopg.connect(empty_pg_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    assert tables == (0,)


async def test_check_reads_the_postgres_store_and_writes_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    env = base_env(tmp_path) | {"DATABASE_URL": pg_url, "CHANNEX_ENABLED": "false"}
    _, out, err = await run(["check"], env)
    where = pg_url.removeprefix("postgresql://")
    version = migrations()[-1].version
    assert err == ""
    assert (
        f"ok    database         readable at PostgreSQL {where}, schema version {version};"
        " writing not checked"
    ) in out.splitlines()
    store = await PostgresStore.open(pg_url)
    try:
        assert await store.audit.get_value(keys.HEALTH_PROBE_KEY) is None
    finally:
        await store.close()


async def test_check_on_a_database_never_migrated_says_so(
    tmp_path: Path, empty_pg_url: str
) -> None:
    env = base_env(tmp_path) | {"DATABASE_URL": empty_pg_url, "CHANNEX_ENABLED": "false"}
    code, out, _ = await run(["check"], env)
    where = empty_pg_url.removeprefix("postgresql://")
    assert code == 1
    assert (
        f"FAIL  database         PostgreSQL {where} is not a middleware database (no schema)"
    ) in out.splitlines()


async def test_the_health_write_probe_writes_to_postgres(tmp_path: Path, pg_url: str) -> None:
    env = base_env(tmp_path) | {"DATABASE_URL": pg_url, "CHANNEX_ENABLED": "false"}
    async with open_runtime(load_settings(env, env_file=None), clock=fixed_clock) as rt:
        checks = await Checker(rt).run()
        stored = await rt.store.audit.get_value(keys.HEALTH_PROBE_KEY)
    assert [c for c in checks if c.name == "database"] == [
        Check(name="database", ok=True, detail="writable")
    ]
    assert stored == NOW.isoformat()


def test_child_processes_are_given_the_database_url(tmp_path: Path) -> None:
    """The sandbox's web and worker children share the PostgreSQL store, not a SQLite file."""
    url = f"postgresql://mw:{PASSWORD}@127.0.0.1:5432/hotels"
    with_url = middleware_env(load_settings(settings_for(tmp_path, url), env_file=None))
    without = middleware_env(load_settings({**BASE}, env_file=None))
    assert (with_url["DATABASE_URL"], "DATABASE_URL" in without) == (url, False)
