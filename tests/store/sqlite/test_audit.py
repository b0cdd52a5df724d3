"""SQLite only: its tables, its transactions, its files.

The audit store: masked call records, heartbeats, named values, housekeeping.
"""

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
