"""For tests that read or seed the tables under a `Store` directly.

`sql(store)` is the SQLite database under a SQLite store (the suite's deployments run on
SQLite). `rows`, `execute` and `believe` run on either backend, for the contract suite:
the query is written once with `?` placeholders (turned into psycopg's `%s` on PostgreSQL),
and values read back come as SQLite holds them — instants as stamp text (`stamps.to_db_time`),
days as ISO text, JSON as compact text — so one assertion holds on both. Instants given as
stamp text are cast by PostgreSQL to its `timestamptz` columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson

from middleware.domain.models import Lane
from middleware.domain.outbox_rules import FieldKey
from middleware.store.port import Store
from middleware.store.postgres import ari_state as postgres_ari_state
from middleware.store.postgres.store import PostgresStore
from middleware.store.sqlite import ari_state as sqlite_ari_state
from middleware.store.sqlite.db import Database
from middleware.store.sqlite.store import SqliteStore
from middleware.store.stamps import to_db_time


def sql(store: Store) -> Database:
    """The SQLite database under `store` (the suite's deployments run on SQLite)."""
    assert isinstance(store, SqliteStore), f"not a SQLite store: {store!r}"
    return store.db


def _as_sqlite_holds(value: object) -> object:
    if isinstance(value, datetime):
        return to_db_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return value


def _for_psycopg(query: str) -> str:
    assert "%" not in query, f"a literal % would need escaping for psycopg: {query!r}"
    return query.replace("?", "%s")


async def rows(store: Store, query: str, params: Sequence[Any] = ()) -> list[tuple[object, ...]]:
    """Every row of `query` on either backend, values as SQLite holds them (the columns need
    distinct names: PostgreSQL's rows come back as dicts)."""
    if isinstance(store, SqliteStore):
        return [tuple(row) for row in await store.db.fetchall(query, tuple(params))]
    assert isinstance(store, PostgresStore), f"no backend for {store!r}"
    found = await store.db.fetchall(_for_psycopg(query), tuple(params))
    return [tuple(_as_sqlite_holds(value) for value in row.values()) for row in found]


async def execute(store: Store, query: str, params: Sequence[Any] = ()) -> None:
    """One writing statement on either backend (committed)."""
    if isinstance(store, SqliteStore):
        await store.db.execute(query, tuple(params))
        return
    assert isinstance(store, PostgresStore), f"no backend for {store!r}"
    await store.db.execute(_for_psycopg(query), tuple(params))


async def believe(store: Store, lane: Lane, texts: Mapping[FieldKey, str], at: datetime) -> None:
    """Record, as a push's success does, that Channex accepted these field values at `at`."""
    if isinstance(store, SqliteStore):
        async with store.db.transaction() as conn:
            await sqlite_ari_state.write_in(conn, lane, texts, at)
        return
    assert isinstance(store, PostgresStore), f"no backend for {store!r}"
    async with store.db.transaction() as conn:
        await postgres_ari_state.write_in(conn, lane, texts, at)
