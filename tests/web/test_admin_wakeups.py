"""The web process asks, the worker works: `POST /admin/feed/poll`, `/admin/webhooks/process`
and `/admin/parity/check` record a wake-up in the store and call nobody; a worker on the same
database does the work, once, and `GET /admin/wakeups/{id}` shows its result. The emulators
record every request, so "the web called nobody" and "one fetch per revision" are facts, not
log lines."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from middleware.sandbox.faults import FaultPlan
from middleware.worker.assembly import WorkerRuntime, open_worker_runtime
from middleware.worker.runner import Worker
from tests.flow.harness import System, start_system

WEB_ALONE = {"WORKER_IN_PROCESS": "false"}
WAIT_S = 30.0
CHECKIN = date(2026, 11, 21)


@contextlib.asynccontextmanager
async def worker_beside(system: System, **overrides: Any) -> AsyncIterator[Worker]:
    """A worker on the web's database as the worker process runs it: its own connection,
    HTTP session and clients."""
    settings = dataclasses.replace(system.settings, **overrides)
    async with open_worker_runtime(settings, clock=system.clock, mapping=system.mapping) as rt:
        worker = Worker(rt)
        task = asyncio.create_task(worker.run(), name="worker-beside")
        try:
            yield worker
        finally:
            await worker.stop()
            await task


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await check():
        assert time.monotonic() < deadline, f"not within {WAIT_S} s: {what}"
        await asyncio.sleep(0.05)


async def done(system: System, wakeup_id: int) -> dict[str, Any]:
    """The wake-up once the worker has finished it."""
    found: dict[str, Any] = {}

    async def finished() -> bool:
        status, body = await system.admin("GET", f"/admin/wakeups/{wakeup_id}")
        assert status == 200
        found.update(body)
        return bool(body["status"] == "done")

    await until(finished, f"wake-up {wakeup_id} done")
    return found


async def acked(system: System, *revision_ids: str) -> None:
    async def all_acked() -> bool:
        store = system.context.runtime.store
        stored = [await store.revisions.get(r) for r in revision_ids]
        return all(s is not None and s.status == "acked" for s in stored)

    await until(all_acked, f"revisions {revision_ids} acked")


def booking(system: System, nights_from: int) -> dict[str, Any]:
    checkin = CHECKIN + timedelta(days=nights_from)
    return {
        "property_id": system.property_id,
        "rooms": [
            {
                "room_type_id": system.room_type_id("twin"),
                "rate_plan_id": system.rate_plan_id("twin", "bar"),
                "checkin_date": checkin.isoformat(),
                "checkout_date": (checkin + timedelta(days=1)).isoformat(),
                "adults": 2,
                "children": 0,
            }
        ],
    }


def fetches(system: System, revision_id: str) -> int:
    return len(system.channex.calls("GET", f"/booking_revisions/{revision_id}"))


async def test_the_web_alone_records_the_ask_and_a_worker_on_its_database_does_it(
    tmp_path: Path,
) -> None:
    """A booking whose webhook Channex never delivered: `feed/poll` and `webhooks/process`
    answer 202 with the wake-up, read no feed, fetch no revision and call no PMS; the worker
    started afterwards on the same database reads the feed once and applies the booking."""
    async with start_system(tmp_path, hotel="certification", extra_env=WEB_ALONE) as system:
        # the web alone builds no booking processor, pump, ARI sync, feed poller or parity
        assert system.context.worker is None
        assert not isinstance(system.context.runtime, WorkerRuntime)
        system.channex.faults = FaultPlan(seed=1, p_drop_webhook=1.0)
        booking_id, revision_id = system.channex.create_booking(**booking(system, 0))
        await system.channex.deliver_pending()
        system.channex.reset_requests()
        system.pms.requests.clear()

        status, body = await system.admin("POST", "/admin/feed/poll")
        assert (status, body) == (
            202,
            {
                "asked": "poll_feed",
                "wakeup_id": 1,
                "asked_by": "POST /admin/feed/poll",
                "status_url": "/admin/wakeups/1",
            },
        )
        status, body = await system.admin("POST", "/admin/webhooks/process")
        assert (status, body["asked"], body["wakeup_id"]) == (202, "process_bookings", 2)
        status, body = await system.admin("GET", "/admin/wakeups/1")
        assert status == 200
        assert (body["work"], body["status"], body["done_at"], body["result"]) == (
            "poll_feed",
            "waiting",
            None,
            None,
        )
        assert (await system.admin("GET", "/admin/wakeups/99"))[0] == 404
        assert system.channex.requests == []
        assert system.pms.requests == []
        assert sum((await system.context.runtime.store.revisions.counts()).values()) == 0

        async with worker_beside(system):
            fed = await done(system, 1)
            assert (fed["asked_by"], fed["result"]) == (
                "POST /admin/feed/poll",
                {"feed": {"seen": 1, "new": 1}},
            )
            await done(system, 2)
            await acked(system, revision_id)
            assert [b.channel for b in system.pms.bookings()] == ["Booking.com"]

            # delivered this time: Channex sends `booking` and `booking_modification` for one
            # revision; the web queues one and asks the worker, which applies it once
            system.channex.faults = None
            modified = system.channex.modify_booking(booking_id, customer={"name": "Ana"})
            await system.channex.deliver_pending()
            _, body = await system.admin("GET", "/admin/webhooks")
            assert sorted((e["event"], e["status"]) for e in body["events"]) == [
                ("booking", "queued"),
                ("booking_modification", "duplicate"),
            ]
            status, body = await system.admin("POST", "/admin/webhooks/process")
            assert (status, body["wakeup_id"]) == (202, 3)
            await done(system, 3)
            await acked(system, modified)
        # one feed read, by the worker: the page with the revision, then one with nothing new
        assert len(system.channex.calls("GET", "/booking_revisions/feed")) == 2
        assert (fetches(system, revision_id), fetches(system, modified)) == (1, 1)


async def test_web_and_worker_on_one_database_fetch_each_revision_once(tmp_path: Path) -> None:
    """Bookings arriving while "process now" is asked again and again: the web processes
    nothing itself, so each revision is fetched from Channex, written to the PMS and acked
    exactly once — by the worker."""
    async with (
        start_system(tmp_path, hotel="certification", extra_env=WEB_ALONE) as system,
        worker_beside(system),
    ):
        ids = []
        asked = []
        for night in range(3):
            ids.append(system.channex.create_booking(**booking(system, 2 * night))[1])
            await system.channex.deliver_pending()
            status, body = await system.admin("POST", "/admin/webhooks/process")
            assert status == 202
            asked.append(body["wakeup_id"])
        for wakeup_id in asked:
            await done(system, wakeup_id)
        await acked(system, *ids)
        assert [fetches(system, r) for r in ids] == [1, 1, 1]
        assert [len(system.channex.calls("POST", f"/booking_revisions/{r}/ack")) for r in ids] == [
            1,
            1,
            1,
        ]
        assert [b.channel for b in system.pms.bookings()] == ["Booking.com"] * 3


async def test_in_one_process_a_parity_check_asked_for_runs_at_once(tmp_path: Path) -> None:
    """One-process mode: the ask wakes the worker in the process, which reads Channex back
    for both lanes of the live property; the answer to the ask is 202, the passes are the
    wake-up's result."""
    async with start_system(tmp_path, hotel="certification") as system:
        await system.full_sync()
        status, body = await system.admin("POST", "/admin/parity/check")
        assert (status, body["asked"], body["asked_by"]) == (
            202,
            "parity_check",
            "POST /admin/parity/check",
        )
        result = (await done(system, body["wakeup_id"]))["result"]
        assert [(p["property_id"], p["kind"], p["drift"]) for p in result["passes"]] == [
            (system.property_id, "availability", 0),
            (system.property_id, "restrictions", 0),
        ]
        assert all(p["cells"] > 0 for p in result["passes"])
