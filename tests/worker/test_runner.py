"""The worker's supervisor: its loops start, wake on demand, survive a failing pass, stop in
time giving back a claim in flight, beat, poll the PMS and ask for the nightly sync once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.datastructures import Secret
from structlog.testing import capture_logs

from middleware.channex.client import ChannexClient, PushResult
from middleware.clock import hotel_today
from middleware.config import Settings
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.models import CellKey, Cells, Kind, Lane
from middleware.errors import TransientUpstreamError
from middleware.store.sqlite.store import SqliteStore
from middleware.store.stamps import to_db_time
from middleware.store.wakeups import Wakeup
from middleware.worker import runner, schedule
from middleware.worker.ari_sync import AriSync
from middleware.worker.assembly import WorkerRuntime, open_worker_runtime
from middleware.worker.booking_sync import BookingProcessor
from middleware.worker.feed_poll import FeedPoller, FeedReport
from middleware.worker.outbox_pump import OutboxPump
from middleware.worker.parity import ParityCheck
from middleware.worker.runner import Worker
from tests.kit.clocks import ManualClock
from tests.store.contract import test_prune, test_retention
from tests.store_sql import sql

DEADLINE_S = 10.0
NOWHERE = "http://127.0.0.1:9"  # never called: the loops' components are fakes
MAPPING = Mapping(
    (
        PropertyMap(
            property_id="prop-1",
            name="Duke Beach",
            currency="BRL",
            timezone="America/Sao_Paulo",
            room_types=(
                RoomTypeMap(
                    room_code="ov",
                    room_type_id="rt-ov",
                    rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-ov"),),
                ),
            ),
        ),
    )
)


class Step:
    """A loop's pass: counts runs; queued exceptions are raised first."""

    def __init__(self, result: Any = None) -> None:
        self.runs = 0
        self.result = result
        self.failures: list[Exception] = []

    async def run_once(self, **_: Any) -> Any:
        self.runs += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.result

    dispatch = run_once  # the worker's loops call the pass that does not wait


async def eventually(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {DEADLINE_S} s: {what}")
        await asyncio.sleep(0.01)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "channex_api_key": Secret("key"),
        "channex_base_url": NOWHERE + "/api/v1",
        "pms_base_url": NOWHERE,
        "database_path": tmp_path / "m.db",
        "worker_interval_s": 3600.0,  # the short loops run at start and when woken, no more
        "pms_poll_interval_s": 0,
        "feed_poll_interval_s": 0,
    }
    return Settings(**(base | overrides))


class Rig:
    def __init__(self, runtime: WorkerRuntime) -> None:
        self.runtime = runtime
        self.ari, self.pump, self.bookings, self.feed = Step(), Step([]), Step(), Step()
        self.parity = Step([])
        runtime.parity = cast(ParityCheck, self.parity)
        runtime.ari_sync = cast(AriSync, self.ari)
        runtime.pump = cast(OutboxPump, self.pump)
        runtime.bookings = cast(BookingProcessor, self.bookings)
        runtime.feed = cast(FeedPoller, self.feed)
        self.worker = Worker(runtime)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.worker.run())

    async def stop(self) -> None:
        await self.worker.stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, timeout=runner.SHUTDOWN_TIMEOUT_S + DEADLINE_S)


OpenRig = Callable[..., contextlib.AbstractAsyncContextManager[Rig]]


def rig_factory(tmp_path: Path) -> OpenRig:
    @contextlib.asynccontextmanager
    async def open_rig(
        clock: Callable[[], datetime] | None = None, **overrides: Any
    ) -> AsyncIterator[Rig]:
        settings = make_settings(tmp_path, **overrides)
        kwargs: dict[str, Any] = {"mapping": MAPPING}
        if clock is not None:
            kwargs["clock"] = clock
        async with open_worker_runtime(settings, **kwargs) as runtime:
            rig = Rig(runtime)
            try:
                yield rig
            finally:
                if rig.task is not None and not rig.task.done():
                    await rig.stop()

    return open_rig


@pytest.fixture
def open_rig(tmp_path: Path) -> OpenRig:
    return rig_factory(tmp_path)


async def test_the_loops_start_and_the_heartbeat_is_written(open_rig: OpenRig) -> None:
    async with open_rig() as rig:
        with capture_logs() as logs:
            rig.start()
            await eventually(
                lambda: rig.ari.runs and rig.pump.runs and rig.bookings.runs, "first passes"
            )
        started = [e for e in logs if e["event"] == "worker_started"]
        assert [e["loops"] for e in started] == [
            [
                "ari",
                "pump",
                "bookings",
                "heartbeat",
                "mapping",
                "wakeups",
                "catalog",
                "parity",
                "prune",
            ]
        ]
        beat = await rig.runtime.store.audit.last_heartbeat(rig.worker.heartbeat_name)
        assert beat is not None
        assert abs((datetime.now(UTC) - beat[0]).total_seconds()) < 60
        assert rig.feed.runs == 0  # FEED_POLL_INTERVAL=0: no feed loop
        await eventually(lambda: rig.parity.runs, "a parity pass")  # PARITY_INTERVAL default
        await rig.stop()


async def test_work_asked_for_through_the_store_runs_once_for_everyone_who_asked(
    open_rig: OpenRig,
) -> None:
    """Two "process now" and one "poll the feed" recorded (by the web, on its own
    connection): the worker runs one booking pass and one feed read for them, records each
    result, and looks at the bookings at once after the feed found something."""
    async with open_rig() as rig:
        web = await SqliteStore.open(rig.runtime.settings.database_path)
        try:
            now = rig.runtime.clock()
            asked = [
                await web.wakeups.ask("process_bookings", by="admin", now=now),
                await web.wakeups.ask("process_bookings", by="console", now=now),
                await web.wakeups.ask("poll_feed", by="admin", now=now),
            ]
        finally:
            await web.close()
        rig.feed.result = FeedReport(seen=2, new=1)
        rig.start()

        async def done() -> list[Wakeup]:
            found = [await rig.runtime.store.wakeups.get(i) for i in asked]
            return [w for w in found if w is not None and w.done_at is not None]

        deadline = time.monotonic() + DEADLINE_S
        while len(finished := await done()) < len(asked):
            assert time.monotonic() < deadline, f"wake-ups not done: {finished}"
            await asyncio.sleep(0.01)
        assert [(w.work, w.asked_by, w.result) for w in finished] == [
            ("process_bookings", "admin", '{"processed":null}'),
            ("process_bookings", "console", '{"processed":null}'),
            ("poll_feed", "admin", '{"feed":{"seen":2,"new":1}}'),
        ]
        assert rig.feed.runs == 1  # FEED_POLL_INTERVAL=0: only the one asked for
        # the booking loop's first pass, the one asked for, the nudge after the feed read
        await eventually(lambda: rig.bookings.runs >= 3, "bookings looked at after the feed")
        await rig.stop()


async def test_with_channex_disabled_only_the_heartbeat_runs(open_rig: OpenRig) -> None:
    """CHANNEX_ENABLED=false (and no API key): nothing may call Channex; the PMS is not read
    either, so sync requests wait, coalesced, for the integration to be switched on."""
    overrides: dict[str, Any] = {"channex_enabled": False, "channex_api_key": None}
    async with open_rig(pms_poll_interval_s=1, feed_poll_interval_s=1, **overrides) as rig:
        with capture_logs() as logs:
            rig.start()
            await eventually(
                lambda: any(e["event"] == "worker_started" for e in logs), "worker started"
            )
            rig.worker.wake()
            beat = await rig.runtime.store.audit.last_heartbeat(rig.worker.heartbeat_name)
            await rig.stop()
        started = [e for e in logs if e["event"] == "worker_started"]
        loops = [(e["loops"], e["channex_enabled"]) for e in started]
        assert loops == [(["heartbeat", "mapping", "prune"], False)]
        runs = (rig.ari.runs, rig.pump.runs, rig.bookings.runs, rig.feed.runs)
        assert runs == (0, 0, 0, 0)
        assert beat is not None
        # a clean stop says so in the worker's last heartbeat
        [last] = await rig.runtime.store.audit.heartbeats(runner.HEARTBEAT_NAME)
        assert (last.name, last.detail) == (rig.worker.heartbeat_name, runner.HEARTBEAT_STOPPED)


async def test_wake_runs_the_short_loops_at_once(open_rig: OpenRig) -> None:
    async with open_rig() as rig:
        rig.start()
        await eventually(lambda: rig.ari.runs and rig.pump.runs and rig.bookings.runs, "start")
        assert (rig.ari.runs, rig.pump.runs, rig.bookings.runs) == (1, 1, 1)
        rig.worker.wake()
        await eventually(
            lambda: rig.ari.runs == 2 and rig.pump.runs == 2 and rig.bookings.runs == 2, "wake"
        )
        rig.worker.wake()
        await eventually(lambda: rig.ari.runs == 3 and rig.pump.runs == 3, "second wake")
        await rig.stop()


async def test_a_wake_for_one_loop_runs_that_loop_alone(open_rig: OpenRig) -> None:
    """A PMS change notice wakes the `ari` loop, not the pump, bookings and wake-up passes."""
    async with open_rig() as rig:
        rig.start()
        await eventually(lambda: rig.ari.runs and rig.pump.runs and rig.bookings.runs, "start")
        rig.worker.wake("ari")
        await eventually(lambda: rig.ari.runs == 2, "ari wake")
        rig.worker.wake()  # then everything: had the first run the others, they would be at 3
        await eventually(lambda: rig.ari.runs == 3 and rig.bookings.runs == 2, "wake")
        await eventually(lambda: rig.pump.runs == 2, "pump")
        assert (rig.ari.runs, rig.pump.runs, rig.bookings.runs) == (3, 2, 2)
        await rig.stop()


async def test_a_failing_pass_is_logged_and_the_loop_goes_on(open_rig: OpenRig) -> None:
    async with open_rig() as rig:
        rig.ari.failures = [RuntimeError("PMS grid exploded")]
        with capture_logs() as logs:
            rig.start()
            await eventually(lambda: rig.ari.runs == 1, "first pass")
            rig.worker.wake()
            await eventually(lambda: rig.ari.runs == 2, "the pass after the failure")
        failed = [e for e in logs if e["event"] == "worker_loop_failed"]
        assert [(e["loop"], e["log_level"], e["exc_info"]) for e in failed] == [
            ("ari", "error", True)
        ]
        await rig.stop()


class BlockedChannex:
    """A Channex that never answers."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()

    async def push(self, kind: Kind, values: list[dict[str, Any]]) -> PushResult:
        self.entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_stop_gives_back_a_claim_in_flight(
    open_rig: OpenRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "SHUTDOWN_TIMEOUT_S", 0.2)
    lane = Lane("prop-1", "availability")
    async with open_rig(ari_debounce_s=0.0) as rig:
        rt = rig.runtime
        channex = BlockedChannex()
        rt.pump = OutboxPump(rt.store, channex, rt.mapping, rt.settings, clock=rt.clock)
        rig.worker = Worker(rt)
        day = hotel_today("America/Sao_Paulo", rt.clock()) + timedelta(days=2)
        change: Cells = {CellKey("rt-ov", day): {"availability": 4}}
        await rt.store.outbox.enqueue(lane, change, rt.clock())
        rig.start()
        await asyncio.wait_for(channex.entered.wait(), timeout=DEADLINE_S)
        [backlog] = await rt.store.outbox.backlog(rt.clock())
        assert (backlog.pending, backlog.in_flight) == (0, 1)
        with capture_logs() as logs:
            await rig.stop()  # bounded: wait_for(SHUTDOWN_TIMEOUT_S + DEADLINE_S)
        assert [
            (e["finished"], e["cancelled"]) for e in logs if e["event"] == "worker_stopped"
        ] == [(10, 1)]  # the loops (ari, pump, bookings, heartbeat, mapping, wakeups, catalog,
        # parity, prune) and the settings check finished; the push in the pump's pool was
        # cancelled
        [backlog] = await rt.store.outbox.backlog(rt.clock())
        assert (backlog.pending, backlog.in_flight) == (1, 0)
        [push] = await rt.store.outbox.recent_pushes()
        assert push.status == "released"
        claim = await rt.store.outbox.claim(lane, rt.clock(), lease_s=60)
        assert claim is not None
        assert claim.cells == change


async def poll_requests(rig: Rig) -> list[tuple[str, int]]:
    rows = await sql(rig.runtime.store).fetchall(
        "SELECT source, full_sync FROM sync_requests ORDER BY id"
    )
    return [(row[0], row[1]) for row in rows]


async def test_the_poll_loop_requests_a_sync_every_interval(open_rig: OpenRig) -> None:
    async with open_rig(pms_poll_interval_s=1) as rig:
        rig.start()
        found: list[tuple[str, int]] = []

        async def two_polls() -> None:
            while len(found) < 2:
                found[:] = await poll_requests(rig)
                await asyncio.sleep(0.05)

        await asyncio.wait_for(two_polls(), timeout=DEADLINE_S)
        await rig.stop()
        assert found[:2] == [("poll", 0), ("poll", 0)]


async def test_two_workers_take_turns_at_the_poll(open_rig: OpenRig) -> None:
    """Two workers on one store poll sistema-os once an interval between them, not once each:
    each polls when it starts, then only a worker that takes the turn (`store.audit.take_turn`).
    The clock stands still while their loops pass many times; a moved clock makes one turn."""
    clock = ManualClock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    async with open_rig(clock=clock, pms_poll_interval_s=1) as rig:
        other = Worker(rig.runtime)
        rig.start()
        other_task = asyncio.create_task(other.run())
        await asyncio.sleep(2.5)  # two more passes of each loop, on the same instant
        assert await poll_requests(rig) == [("poll", 0), ("poll", 0)]
        clock.now += timedelta(seconds=1)
        await asyncio.sleep(2.5)
        await other.stop()
        await asyncio.wait_for(other_task, timeout=runner.SHUTDOWN_TIMEOUT_S + DEADLINE_S)
        await rig.stop()
        assert await poll_requests(rig) == [("poll", 0)] * 3


async def test_without_a_poll_interval_nothing_polls(open_rig: OpenRig) -> None:
    async with open_rig() as rig:
        rig.start()
        await eventually(lambda: rig.ari.runs == 1, "start")
        await rig.stop()
        assert await poll_requests(rig) == []


async def test_the_nightly_loop_asks_for_one_full_sync_a_day(
    open_rig: OpenRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """03:00 at the hotel is 06:00 UTC. Checked over and over while the sync has not run yet
    (the ARI loop here never does it), only one request is made; the next night, another."""
    monkeypatch.setattr(runner, "NIGHTLY_CHECK_S", 0.01)
    checks: list[datetime] = []

    def counting_due(now: datetime, timezone: str, hour: int, last: datetime | None) -> bool:
        checks.append(now)
        return schedule.full_sync_due(now, timezone, hour, last)

    monkeypatch.setattr(runner, "full_sync_due", counting_due)
    clock = ManualClock(datetime(2026, 11, 21, 5, 50, tzinfo=UTC))
    async with open_rig(clock=clock, full_sync_hour=3) as rig:
        rig.start()
        await eventually(lambda: len(checks) >= 5, "checks before the hour")
        assert await poll_requests(rig) == []
        clock.now = datetime(2026, 11, 21, 6, 5, tzinfo=UTC)
        seen = len(checks)
        await eventually(lambda: len(checks) >= seen + 20, "checks during the hour")
        assert await poll_requests(rig) == [("nightly", 1)]
        clock.now = datetime(2026, 11, 22, 6, 1, tzinfo=UTC)
        seen = len(checks)
        await eventually(lambda: len(checks) >= seen + 20, "checks the next night")
        await rig.stop()
        assert await poll_requests(rig) == [("nightly", 1), ("nightly", 1)]


class SettingsChannex:
    """Answers `GET /properties/:id` with these settings after `failures` connection errors."""

    def __init__(self, settings: dict[str, Any], failures: int = 0) -> None:
        self.settings = settings
        self.failures = failures
        self.reads = 0

    async def get_property(self, property_id: str) -> dict[str, Any]:
        self.reads += 1
        if self.failures:
            self.failures -= 1
            raise TransientUpstreamError("channex", "GET /properties: connection refused")
        return {"id": property_id, "attributes": {"settings": self.settings}}


async def test_at_start_the_property_settings_are_read_until_channex_answers(
    open_rig: OpenRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Channex is down at start: tried again a little later; once read, a state_length
    shorter than the horizon is a notice — and the settings are not read again."""
    monkeypatch.setattr(runner, "SETTINGS_RETRY_S", 0.05)
    async with open_rig(channex_sync_days=500) as rig:
        short = {
            "state_length": 365,
            "min_stay_type": "both",
            "allow_availability_autoupdate_on_modification": False,
            "allow_availability_autoupdate_on_cancellation": False,
        }
        channex = SettingsChannex(short, failures=2)
        rig.runtime.channex = cast(ChannexClient, channex)
        rig.worker = Worker(rig.runtime)
        rig.start()

        async def noted() -> list[str]:
            return [n.detail for n in await rig.runtime.store.notices.open_notices()]

        deadline = time.monotonic() + DEADLINE_S
        while not await noted():
            assert time.monotonic() < deadline, "no channex_settings notice"
            await asyncio.sleep(0.01)
        assert await noted() == [
            "property prop-1: state_length 365 is shorter than CHANNEX_SYNC_DAYS (500);"
            " run scripts/setup_channex_duke.py to fix"
        ]
        await eventually(  # the side task ends once the settings are read: no more reads
            lambda: all(t.get_name() != "worker:settings" for t in asyncio.all_tasks()),
            "the settings check done",
        )
        assert channex.reads == 3
        await rig.stop()


async def test_the_prune_loop_forgets_finished_bookings_with_audit_pruning_off(
    open_rig: OpenRig,
) -> None:
    """BOOKING_RETENTION_DAYS alone runs the prune loop; its pass forgets the booking whose
    stay ended long ago and keeps the one still to come."""
    async with open_rig(prune_after_days=0, booking_retention_days=90) as rig:
        store, now = rig.runtime.store, rig.runtime.clock()
        long_ago = now - timedelta(days=200)
        await test_retention.applied(
            store, "bk-old", "r-old", at=long_ago, checkout=long_ago.date()
        )
        soon = (now + timedelta(days=10)).date()
        await test_retention.applied(store, "bk-soon", "r-soon", at=now, checkout=soon)
        rig.start()
        deadline = time.monotonic() + DEADLINE_S
        while await store.retention.tombstone("bk-old") is None:
            assert time.monotonic() < deadline, "bk-old not forgotten"
            await asyncio.sleep(0.01)
        await rig.stop()
        assert await store.retention.forgotten_count() == 1
        assert await test_retention.rows_of(store, "bk-soon") == {
            "bookings": 1,
            "booking_rooms": 1,
            "revisions": 1,
            "revision_facts": 1,
            "revision_handling": 0,
        }


async def test_the_prune_loop_removes_finished_work_at_the_work_cutoff(
    open_rig: OpenRig,
) -> None:
    """PRUNE_WORK_AFTER_HOURS: a sync request and a wake-up done 30 hours ago go in the
    prune pass, the audit call of the same age stays (PRUNE_AFTER_DAYS), and so does the
    sync request done an hour ago."""
    async with open_rig(prune_after_days=30, prune_work_after_hours=24) as rig:
        store, now = rig.runtime.store, rig.runtime.clock()
        hours_ago = to_db_time(now - timedelta(hours=30))
        await test_prune.call(store, "hours-ago", hours_ago)
        await test_prune.sync_request(store, "hours-ago", "done", hours_ago)
        await test_prune.sync_request(
            store, "hour-ago", "done", to_db_time(now - timedelta(hours=1))
        )
        await test_prune.wakeup(store, "hours-ago", hours_ago)
        rig.start()
        deadline = time.monotonic() + DEADLINE_S
        while await test_prune.left(store, "SELECT asked_by FROM wakeups"):
            assert time.monotonic() < deadline, "the done wake-up not pruned"
            await asyncio.sleep(0.01)
        await rig.stop()
        assert await test_prune.left(store, "SELECT source FROM sync_requests") == ["hour-ago"]
        seeded = "SELECT url FROM http_calls WHERE url NOT LIKE 'http%'"  # not the worker's own
        assert await test_prune.left(store, seeded) == ["hours-ago"]
