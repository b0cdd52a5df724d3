"""Signals between two processes of one deployment: a store watching hears each kind of work
another store object (another process: its own connection) commits — a webhook's revision, a
sync request, a wake-up — as that kind alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from middleware.store.inbox import InboundEvent
from middleware.store.port import Store
from middleware.store.postgres.store import PostgresStore
from middleware.store.signals import Kind
from middleware.store.sqlite.store import SqliteStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
WAIT_S = 30  # a bound on waiting for the other connection, not a timing under test


async def _other(store: Store) -> Store:
    """A second store object on the same database, as another process opens it."""
    if isinstance(store, SqliteStore):
        return await SqliteStore.open(store.path)
    assert isinstance(store, PostgresStore)
    url = store.db.pool.conninfo
    assert isinstance(url, str)
    return await PostgresStore.open(url, caller_clock=True)


@pytest.fixture
async def other(store: Store) -> AsyncIterator[Store]:
    opened = await _other(store)
    yield opened
    await opened.close()


async def test_each_kind_another_process_commits_is_heard_as_itself(
    store: Store, other: Store
) -> None:
    heard: asyncio.Queue[frozenset[Kind]] = asyncio.Queue()

    async def follow() -> None:
        async for kinds in store.signals.watch():
            heard.put_nowait(kinds)

    follower = asyncio.create_task(follow())
    try:
        # first: the watch is in place (nothing committed from now on is missed)
        assert await asyncio.wait_for(heard.get(), WAIT_S) == frozenset()
        event = InboundEvent(
            received_at=NOW,
            event="booking_new",
            property_id="p1",
            booking_id="b1",
            revision_id="r1",
            payload="{}",
        )
        await other.inbox.store_events([event], NOW)
        assert await asyncio.wait_for(heard.get(), WAIT_S) == {"revisions"}
        await other.sync_requests.request(source="pms_webhook", now=NOW, property_id="p1")
        assert await asyncio.wait_for(heard.get(), WAIT_S) == {"sync_requests"}
        await other.wakeups.ask("poll_feed", by="admin", now=NOW)
        assert await asyncio.wait_for(heard.get(), WAIT_S) == {"wakeups"}
        # a webhook that stores nothing new (the same revision again) is no signal
        await other.inbox.store_events([event], NOW)
        await other.wakeups.ask("parity_check", by="admin", now=NOW)
        assert await asyncio.wait_for(heard.get(), WAIT_S) == {"wakeups"}
        assert heard.empty()
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
