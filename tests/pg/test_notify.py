"""LISTEN/NOTIFY hints against the test cluster: delivered at the writer's commit (never for
a rollback) to a listener on another connection, which comes back after losing its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.notify import NotifyListener, notify

CHANNEL = "work_arrived"
WAIT_S = 30  # a bound on waiting for the server, not a timing under test


@pytest.fixture
async def listener(pg_url: str) -> AsyncIterator[NotifyListener]:
    listening = NotifyListener(pg_url, [CHANNEL, "other"], reconnect_delay_s=0.05)
    await listening.start()
    await asyncio.wait_for(listening.listening.wait(), WAIT_S)
    listening.woken.clear()  # the wake-up every (re)connection gives
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
