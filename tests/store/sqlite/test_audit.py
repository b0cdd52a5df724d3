"""SQLite only: its tables, its transactions, its files.

The audit store: masked call records, heartbeats, named values, housekeeping.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from middleware.calllog import CallRecord
from middleware.store.sqlite.store import SqliteStore

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


def call(**overrides: object) -> CallRecord:
    fields: dict[str, object] = {
        "service": "channex",
        "method": "POST",
        "url": "https://staging.channex.io/api/v1/restrictions",
        "status": 200,
        "duration_ms": 85,
        "request_body": '{"values":[{"rate":33300}]}',
        "response_body": '{"data":[{"id":"task-1","type":"task"}]}',
    }
    fields.update(overrides)
    return CallRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def test_sink_stamps_with_the_clock_and_never_raises(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "m.db")
    on_call = store.audit.sink(lambda: T0 + timedelta(seconds=5))
    await on_call(call())
    [row] = await store.audit.recent_calls()
    assert row.at == T0 + timedelta(seconds=5)
    await store.close()
    await on_call(call())  # the store is gone: logged, not raised


async def test_calls_that_end_while_the_store_is_busy_are_written_together(
    store: SqliteStore,
) -> None:
    """Each caller returns once its row is stored, those waiting on the same busy store
    together, in the order the calls ended; a later call is written by itself."""
    on_call = store.audit.sink(lambda: T0)
    async with store.db.transaction():  # the store is busy: every call's write has to wait
        waiting = [asyncio.ensure_future(on_call(call(url=f"https://a/{i}"))) for i in range(4)]
        await asyncio.sleep(0.01)
        assert [task.done() for task in waiting] == [False] * 4
    await asyncio.gather(*waiting)
    rows = await store.db.fetchall("SELECT id, url FROM http_calls ORDER BY id")
    assert [(row["id"], row["url"]) for row in rows] == [
        (i + 1, f"https://a/{i}") for i in range(4)
    ]
    await on_call(call(url="https://a/4"))  # the next call starts a write of its own
    assert [c.url for c in await store.audit.recent_calls(limit=2)] == [
        "https://a/4",
        "https://a/3",
    ]
