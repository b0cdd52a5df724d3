"""LISTEN/NOTIFY hints against the test cluster: delivered at the writer's commit (never for
a rollback) to a listener on another connection, which comes back after losing its own (an
outage logged once, however many tries it takes), and the store's watch over it yields every
kind of work when it is back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.notify import NotifyListener, notify
from middleware.store.postgres.store import PostgresStore
from middleware.store.signals import KINDS

CHANNEL = "work_arrived"
WAIT_S = 30  # a bound on waiting for the server, not a timing under test
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
async def listener(pg_url: str) -> AsyncIterator[NotifyListener]:
    listening = NotifyListener(pg_url, [CHANNEL, "other"], reconnect_delay_s=0.05)
    await listening.start()
    await asyncio.wait_for(listening.listening.wait(), WAIT_S)
    listening.take()  # nothing heard yet
    yield listening
    await listening.stop()


async def test_a_notice_arrives_at_commit_and_a_rolled_back_one_never(
    pg_db: PostgresDatabase, listener: NotifyListener
) -> None:
    with pytest.raises(RuntimeError, match="changed my mind"):
        async with pg_db.transaction() as conn:
            await notify(conn, CHANNEL, "rolled back")
            raise RuntimeError("changed my mind")
    async with pg_db.transaction() as conn:
        await notify(conn, CHANNEL, "rev-1")
        await notify(conn, "other", "")
        await notify(conn, "nobody_listens", "x")
    await asyncio.wait_for(listener.woken.wait(), WAIT_S)
    for _ in range(100):  # both notices of one commit arrive together; let the loop read them
        if len(listener.payloads) == 2:
            break
        await asyncio.sleep(0)
    assert listener.payloads == [(CHANNEL, "rev-1"), ("other", "")]


async def test_a_listener_whose_connection_dies_listens_again(
    pg_db: PostgresDatabase, listener: NotifyListener
) -> None:
    first_pid = listener.backend_pid
    await pg_db.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
    for _ in range(WAIT_S * 100):  # the loss is seen, then the listener is back
        if listener.connections == 2 and listener.listening.is_set():
            break
        await asyncio.sleep(0.01)
    assert (listener.connections, listener.listening.is_set()) == (2, True)
    assert listener.backend_pid not in (None, first_pid)
    assert listener.woken.is_set()  # the store is looked at after a gap
    listener.woken.clear()
    async with pg_db.transaction() as conn:
        await notify(conn, CHANNEL, "after the gap")
    await asyncio.wait_for(listener.woken.wait(), WAIT_S)
    assert listener.payloads[-1] == (CHANNEL, "after the gap")


async def test_a_payload_the_server_would_refuse_is_refused_before_it(
    pg_db: PostgresDatabase,
) -> None:
    async with pg_db.transaction() as conn:
        with pytest.raises(ValueError, match="at most 7999"):
            await notify(conn, CHANNEL, "ã" * 4000)  # 4,000 characters, 8,000 bytes


async def test_a_server_that_cannot_be_reached_is_one_outage_logged_once() -> None:
    """Nothing listens on the port: the listener keeps trying, with a growing wait up to its
    ceiling, and says so once."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://postgres@127.0.0.1:{port}/none"
    nowhere = NotifyListener(url, [CHANNEL], reconnect_delay_s=0.01, reconnect_max_s=0.02)
    with capture_logs() as logs:
        await nowhere.start()
        for _ in range(WAIT_S * 100):
            if nowhere.attempts >= 5:
                break
            await asyncio.sleep(0.01)
        await nowhere.stop()
    assert (nowhere.connections, nowhere.outages, nowhere.listening.is_set()) == (0, 1, False)
    assert [e["event"] for e in logs] == ["pg_listener_lost"]


async def test_the_watch_yields_every_kind_when_its_listener_is_back(
    pg_db: PostgresDatabase,
) -> None:
    store = PostgresStore(pg_db)
    watch = store.signals.watch()
    with capture_logs() as logs:
        assert await asyncio.wait_for(anext(watch), WAIT_S) == frozenset()
        listener = store.concerns.signals.listener
        assert listener is not None
        await pg_db.execute("SELECT pg_terminate_backend(%s)", (listener.backend_pid,))
        assert await asyncio.wait_for(anext(watch), WAIT_S) == KINDS
        await store.wakeups.ask("poll_feed", by="admin", now=NOW)
        assert await asyncio.wait_for(anext(watch), WAIT_S) == {"wakeups"}
        await watch.aclose()  # type: ignore[attr-defined]
    assert [e["event"] for e in logs] == ["pg_listener_lost", "pg_listener_back"]
    assert store.concerns.signals.listener is None
