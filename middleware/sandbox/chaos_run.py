"""One chaos run per seed: the real middleware processes, both emulators, faults, a verdict.

`run_seed(seed, options, workdir)`:
1. serves the Channex and sistema-os emulators in this process on loopback, creates Duke Beach
   in the emulated Channex with the setup engine (`system.open_emulators`: mapping file);
2. starts `python -m middleware.web` and `python -m middleware.worker` as subprocesses on a
   database and logs in `workdir` (`system_processes.run_middleware`: webhook with its secret
   once the web answers), and takes the hotel live with `POST /sync/full`;
3. runs the seed's workload and fault plan together (`chaos_actions.Timeline`);
4. turns every fault off, restarts whatever is down, waits (bounded) until the middleware's
   queues are empty and stay empty for longer than both safety-net polls;
5. asks `/status`, stops both processes with SIGTERM, and hands everything to the oracle.

Time is compressed by default: `CHANNEX_RATE_WINDOW` and the emulator's window are
`options.window_s` (6 s: 10 calls per 6 s, the 60 s model ten times faster).

The drift variant (`options.parity_interval_s > 0`) adds Channex drifting by itself — UI
edits and partly applied pushes (`chaos_plan`) — and reconciliation reading the whole horizon
back every `parity_interval_s` (the nightly whole-horizon pass, compressed); the oracle then
allows no full sync after go-live and counts read-backs against the rate limit.

The PostgreSQL variant (`options.postgres`): a throwaway PostgreSQL cluster of the run's own
(`pg_cluster`, data in a temporary directory) holds the store, `options.webs` web and
`options.workers` worker processes share it (every web gets every booking webhook:
`system_processes`), and the plan adds `kill -9` of any of them and stops of the database
server, cleanly or as a crash (`chaos_plan`, `postgres=True`). The oracle is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from middleware import clock as clocks
from middleware.config import Settings, load_settings
from middleware.domain.mapping import Mapping
from middleware.sandbox import chaos_oracle
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.chaos_actions import (
    FaultSwitch,
    Timeline,
    WorkloadDriver,
    refused_to_start,
)
from middleware.sandbox.chaos_plan import make_plan
from middleware.sandbox.chaos_snapshot import MiddlewareSnapshot, read_snapshot
from middleware.sandbox.chaos_workload import make_workload
from middleware.sandbox.pg_cluster import Cluster, start_cluster
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.processes import MiddlewareProcess
from middleware.sandbox.system_emulators import SANDBOX, ChannexKnobs, open_emulators
from middleware.sandbox.system_processes import run_middleware

POLL_S = 0.25
GO_LIVE_TIMEOUT_S = 60.0
DATABASE = "chaos"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChaosOptions:
    duration_s: float = 40.0  # the workload and its faults
    window_s: float = 6.0  # rate-limit window (Channex: 60)
    rate_limit: int = 10
    channex_timeout_s: float = 1.5
    pms_timeout_s: float = 1.5
    lease_s: float = 4.0
    feed_poll_s: int = 3
    pms_poll_s: int = 5
    sync_days: int = 90
    quiet_timeout_s: float = 150.0
    bookings: tuple[int, int] = (20, 40)
    pms_changes: tuple[int, int] = (50, 150)
    parity_interval_s: int = 0  # > 0: the drift variant (UI edits, partly applied pushes)
    postgres: bool = False  # the PostgreSQL variant: its own cluster, database restarts
    webs: int = 1
    workers: int = 1

    @property
    def drift(self) -> bool:
        return self.parity_interval_s > 0

    @property
    def quiet_s(self) -> float:
        """Empty queues this long mean quiet: both safety-net polls have run since (and, in
        the drift variant, two read-backs: one that started after the last change at least)."""
        return max(self.feed_poll_s, self.pms_poll_s, 2 * self.parity_interval_s) + 2.0

    def env(self) -> dict[str, str]:
        """The chaos settings on top of the emulators' (`Emulators.middleware_env`)."""
        drift = {
            "PARITY_INTERVAL": str(self.parity_interval_s),
            "PARITY_DAYS": str(self.sync_days),
            "PARITY_FULL_HOUR": "",  # the scheduled pass already reads the whole horizon
        }
        return {
            "CHANNEX_RATE_WINDOW": str(self.window_s),
            "CHANNEX_PRICE_RATE_LIMIT": str(self.rate_limit),
            "CHANNEX_AVAIL_RATE_LIMIT": str(self.rate_limit),
            "CHANNEX_TIMEOUT": str(self.channex_timeout_s),
            "CHANNEX_SYNC_DAYS": str(self.sync_days),
            # short enough that a busy lane wants more calls than the limit allows
            "ARI_DEBOUNCE": "0.2",
            "ARI_MAX_DELAY": "0.5",
            "PMS_TIMEOUT": str(self.pms_timeout_s),
            "PMS_POLL_INTERVAL": str(self.pms_poll_s),
            "FEED_POLL_INTERVAL": str(self.feed_poll_s),
            "WORKER_INTERVAL": "0.1",
            "WORKER_LEASE": str(self.lease_s),
            "LOG_LEVEL": "INFO",
        } | (drift if self.drift else {})


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedResult:
    seed: int
    faults: Counter[str]  # injected faults and episodes, by kind
    done: Counter[str]  # workload operations carried out, by kind
    bookings: int  # OTA bookings at Channex
    revisions: int
    parked: int  # bookings with a parked revision (e.g. a full hotel)
    pushes: int  # ARI calls Channex accepted
    attempts: int  # ARI calls the middleware made
    max_in_window: int  # most ARI calls of one lane in any window (all attempts)
    excluded_cells: int
    violations: tuple[str, ...]
    seconds: float
    workdir: Path
    reads: int = 0  # ARI read-backs (GETs) Channex answered 200

    @property
    def fault_total(self) -> int:
        return sum(self.faults.values())


@contextlib.asynccontextmanager
async def _database(options: ChaosOptions) -> AsyncIterator[tuple[Cluster | None, dict[str, str]]]:
    """The PostgreSQL variant's cluster and the DATABASE_URL naming its database (SQLite: none)."""
    if not options.postgres:
        yield None, {}
        return
    cluster = await asyncio.to_thread(start_cluster)
    try:
        await asyncio.to_thread(cluster.admin, f"CREATE DATABASE {DATABASE}")
        yield cluster, {"DATABASE_URL": cluster.url(DATABASE)}
    finally:
        await asyncio.to_thread(cluster.stop)


async def run_seed(seed: int, options: ChaosOptions, workdir: Path) -> SeedResult:
    """Run `seed` in `workdir` (an existing, empty directory: database, mapping, logs)."""
    started = time.monotonic()
    async with (
        _database(options) as (cluster, database_env),
        open_emulators(
            workdir,
            clock=clocks.utc_now,
            channex=ChannexKnobs(rate_limit=options.rate_limit, window_s=options.window_s),
        ) as emulators,
        run_middleware(
            emulators,
            workdir,
            split=True,
            env=options.env() | database_env,
            webs=options.webs,
            workers=options.workers,
        ) as children,
    ):
        channex, pms, mapping = emulators.channex, emulators.pms, emulators.mapping
        today = emulators.today
        settings = load_settings(children.env, env_file=None)  # the children's, for the oracle
        try:
            await _go_live(emulators.session, children.url, settings)
            timeline = Timeline(
                plan=make_plan(
                    seed,
                    duration_s=options.duration_s,
                    channex_timeout_s=options.channex_timeout_s,
                    pms_timeout_s=options.pms_timeout_s,
                    drift=options.drift,
                    postgres=options.postgres,
                ),
                ops=make_workload(
                    seed,
                    today=today(),
                    duration_s=options.duration_s,
                    bookings=options.bookings,
                    pms_changes=options.pms_changes,
                ).ops,
                driver=WorkloadDriver(channex, pms, mapping, today),
                switch=FaultSwitch(channex, pms),
                pms=pms,
                webs=children.webs,
                workers=children.workers,
                database=cluster,
            )
            await timeline.run()
            timeline.switch.off()
            notes = await _restart_the_fallen(*children.all)
            notes += await _wait_for_quiet(channex, pms, settings, options)
            attention = await _attention(emulators.session, children.url)
        finally:
            codes = {p.name: await p.stop() for p in children.all}
            pms.middleware_url = None
        notes += [f"{name} exited {code} after SIGTERM" for name, code in codes.items() if code]
        verdict = chaos_oracle.judge(
            chaos_oracle.Evidence(
                channex=channex,
                pms=pms,
                mapping=mapping,
                snapshot=await read_snapshot(settings),
                attention=attention,
                today=today(),
                horizon_days=options.sync_days,
                rate_limit=options.rate_limit,
                full_syncs_allowed=1 if options.drift else None,
                reads_count=options.drift,
            )
        )
        return _result(seed, timeline, channex, mapping, verdict, notes, started, workdir)


async def _go_live(session: aiohttp.ClientSession, url: str, settings: Settings) -> None:
    headers = {"Authorization": f"Bearer {SANDBOX.admin_token}"}
    async with session.post(url + "/sync/full", headers=headers) as response:
        if response.status != 202:
            raise RuntimeError(f"POST /sync/full answered {response.status}")
    deadline = time.monotonic() + GO_LIVE_TIMEOUT_S
    while (await read_snapshot(settings)).busy:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the go-live full sync did not finish in {GO_LIVE_TIMEOUT_S} s")
        await asyncio.sleep(POLL_S)


async def _restart_the_fallen(*processes: MiddlewareProcess) -> list[str]:
    notes = []
    for process in processes:
        if not process.running:
            if process.returncode not in (None, -9) and not refused_to_start(process):
                notes.append(f"{process.name} had exited by itself ({process.returncode})")
            await process.start()
    return notes


async def _wait_for_quiet(
    channex: ChannexEmulator, pms: PmsEmulator, settings: Settings, options: ChaosOptions
) -> list[str]:
    """Until nothing is pending for `quiet_s` on end; a note when `quiet_timeout_s` passes."""
    deadline = time.monotonic() + options.quiet_timeout_s
    quiet_since: float | None = None
    busy: list[str] = []
    while time.monotonic() < deadline:
        await channex.deliver_pending()
        await pms.drain_notifications()
        snapshot = await read_snapshot(settings)
        busy = snapshot.busy + _unheard(channex, snapshot)
        now = time.monotonic()
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= options.quiet_s:
            return []
        await asyncio.sleep(POLL_S)
    return [f"not quiet {options.quiet_timeout_s} s after the faults stopped: {busy}"]


def _unheard(channex: ChannexEmulator, snapshot: MiddlewareSnapshot) -> list[str]:
    """Unacked Channex revisions the middleware has not parked (the feed poll will find them)."""
    state = channex.state
    waiting = [
        rid
        for rid in state.revision_order
        if rid not in state.acked
        and (rid not in snapshot.revisions or snapshot.revisions[rid].status != "parked")
    ]
    return [f"{len(waiting)} unacked revisions"] if waiting else []


async def _attention(session: aiohttp.ClientSession, url: str) -> frozenset[str]:
    headers = {"Authorization": f"Bearer {SANDBOX.admin_token}"}
    async with session.get(url + "/status", headers=headers) as response:
        body = await response.json()
    return frozenset(item["revision_id"] for item in body["bookings"]["needs_attention"])


def _result(
    seed: int,
    timeline: Timeline,
    channex: ChannexEmulator,
    mapping: Mapping,
    verdict: chaos_oracle.Verdict,
    notes: list[str],
    started: float,
    workdir: Path,
) -> SeedResult:
    calls = [
        r
        for path in chaos_oracle.ARI_PATHS
        for r in channex.calls("POST", path)
        if any(p.property_id in r.property_ids for p in mapping)
    ]
    return SeedResult(
        seed=seed,
        faults=timeline.switch.injected + timeline.episodes_run,
        done=timeline.driver.done,
        bookings=len(channex.state.bookings),
        revisions=len(channex.state.revisions),
        parked=verdict.parked_bookings,
        pushes=sum(1 for r in calls if r.status == 200),
        attempts=len(calls),
        max_in_window=verdict.max_attempts_in_window,
        excluded_cells=verdict.excluded_cells,
        violations=tuple(notes + timeline.notes) + verdict.violations,
        seconds=time.monotonic() - started,
        workdir=workdir,
        reads=sum(
            1
            for path in chaos_oracle.ARI_PATHS
            for r in channex.calls("GET", path)
            if r.status == 200 and any(p.property_id in r.property_ids for p in mapping)
        ),
    )
