"""A storm of sistema-os changes at real speed: 1,000 in under a minute (rates, restrictions,
direct bookings and their cancellations over the next 60 days). Channex must never see more
than 10 calls a minute per endpoint — counting every attempt, refused or not — nor answer a
single 429, and once the storm has settled it must hold exactly what sistema-os holds."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import TypeVar

from middleware.domain.models import Lane
from middleware.sandbox.faults import FaultPlan
from middleware.sandbox.pms_state import PmsStateError
from middleware.store import outbox
from tests.flow.harness import System, start_system
from tests.flow.oracle import assert_channex_matches_pms
from tests.kit.backends import SQLITE_ONLY, Backend

SEED = 20261031
CHANGES = 1000
STORM_S = 55.0  # the changes are spread evenly over this (about 18 a second)
SPAN_DAYS = 60  # the changes touch today .. today + 59
RATE_LIMIT = 10
ENDPOINTS = ("/availability", "/restrictions")
SETTLE_S = 30.0
# A pump this eager would push about once a second: only the rate limiter holds it to 10.
EAGER = {"ARI_DEBOUNCE": "0.2", "ARI_MAX_DELAY": "1"}
T = TypeVar("T")


@dataclass(slots=True)
class Storm:
    """Seeded PMS changes, one `step()` at a time; `made` counts them by kind."""

    system: System
    rng: Random
    today: date
    live: list[int] = field(default_factory=list)
    made: Counter[str] = field(default_factory=Counter)

    def _range(self, longest: int) -> tuple[date, date]:
        start = self.rng.randrange(SPAN_DAYS)
        length = self.rng.randint(1, longest)
        last = min(start + length - 1, SPAN_DAYS - 1)
        return self.today + timedelta(days=start), self.today + timedelta(days=last)

    def _categoria(self) -> str:
        return self.rng.choice(self.system.mapping.properties[0].room_types).room_code

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.10 and self.live:
            booking = self.live.pop(self.rng.randrange(len(self.live)))
            self.system.pms.cancel_direct(booking)
            self.made["cancel_direct"] += 1
        elif roll < 0.30 and self._book():
            self.made["book_direct"] += 1
        elif roll < 0.55:
            first, last = self._range(10)
            self.system.pms.set_restrictions(
                self._categoria(), "padrao", first, last, **self._restrictions()
            )
            self.made["set_restrictions"] += 1
        else:
            first, last = self._range(14)
            cents = self.rng.randint(15_000, 150_000)
            rate = Decimal(cents) / 100
            self.system.pms.set_rate(self._categoria(), "padrao", first, last, rate)
            self.made["set_rate"] += 1

    def _book(self) -> bool:
        checkin, _ = self._range(1)
        nights = self.rng.randint(1, 5)
        checkout = min(checkin + timedelta(days=nights), self.today + timedelta(days=SPAN_DAYS))
        try:
            booking = self.system.pms.book_direct(self._categoria(), checkin, checkout)
        except PmsStateError:  # sold out on one of the nights: not a change
            return False
        self.live.append(booking)
        return True

    def _restrictions(self) -> dict[str, int | bool]:
        choices: dict[str, int | bool] = {
            "min_stay_arrival": self.rng.randint(1, 5),
            "min_stay_through": self.rng.randint(1, 4),
            "max_stay": self.rng.choice([0, 7, 10, 14]),
            "closed_to_arrival": self.rng.random() < 0.5,
            "closed_to_departure": self.rng.random() < 0.5,
            "stop_sell": self.rng.random() < 0.3,
        }
        names = self.rng.sample(sorted(choices), self.rng.randint(1, 3))
        return {name: choices[name] for name in names}


async def run_storm(storm: Storm, changes: int, seconds: float) -> None:
    """`changes` steps at real speed, evenly spread over `seconds`."""
    started = time.monotonic()
    for index in range(changes):
        delay = started + index * seconds / changes - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        storm.step()


def assert_rate_limit_kept(system: System) -> dict[str, int]:
    """No endpoint saw more than 10 calls in any minute, none was refused; calls per endpoint."""
    counts = {}
    for endpoint in ENDPOINTS:
        calls = system.channex.calls("POST", endpoint)
        assert [r.status for r in calls if r.status != 200] == []
        assert system.channex.max_calls_in_any_window(system.property_id, endpoint) <= RATE_LIMIT
        counts[endpoint] = len(calls)
    return counts


# SQLite only: a minute of real time, the suite's longest test. On PostgreSQL the same storm
# adds that minute again for what other tests already show there — the lane's sliding log
# under its row lock (tests/store/contract/test_lanes.py, tests/pg/test_lanes.py with
# concurrent reservers), the restart storms below, the many-hotels storm (test_many_hotels).
@SQLITE_ONLY
async def test_a_thousand_changes_in_a_minute_keep_the_rate_limit_and_end_equal(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=EAGER) as system:
        await system.full_sync()
        storm = Storm(system=system, rng=Random(SEED), today=system.today())
        started = time.monotonic()
        await run_storm(storm, CHANGES, STORM_S)
        storm_s = time.monotonic() - started
        await system.settle(timeout_s=SETTLE_S)
        settled_s = time.monotonic() - started

        counts = assert_rate_limit_kept(system)
        windows = {
            e: system.channex.max_calls_in_any_window(system.property_id, e) for e in ENDPOINTS
        }
        print(
            f"\nstorm: {sum(storm.made.values())} changes {dict(storm.made)} in {storm_s:.1f} s,"
            f" settled at {settled_s:.1f} s; POSTs (full sync included) {counts};"
            f" most in any 60 s window {windows}"
        )
        assert sum(storm.made.values()) == CHANGES
        await assert_channex_matches_pms(system, days=500)


RESTART_CHANGES = 300  # half before the restart, half after
RESTART_STORM_S = 10.0
RESTART_DAYS = 90
RESTART_ENV = {"CHANNEX_SYNC_DAYS": str(RESTART_DAYS)}


async def _storm_across_a_restart(system: System, before_restart: Callable[[], Awaitable[T]]) -> T:
    """Half the storm, every notice stored, `before_restart`, a graceful restart, the other
    half, settled. Returns what `before_restart` returned."""
    await system.full_sync()
    storm = Storm(system=system, rng=Random(SEED + 1), today=system.today())
    half = RESTART_CHANGES // 2
    await run_storm(storm, half, RESTART_STORM_S / 2)
    await system.pms.drain_notifications()
    found = await before_restart()
    store = system.context.runtime.store
    backlog = await store.outbox.backlog(system.clock())
    unfinished = await store.sync_requests.pending_count() + sum(
        b.pending + b.in_flight for b in backlog
    )
    assert unfinished > 0  # the restart interrupts work under way
    await system.restart()
    await run_storm(storm, RESTART_CHANGES - half, RESTART_STORM_S / 2)
    await system.settle(timeout_s=SETTLE_S)
    assert sum(storm.made.values()) == RESTART_CHANGES
    # sistema-os lost no notice: every change reached the middleware, which stored it.
    assert [n.status for n in system.pms.notifier.sent if n.status != 202] == []
    return found


async def test_a_restart_mid_storm_loses_nothing(tmp_path: Path, backend: Backend) -> None:
    async with start_system(tmp_path, backend, extra_env=RESTART_ENV) as system:

        async def nothing() -> None:
            return None

        await _storm_across_a_restart(system, nothing)
        counts = assert_rate_limit_kept(system)
        print(f"\nrestart mid-storm: POSTs {counts}")
        await assert_channex_matches_pms(system, days=RESTART_DAYS)


async def test_pushes_in_flight_at_a_restart_are_finished_or_resent(
    tmp_path: Path, backend: Backend
) -> None:
    env = {**RESTART_ENV, "WORKER_LEASE": "3", "CHANNEX_TIMEOUT": "2", "PMS_TIMEOUT": "2"}
    async with start_system(tmp_path, backend, extra_env=env) as system:
        # Every Channex call takes a second, so a push is in flight most of the time.
        system.channex.faults = FaultPlan(SEED, p_slow=1.0, slow_s=1.0)

        async def in_flight_and_crashed() -> tuple[int, outbox.Claim]:
            """Claim one lane as a worker that then crashed would have (its claim is only
            released once its lease runs out), then wait for a push in flight in the other.
            Both lanes push side by side, so the lane is claimed first, whenever it has rows."""
            store = system.context.runtime.store
            deadline = time.monotonic() + SETTLE_S
            stale: outbox.Claim | None = None
            while time.monotonic() < deadline:
                for kind in ("availability", "restrictions") if stale is None else ():
                    lane = Lane(system.property_id, kind)
                    stale = stale or await store.outbox.claim(lane, system.clock(), lease_s=3)
                if stale is not None:
                    flying = [
                        p
                        for p in await store.outbox.recent_pushes()
                        if p.status == "claimed" and p.lane != stale.lane
                    ]
                    if flying:
                        return flying[0].id, stale
                system.context.wake_worker()
                await asyncio.sleep(0.01)
            raise AssertionError("no push in flight")

        flying_id, stale = await _storm_across_a_restart(system, in_flight_and_crashed)
        pushes = {
            p.id: p for p in await system.context.runtime.store.outbox.recent_pushes(limit=500)
        }
        # The graceful stop let the push in flight finish; the crashed claim was released
        # when its lease ran out and its rows went out again.
        assert (pushes[flying_id].status, pushes[stale.push_id].status) == ("sent", "released")
        assert not [p for p in pushes.values() if p.status == "claimed"]
        counts = assert_rate_limit_kept(system)
        print(f"\nrestart with pushes in flight: POSTs {counts}")
        await assert_channex_matches_pms(system, days=RESTART_DAYS)
