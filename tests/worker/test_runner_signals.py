"""The worker wakes the loop of each kind of work another process stores (`store.signals`), on
both backends: `WORKER_INTERVAL` is an hour here, so only the signal can run a loop a second
time. And each worker beats under its own name and forgets the long dead."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import Secret
from structlog.testing import capture_logs

from middleware.store.inbox import InboundEvent
from middleware.store.open import open_store
from middleware.store.port import Store
from middleware.store.postgres.store import PostgresStore
from middleware.worker import runner
from tests.worker.test_runner import DEADLINE_S, Rig, eventually, rig_factory


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings that pick each store backend (PostgreSQL: the test's own database)."""
    if request.param == "sqlite":
        return {}
    return {"database_url": Secret(request.getfixturevalue("pg_url"))}


async def _web_store(rig: Rig) -> Store:
    """The store as the web process opens it: another connection to the same database."""
    return await open_store(rig.runtime.settings)


def _booking_event(now: datetime) -> InboundEvent:
    return InboundEvent(
        received_at=now,
        event="booking_new",
        property_id="prop-1",
        booking_id="b-1",
        revision_id="rev-1",
        payload="{}",
    )


async def test_work_another_process_stores_wakes_its_loop_alone(
    tmp_path: Path, backend: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the pump's own tick (at most a second) out of the way: under load the test outlasted it
    # and the pump's second run was its tick, not a signal
    monkeypatch.setattr(runner, "PUMP_TICK_MAX_S", 3600.0)
    monkeypatch.setattr(runner, "PUMP_TICK_MIN_S", 3600.0)
    async with rig_factory(tmp_path)(**backend) as rig:
        rig.start()
        await eventually(lambda: (rig.ari.runs, rig.bookings.runs) == (1, 1), "first passes")
        web = await _web_store(rig)
        try:
            now = datetime.now(UTC)
            await web.sync_requests.request(source="pms_webhook", now=now, property_id="prop-1")
            await eventually(lambda: rig.ari.runs == 2, "the ari loop woken")
            await web.inbox.store_events([_booking_event(now)], now)
            await eventually(lambda: rig.bookings.runs == 2, "the bookings loop woken")
            asked = await web.wakeups.ask("poll_feed", by="admin", now=now)

            deadline = time.monotonic() + DEADLINE_S
            while (found := await rig.runtime.store.wakeups.get(asked)) is None or (
                found.done_at is None
            ):
                assert time.monotonic() < deadline, "the wake-up was not run"
                await asyncio.sleep(0.01)
        finally:
            await web.close()
        await eventually(lambda: rig.bookings.runs == 3, "bookings looked at after the feed")
        # each loop ran for its own kind of work only (the pump never: nothing signals it)
        assert (rig.ari.runs, rig.pump.runs, rig.feed.runs) == (2, 1, 1)
        await rig.stop()


async def test_a_worker_beats_as_itself_and_forgets_the_long_dead(tmp_path: Path) -> None:
    async with rig_factory(tmp_path)() as rig:
        audit = rig.runtime.store.audit
        now = datetime.now(UTC)
        dead = now - timedelta(seconds=runner.HEARTBEAT_FORGET_S + 60)
        await audit.heartbeat("worker:gone:1:aa", dead)
        await audit.heartbeat("worker:other:2:bb", now - timedelta(seconds=30))
        rig.start()
        await eventually(lambda: rig.ari.runs, "started")
        beats = await audit.heartbeats(runner.HEARTBEAT_NAME)
        assert sorted(b.name for b in beats) == sorted(
            ["worker:other:2:bb", rig.worker.heartbeat_name]
        )
        _, pid, token = rig.worker.identity.split(":")
        assert (pid, len(token)) == (str(os.getpid()), 6)
        await rig.stop()
        assert [
            (b.name, b.detail) for b in await audit.heartbeats(runner.HEARTBEAT_NAME)
        ] == sorted(
            [("worker:other:2:bb", None), (rig.worker.heartbeat_name, runner.HEARTBEAT_STOPPED)]
        )


async def test_while_the_listener_is_down_the_poll_still_runs_the_loops(
    tmp_path: Path, pg_url: str
) -> None:
    """PostgreSQL kills the worker's LISTEN connection and the listener waits long before
    trying again: the loops go on at `WORKER_INTERVAL` (the fallback), the worker logs the
    outage once."""
    async with rig_factory(tmp_path)(database_url=Secret(pg_url), worker_interval_s=0.2) as rig:
        store = rig.runtime.store
        assert isinstance(store, PostgresStore)
        signals = store.concerns.signals
        signals.reconnect_delay_s = 3600.0  # down for the rest of the test
        with capture_logs() as logs:
            rig.start()
            await eventually(lambda: signals.listener is not None, "listening")
            listener = signals.listener
            assert listener is not None
            await eventually(listener.listening.is_set, "listening")
            await store.db.execute("SELECT pg_terminate_backend(%s)", (listener.backend_pid,))
            await eventually(lambda: not listener.listening.is_set(), "the listener lost")
            runs = rig.ari.runs
            await eventually(lambda: rig.ari.runs >= runs + 2, "the ari loop polled")
            assert (listener.listening.is_set(), listener.outages) == (False, 1)
            await rig.stop()
        lost = [e for e in logs if e["event"] == "pg_listener_lost"]
        assert [(e["log_level"], e["retry_in_s"]) for e in lost] == [("warning", 3600.0)]
