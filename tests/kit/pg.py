"""PostgreSQL test kit: one throwaway cluster per session (per xdist worker), one fresh
database per test, created from a template migrated once. The fixtures are registered in
tests/conftest.py for the whole suite (tests/pg, and the `postgres` store backend of the
contract suite); the cluster starts only when a test asks for one.

When the server cannot start the tests fail with its output; they are never skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import count

import pytest

from middleware.sandbox.pg_cluster import Cluster, ClusterError, start_cluster
from middleware.store.postgres.database import PostgresDatabase

TEMPLATE_DB = "migrated_template"
_numbers = count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    try:
        cluster = start_cluster()
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


def admin(cluster: Cluster, sql: str) -> None:
    """One statement on the maintenance database (CREATE / DROP DATABASE need autocommit)."""
    cluster.admin(sql)


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster) -> str:
    """A database migrated to the newest version, to copy per test (fast: a file copy).

    The migration runs on a thread of its own: the fixture can be first asked for from inside
    a running event loop (the `store` fixture's `getfixturevalue`), where `asyncio.run` refuses.
    """
    admin(pg_cluster, f"CREATE DATABASE {TEMPLATE_DB}")

    async def migrate() -> None:
        db = await PostgresDatabase.open(pg_cluster.url(TEMPLATE_DB), max_size=1)
        await db.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, migrate()).result()
    return TEMPLATE_DB


def new_database(cluster: Cluster, template: str) -> str:
    name = f"test_{next(_numbers)}"
    admin(cluster, f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


@pytest.fixture
def pg_url(pg_cluster: Cluster, pg_template: str) -> Iterator[str]:
    """The URL of a fresh, migrated database of this test's own."""
    name = new_database(pg_cluster, pg_template)
    yield pg_cluster.url(name)
    admin(pg_cluster, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def empty_pg_url(pg_cluster: Cluster) -> Iterator[str]:
    """The URL of a fresh database with no schema at all."""
    name = new_database(pg_cluster, "template0")
    yield pg_cluster.url(name)
    admin(pg_cluster, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[PostgresDatabase]:
    """A store database driven by the test's clock (`caller_clock=True`)."""
    db = await PostgresDatabase.open(pg_url, caller_clock=True)
    yield db
    await db.close()
