"""SQLite only: its tables, its transactions, its files.

The web triggers' request writer on a busy store (perf's tests): requests waiting for the
store are committed together, each caller answered once its row is stored; a failed write
fails each request in it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.store.sqlite.store import SqliteStore
from middleware.store.sync_requests import RequestWriter

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await SqliteStore.open(tmp_path / "m.db")
    yield opened
    await opened.close()


async def test_requests_that_wait_for_a_busy_store_are_committed_together(
    store: SqliteStore,
) -> None:
    writer = RequestWriter(store.sync_requests)
    async with store.db.transaction():  # the store is busy: every request has to wait
        asked = [
            asyncio.ensure_future(writer.request(source="pms_webhook", now=T0, property_id=f"p{i}"))
            for i in range(3)
        ]
        await asyncio.sleep(0.01)
        assert [task.done() for task in asked] == [False] * 3
    assert await asyncio.gather(*asked) == [1, 2, 3]
    assert await writer.request(source="poll", now=T0, room_codes=["ov"]) == 4
    rows = await store.db.fetchall(
        "SELECT id, source, property_id, room_codes, status FROM sync_requests ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        (1, "pms_webhook", "p0", None, "pending"),
        (2, "pms_webhook", "p1", None, "pending"),
        (3, "pms_webhook", "p2", None, "pending"),
        (4, "poll", None, '["ov"]', "pending"),
    ]


async def test_a_failed_group_write_fails_each_request_in_it(tmp_path: Path) -> None:
    closed = await SqliteStore.open(tmp_path / "m.db")
    writer = RequestWriter(closed.sync_requests)
    await closed.close()
    outcomes = await asyncio.gather(
        writer.request(source="poll", now=T0),
        writer.request(source="poll", now=T0),
        return_exceptions=True,
    )
    assert [type(outcome) for outcome in outcomes] == [ValueError, ValueError]
