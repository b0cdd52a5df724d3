"""The worker: named periodic loops under one supervisor, interruptible, with a heartbeat.

Loops: `ari` (sync requests → outbox), `pump` (outbox → Channex), `bookings` (revisions →
sistema-os → ack), `feed` (the revision feed safety net), `poll` (change-detection read of the
PMS), `nightly` (the optional off-peak full sync), `parity` (Channex read back and compared with
the PMS), `mapping` (a mapping reload another process asked for) and `heartbeat`; at start, one
side task reads the Channex property settings parity relies on (`property_check`), again every
`SETTINGS_RETRY_S` until Channex answers. Each sleep is a wait on the stop event (or a wake-up);
one failed iteration is logged and the loop goes on. The `ari`, `pump` and `bookings` loops only
dispatch: each property's (or lane's) work runs in its component's bounded pool, so one hotel's
slow PMS or slow Channex lane never holds another's; a property whose sync or bookings task ends
nudges its loop, which looks for more at once. `prune` removes old audit rows (`store.prune`)
and forgets finished bookings (`store.retention`).
`catalog` reads what Channex calls each room type and rate plan for the console
(`worker.catalog`) at start and after a mapping reload. `wakeups` runs what a person asked for
now through the store (`store.wakeups`: process bookings, poll the feed, a parity pass, the
Channex ack of a revision closed by hand, a calendar read-back, the catalog — the web process
records them and does none of this work itself) within `WORKER_INTERVAL`, or at once when woken
(one-process mode); the feed and parity passes of the loops and of a wake-up take turns, so one
process never runs two of them at once. `stop()` stops claiming, lets in-flight work finish up
to `SHUTDOWN_TIMEOUT_S`, then cancels: a cancelled push gives its outbox rows back.

Another process's work wakes the loop it concerns at once (`signals`, a side task following
`store.signals`: the web's booking revisions wake `bookings`, sync requests `ari`, wake-ups
`wakeups` — LISTEN/NOTIFY on PostgreSQL, `PRAGMA data_version` on SQLite); the poll every
`WORKER_INTERVAL` stays the fallback. Several workers may share a PostgreSQL store: each beats
under its own name (`worker:<host>:<pid>:<token>`, `worker_identity`), marks its last one
`stopped` when it stops cleanly, and forgets those of workers silent for `HEARTBEAT_FORGET_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import orjson
import structlog

from middleware.domain import retention as forgetting
from middleware.ops.mapping_reload import MappingReloader
from middleware.store import keys, signals, wakeups
from middleware.store.stamps import from_db_time, to_db_time
from middleware.worker import asked, catalog, property_check
from middleware.worker.assembly import WorkerRuntime
from middleware.worker.keyed_pool import KeyedPool
from middleware.worker.schedule import full_sync_due

log = structlog.get_logger(__name__)

WAKEABLE = ("ari", "pump", "bookings", "wakeups")
# A property's sync or bookings task that ends may leave more due: look at once. A lane's push
# that ends leaves nothing due before the debounce, which the pump's short tick covers.
NUDGED_BY_POOL = ("ari", "bookings")
# the loop whose work each wake-up asks for (a booking pass is kept single by its pool)
LOOP_OF_WORK = {
    "process_bookings": "bookings",
    "poll_feed": "feed",
    "parity_check": "parity",
    "read_catalog": "catalog",
}
# a property whose Channex catalog could not be read is tried again after this
CATALOG_RETRY_S = 60.0
SHUTDOWN_TIMEOUT_S = 10.0
HEARTBEAT_INTERVAL_S = 5.0
# The pump looks for due lanes many times per debounce, so a settled lane, or one whose rate
# window opens, waits at most a twentieth of ARI_DEBOUNCE more (0.1 s), within these bounds: a
# saturated lane sends once its oldest call leaves the window, and each tick it waits past
# that is lost for good (a 0.5 s tick cost 4 % of the ceiling at 50 hotels, bench_properties).
# A tick is one store transaction and a read of the due lanes (< 1 ms at 200 hotels).
PUMP_TICK_MAX_S = 1.0
PUMP_TICK_MIN_S = 0.05
PUMP_TICKS_PER_DEBOUNCE = 20
NIGHTLY_CHECK_S = 60.0
# Timed reads that are the deployment's, not each worker's: with several workers one takes
# each turn (`store.audit.take_turn`), so sistema-os is polled and the Channex feed read once
# an interval, not once per worker. A worker's first pass after it starts is its own (a
# restarted worker reads the feed at once).
SHARED_LOOPS = ("feed", "poll")
TURN_SHARE = 0.8  # a turn taken less than this share of the interval ago is another's
TURN_KEY = "turn:{loop}"
SETTINGS_RETRY_S = 60.0
HEARTBEAT_NAME = "worker"  # the kind: each worker beats as `worker:<identity>`
# A worker that stops cleanly says so in its last heartbeat (its detail): /health counts it
# only while no running worker is fresh (a restart does not flap /health) and lists it no more
# once it is stale. One that died without stopping (kill -9, a lost machine) is listed as
# stale for HEARTBEAT_FORGET_S; then every heartbeat that old is forgotten.
HEARTBEAT_STOPPED = "stopped"
HEARTBEAT_FORGET_S = 24 * 3600.0
HEARTBEAT_FORGET_CHECK_S = 600.0
SIGNALS_READY_S = 5.0
# the loop each kind of work another process signals it stored (`store.signals`) wakes
LOOP_OF_SIGNAL: dict[signals.Kind, str] = {
    "revisions": "bookings",
    "sync_requests": "ari",
    "wakeups": "wakeups",
}


def worker_identity() -> str:
    """This worker among several: its machine, its process and a token of its start (a pid
    is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(self, runtime: WorkerRuntime) -> None:
        self._rt = runtime
        # a feed or parity pass of the loops and one a wake-up asked for take turns
        self._turns = {name: asyncio.Lock() for name in LOOP_OF_WORK.values()}
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._nudges = {name: asyncio.Event() for name in WAKEABLE}
        self._tasks: list[asyncio.Task[None]] = []
        self._signals_task: asyncio.Task[None] | None = None
        self._watching = asyncio.Event()  # `store.signals` watch in place
        self.identity = worker_identity()
        self.heartbeat_name = f"{HEARTBEAT_NAME}:{self.identity}"
        self._forget_at = 0.0  # loop time of the next look for long-dead workers' heartbeats
        self._catalog_of: object = None  # the mapping the stored catalog was read for
        self._catalog_retry_at = 0.0  # loop time; 0: every property was read
        self.reloader = MappingReloader(runtime, interval_s=runtime.settings.worker_interval_s)
        # the pools outlive a mapping reload (`Runtime.use_mapping`), and so do these hooks
        for name, component in self._pooled():
            if name in NUDGED_BY_POOL:
                component.pool.on_done = self._nudges[name].set

    def _pooled(self) -> list[tuple[str, Any]]:
        """The loops whose component runs its work in a pool (`.pool`), by loop name."""
        parts = (
            ("ari", self._rt.ari_sync),
            ("pump", self._rt.pump),
            ("bookings", self._rt.bookings),
        )
        return [
            (name, part)
            for name, part in parts
            if isinstance(getattr(part, "pool", None), KeyedPool)
        ]

    @property
    def runtime(self) -> WorkerRuntime:
        return self._rt

    def wake(self, *loops: str) -> None:
        """Run the short loops now (one-process mode: a webhook just stored work); with
        `loops`, only those (a PMS change notice concerns the `ari` loop alone: at a hundred
        notices a second, waking every loop ran the pump, booking and wake-up passes as often,
        for nothing)."""
        if not loops:
            self._wake.set()
        for name in loops:
            self._nudges[name].set()

    async def run(self) -> None:
        s = self._rt.settings
        tick = s.worker_interval_s
        pump_tick = max(s.ari_debounce_s / PUMP_TICKS_PER_DEBOUNCE, PUMP_TICK_MIN_S)
        loops: list[tuple[str, float, Callable[[], Awaitable[object]]]] = [
            # Each pass looks its component up in the runtime: a mapping reload replaces them.
            ("ari", tick, lambda: self._rt.ari_sync.dispatch()),
            ("pump", min(tick, PUMP_TICK_MAX_S, pump_tick), lambda: self._rt.pump.dispatch()),
            ("bookings", tick, self._bookings),
            ("heartbeat", min(tick, HEARTBEAT_INTERVAL_S), self._heartbeat),
            ("mapping", tick, self.reloader.check_once),
            ("wakeups", tick, self._wakeups),
            ("catalog", tick, self._catalog),
        ]
        if s.feed_poll_interval_s > 0:
            loops.append(("feed", float(s.feed_poll_interval_s), self._feed))
        if s.pms_poll_interval_s > 0:
            loops.append(("poll", float(s.pms_poll_interval_s), self._poll))
        if s.full_sync_hour is not None:
            loops.append(("nightly", NIGHTLY_CHECK_S, self._nightly))
        if s.parity_interval_s > 0 or s.parity_full_hour is not None:
            loops.append(("parity", tick, self._parity))
        if (s.prune_after_days > 0 or s.booking_retention_days > 0) and s.prune_interval_s > 0:
            loops.append(("prune", float(s.prune_interval_s), self._prune))
        if not s.channex_enabled:
            # CHANNEX_ENABLED=false: no loop calls Channex (there may be no API key); sync
            # requests and webhooks stay stored for when the integration is switched back on.
            loops = [loop for loop in loops if loop[0] in ("heartbeat", "mapping", "prune")]
        await self._heartbeat()
        if s.channex_enabled:
            await self._start_following_signals()
        loops = [
            (name, every, self._taking_turns(name, every, step) if name in SHARED_LOOPS else step)
            for name, every, step in loops
        ]
        self._tasks = [
            asyncio.create_task(self._loop(name, every, step), name=f"worker:{name}")
            for name, every, step in loops
        ]
        if s.channex_enabled:
            settings_task = asyncio.create_task(self._verify_settings(), name="worker:settings")
            self._tasks.append(settings_task)
        log.info(
            "worker_started",
            worker=self.identity,
            loops=[name for name, _, _ in loops],
            tick_s=tick,
            channex_enabled=s.channex_enabled,
        )
        await self._stop.wait()
        await self._shutdown()

    async def stop(self) -> None:
        self._stop.set()

    async def _shutdown(self) -> None:
        """Loops and pooled work (pushes, bookings, PMS reads) share one timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_TIMEOUT_S
        if self._signals_task is not None:
            self._signals_task.cancel()
            await asyncio.gather(self._signals_task, return_exceptions=True)
        done, pending = await asyncio.wait(self._tasks, timeout=SHUTDOWN_TIMEOUT_S)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finished, cancelled = len(done), len(pending)
        for _, component in self._pooled():
            left_s = max(0.0, deadline - loop.time())
            pool_done, pool_cancelled = await component.pool.drain(left_s)
            finished, cancelled = finished + pool_done, cancelled + pool_cancelled
        with contextlib.suppress(Exception):  # the database may be the reason for stopping
            await self._rt.store.audit.heartbeat(
                self.heartbeat_name, self._rt.clock(), HEARTBEAT_STOPPED
            )
        log.info("worker_stopped", finished=finished, cancelled=cancelled)

    def _taking_turns(
        self, name: str, every_s: float, step: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[object]]:
        """`step`, run on this worker's first pass and then only on the turns it takes."""
        first = True

        async def turn() -> None:
            nonlocal first
            key = TURN_KEY.format(loop=name)
            mine = await self._rt.store.audit.take_turn(
                key, self._rt.clock(), every_s=every_s * TURN_SHARE
            )
            if mine or first:
                first = False
                await step()

        return turn

    async def _loop(self, name: str, every_s: float, step: Callable[[], Awaitable[object]]) -> None:
        while not self._stop.is_set():
            try:
                await step()
            except Exception:
                log.exception("worker_loop_failed", loop=name)
            await self._sleep(every_s, nudge=self._nudges.get(name))

    async def _sleep(self, seconds: float, *, nudge: asyncio.Event | None) -> None:
        """Wait `seconds`, or less: the stop event; for a wakeable loop, a wake-up or its own
        nudge (a pooled task of its ended)."""
        waits = [asyncio.ensure_future(self._stop.wait())]
        if nudge is not None:
            waits.append(asyncio.ensure_future(self._wake.wait()))
            waits.append(asyncio.ensure_future(nudge.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()
        if nudge is not None:
            nudge.clear()
            if self._wake.is_set():
                await asyncio.sleep(0)
                self._wake.clear()

    async def _start_following_signals(self) -> None:
        """Follow `store.signals` from before the loops' first passes, so that work stored
        before the watch is in place is found by those passes and work stored after it is
        signalled (at most `SIGNALS_READY_S` of waiting: the poll covers a watch that fails)."""
        self._signals_task = asyncio.create_task(self._follow_signals(), name="worker:signals")
        ready = asyncio.ensure_future(self._watching.wait())
        try:
            await asyncio.wait(
                [ready, self._signals_task],
                timeout=SIGNALS_READY_S,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()

    async def _follow_signals(self) -> None:
        """Wake the loop of each kind of work another process stored (`store.signals`: a
        webhook's revision, a sync request, a wake-up) — a hint: each loop's own poll
        (`WORKER_INTERVAL`) stays the fallback, also while the watch is failing."""
        try:
            async for kinds in self._rt.store.signals.watch():
                if not kinds:  # the watch is in place
                    self._watching.set()
                    continue
                self.wake(*sorted(LOOP_OF_SIGNAL[kind] for kind in kinds))
        except Exception:
            log.exception("worker_loop_failed", loop="signals")

    async def _verify_settings(self) -> None:
        """The property settings, read once Channex answers (a side task, not a loop)."""
        rt = self._rt
        while not self._stop.is_set():
            try:
                found = await property_check.verify_property_settings(
                    rt.store,
                    rt.channex,
                    rt.mapping,
                    rt.settings.channex_sync_days,
                    clock=rt.clock,
                    alert=rt.alerter.send,
                )
            except Exception:
                log.exception("worker_loop_failed", loop="settings")
                found = None
            if found is not None:
                return
            await self._sleep(SETTINGS_RETRY_S, nudge=None)

    async def _bookings(self) -> None:
        await self._rt.bookings.dispatch(limit=self._rt.settings.worker_batch_size)

    async def _feed(self) -> None:
        async with self._turns["feed"]:
            await self._rt.feed.run_once()

    async def _parity(self) -> None:
        async with self._turns["parity"]:
            await self._rt.parity.run_once()

    async def _catalog(self) -> None:
        """The Channex catalog for the console: read at start and after a mapping reload (a
        new mapping), and again every `CATALOG_RETRY_S` while a property could not be read."""
        rt = self._rt
        now_s = asyncio.get_running_loop().time()
        mapping = rt.mapping
        if mapping is self._catalog_of and not (0 < self._catalog_retry_at <= now_s):
            return
        async with self._turns["catalog"]:
            found = await catalog.refresh(rt.store, rt.channex, mapping, rt.clock())
        self._catalog_of = mapping
        unread = [f["property_id"] for f in found if not f["read"]]
        self._catalog_retry_at = now_s + CATALOG_RETRY_S if unread else 0.0
        log.info("channex_catalog_read", properties=len(found), unread=unread)

    async def _wakeups(self) -> None:
        """Each kind of work asked for now, run once for every open wake-up of it (work about
        one thing: once per subject)."""
        rt = self._rt
        ran: list[str] = []
        for work in wakeups.WORKS:
            ids = await rt.store.wakeups.claim(work, rt.clock(), lease_s=rt.settings.worker_lease_s)
            if not ids:
                continue
            if work in wakeups.BY_SUBJECT:
                await self._about(work, ids)
            else:
                async with self._turns[LOOP_OF_WORK[work]]:
                    result = await asked.run(rt, work)
                await rt.store.wakeups.finish(ids, rt.clock(), result=orjson.dumps(result).decode())
            log.info("wakeup_done", work=work, wakeup_ids=ids)
            ran.append(work)
        if "poll_feed" in ran:  # what the feed found is processed at once
            self._nudges["bookings"].set()

    async def _about(self, work: wakeups.Work, ids: list[int]) -> None:
        rt = self._rt
        by_subject: dict[str, list[int]] = {}
        for wakeup_id in ids:
            found = await rt.store.wakeups.get(wakeup_id)
            by_subject.setdefault(found.subject or "" if found else "", []).append(wakeup_id)
        for subject, same in by_subject.items():
            result = await asked.run_about(rt, work, subject)
            await rt.store.wakeups.finish(same, rt.clock(), result=orjson.dumps(result).decode())

    async def _prune(self) -> None:
        now = self._rt.clock()
        s = self._rt.settings
        if s.prune_after_days > 0:
            cutoff = now - timedelta(days=s.prune_after_days)
            hours = s.prune_work_after_hours
            work_cutoff = now - timedelta(hours=hours) if hours else None
            report = await self._rt.store.prune.prune(cutoff, work_cutoff=work_cutoff)
            if report.total:
                log.info("store_pruned", cutoff=cutoff.isoformat(), **report.removed)
        if s.booking_retention_days > 0:
            cut = forgetting.cutoffs(now, s.booking_retention_days)
            kept = await self._rt.store.retention.forget_finished(cut, now)
            if kept.forgotten:
                log.info("bookings_forgotten", bookings=kept.forgotten, **kept.removed)

    async def _heartbeat(self) -> None:
        """This worker's heartbeat; now and then, forget those of workers long dead."""
        now = self._rt.clock()
        await self._rt.store.audit.heartbeat(self.heartbeat_name, now)
        now_s = asyncio.get_running_loop().time()
        if now_s >= self._forget_at:
            self._forget_at = now_s + HEARTBEAT_FORGET_CHECK_S
            before = now - timedelta(seconds=HEARTBEAT_FORGET_S)
            forgotten = await self._rt.store.audit.forget_heartbeats(HEARTBEAT_NAME, before=before)
            if forgotten:
                log.info("worker_heartbeats_forgotten", workers=forgotten)

    async def _poll(self) -> None:
        await self._rt.store.sync_requests.request(source="poll", now=self._rt.clock())

    async def _nightly(self) -> None:
        now = self._rt.clock()
        hour = self._rt.settings.full_sync_hour
        if hour is None:
            return
        for prop in self._rt.mapping:
            # The request counts as much as the sync it asks for: a sync still waiting (PMS
            # down, worker busy) must not be asked for again at the next check.
            stamps = [
                await self._rt.store.audit.get_value(key.format(property_id=prop.property_id))
                for key in (keys.LAST_FULL_SYNC_KEY, keys.NIGHTLY_REQUESTED_KEY)
            ]
            last = max((from_db_time(s) for s in stamps if s is not None), default=None)
            if full_sync_due(now, prop.timezone, hour, last):
                log.info("nightly_full_sync_requested", property_id=prop.property_id)
                await self._rt.store.sync_requests.request(
                    source="nightly", now=now, full_sync=True
                )
                for each in self._rt.mapping:  # one full sync covers every property
                    key = keys.NIGHTLY_REQUESTED_KEY.format(property_id=each.property_id)
                    await self._rt.store.audit.set_value(key, to_db_time(now), now)
                return


async def run_worker(runtime: WorkerRuntime) -> None:
    """Run until cancelled or signalled (entry point helper)."""
    worker = Worker(runtime)
    runner = asyncio.create_task(worker.run(), name="worker")
    try:
        await runner
    except asyncio.CancelledError:
        await worker.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        raise
