"""The Procfile deployment wakes its worker at once: the web and the worker as two processes
(`system_processes.run_middleware(split=True)`), on SQLite and on PostgreSQL, with
`WORKER_INTERVAL` at 30 s and the feed poll off. Each booking's webhook, stored by the web,
must be acked well within those 30 s — only the store's signal to the worker can do that.
The ack deadline is a bound, not a timing under test (the figures: scripts/bench_wakeup.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psycopg
import pytest

from scripts.bench_wakeup import webhook_to_ack

WORKER_INTERVAL_S = 30
LISTENER_BACK_S = 10.0  # the listener's reconnect backoff is far shorter
ACK_DEADLINE_S = 15.0  # well within WORKER_INTERVAL: the poll cannot be what acks


@pytest.fixture(params=["sqlite", "postgres"])
def database_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("pg_url")}


async def test_a_booking_stored_by_the_web_is_acked_without_waiting_for_the_poll(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    env = {**database_env, "WORKER_INTERVAL": str(WORKER_INTERVAL_S)}
    samples = await webhook_to_ack(tmp_path, bookings=3, env=env, ack_timeout_s=ACK_DEADLINE_S)
    assert len(samples) == 3
    assert all(0 < s < ACK_DEADLINE_S for s in samples)


async def test_the_worker_listens_again_after_postgresql_drops_its_listener(
    tmp_path: Path, pg_url: str
) -> None:
    """Before the second and the third booking the worker's LISTEN connection is killed on
    the server (`pg_terminate_backend`): the worker connects again, logs the outage once
    each time, and the booking is still acked at once."""

    async def drop_listener(n: int) -> None:
        if n == 0:
            return
        # the listener dropped before the previous booking comes back after a backoff: under
        # load it may not be there yet when the next booking is about to be made
        deadline = time.monotonic() + LISTENER_BACK_S
        async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as admin:
            while True:
                cursor = await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN %'"
                )
                killed = await cursor.fetchall()
                if killed or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            assert killed == [(True,)]

    env = {"DATABASE_URL": pg_url, "WORKER_INTERVAL": str(WORKER_INTERVAL_S)}
    samples = await webhook_to_ack(
        tmp_path, bookings=3, env=env, ack_timeout_s=ACK_DEADLINE_S, before_each=drop_listener
    )
    assert all(0 < s < ACK_DEADLINE_S for s in samples)
    worker_log = (tmp_path / "worker.log").read_text()
    assert worker_log.count("pg_listener_lost") == 2
