"""The ARI path when Channex misbehaves, driven by real sistema-os changes: a 429 streak walks
the pause ladder, a 5xx streak backs off and merges later changes into one push, persistent
failures dead-letter (and come back on retry), dropped values are recorded and not resent,
and no push ever carries a day that has become past while it waited.

Time is the shared clock: pauses and backoffs are crossed with `clock.advance`, never waited.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from middleware.domain.models import Kind, Lane
from middleware.sandbox.faults import FaultPlan
from middleware.store import lanes, outbox
from middleware.store.notices import Notice
from tests.flow.harness import System, start_system
from tests.flow.oracle import assert_channex_matches_pms
from tests.kit.backends import Backend

SYNC_DAYS = 60
FAST = {"CHANNEX_SYNC_DAYS": str(SYNC_DAYS), "ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}
ARI_PATHS = ("/api/v1/availability", "/api/v1/restrictions")
WAIT_S = 10.0
T = TypeVar("T")


async def _go_live(system: System) -> None:
    """Full sync, then forget its calls: each test counts only its own."""
    await system.full_sync()
    system.channex.reset_requests()


async def _eventually(system: System, probe: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Poll `probe` (sending the PMS notices, waking the worker) until it returns something."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        await system.pms.drain_notifications()
        system.context.wake_worker()
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class Pushes:
    """Waits for the push audit rows of one lane."""

    def __init__(self, system: System, kind: Kind) -> None:
        self.system = system
        self.kind = kind

    async def with_status(self, status: str) -> list[outbox.PushRecord]:
        rows = await self.system.context.runtime.store.outbox.recent_pushes(limit=100)
        return [p for p in rows if p.lane.kind == self.kind and p.status == status]

    async def wait(self, status: str, count: int) -> list[outbox.PushRecord]:
        async def probe() -> list[outbox.PushRecord] | None:
            found = await self.with_status(status)
            return found if len(found) >= count else None

        found = await _eventually(self.system, probe, f"{count} {status} {self.kind} push(es)")
        assert len(found) == count
        return found


async def _lane(system: System, kind: Kind) -> lanes.LaneState:
    state = await system.context.runtime.store.lanes.get(
        Lane(system.property_id, kind), system.clock()
    )
    assert state is not None
    return state


async def _backlog(system: System, kind: Kind) -> tuple[int, int, int]:
    """(pending, in flight, dead) outbox rows of the lane."""
    for b in await system.context.runtime.store.outbox.backlog(system.clock()):
        if b.lane == Lane(system.property_id, kind):
            return b.pending, b.in_flight, b.dead
    return 0, 0, 0


async def _status_lane(system: System, kind: Kind) -> dict[str, Any]:
    code, body = await system.admin("GET", "/status")
    assert code == 200
    (prop,) = body["properties"]
    lane: dict[str, Any] = prop["lanes"][kind]
    return lane


async def _nothing_due(system: System) -> None:
    """A pump pass now finds no lane to push (paused, backing off, or only dead letters)."""
    worker = system.context.worker
    assert worker is not None
    assert await worker.runtime.pump.run_once() == []


def _rate(system: System, code: str, day: date, minor: int) -> dict[str, Any]:
    return {
        "property_id": system.property_id,
        "rate_plan_id": system.rate_plan_id(code, "padrao"),
        "date": day.isoformat(),
        "rate": minor,
    }


def _statuses(system: System, path: str) -> list[int]:
    return [r.status for r in system.channex.calls("POST", path)]


async def test_a_429_streak_walks_the_pause_ladder_and_loses_nothing(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST) as system:
        await _go_live(system)
        system.channex.faults = FaultPlan(429, p_429=1.0)
        day = system.today() + timedelta(days=10)
        system.pms.set_rate("lvu", "padrao", day, day, Decimal("777.00"))
        failed = Pushes(system, "restrictions")
        for step, pause_s in enumerate((60, 120, 240), start=1):
            await failed.wait("failed", step)
            state = await _lane(system, "restrictions")
            assert state.last_push_at is not None
            assert (state.pause_count, state.paused_until, state.next_attempt_at) == (
                step,
                state.last_push_at + timedelta(seconds=pause_s),
                state.last_push_at + timedelta(seconds=pause_s),
            )
            assert _statuses(system, "/restrictions") == [429] * step
            assert await _backlog(system, "restrictions") == (1, 0, 0)
            limit = (await _status_lane(system, "restrictions"))["rate_limit"]
            assert (limit["pause_count"], limit["paused_until"]) == (
                step,
                (state.last_push_at + timedelta(seconds=pause_s)).isoformat(),
            )
            system.clock.advance(pause_s - 1)  # almost over: still held
            await _nothing_due(system)
            if step < 3:
                system.clock.advance(2)
        system.channex.faults = None
        system.clock.advance(2)
        await system.settle()

        assert _statuses(system, "/restrictions") == [429, 429, 429, 200]
        assert system.posts("restrictions") == [{"values": [_rate(system, "lvu", day, 77700)]}]
        state = await _lane(system, "restrictions")
        assert (state.pause_count, state.paused_until, state.failures) == (0, None, 0)
        assert _statuses(system, "/availability") == []
        await assert_channex_matches_pms(system, days=SYNC_DAYS)


async def test_a_5xx_streak_backs_off_and_sends_the_newest_values_once(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST) as system:
        await _go_live(system)
        system.channex.faults = FaultPlan(500, p_5xx=1.0)
        first, second = system.today() + timedelta(days=5), system.today() + timedelta(days=9)
        system.pms.set_rate("ov", "padrao", first, first, Decimal("500.00"))
        failed = Pushes(system, "restrictions")
        for step, delay_s in enumerate((5, 10, 20), start=1):
            await failed.wait("failed", step)
            state = await _lane(system, "restrictions")
            assert state.last_push_at is not None
            assert (state.failures, state.next_attempt_at, state.pause_count) == (
                step,
                state.last_push_at + timedelta(seconds=delay_s),
                0,
            )
            assert _statuses(system, "/restrictions") == [500] * step
            pending = 1 if step < 3 else 2
            assert await _backlog(system, "restrictions") == (pending, 0, 0)
            await _nothing_due(system)
            if step == 2:  # a change during the streak: merged, last write wins
                system.pms.set_rate("ov", "padrao", first, first, Decimal("600.00"))
                system.pms.set_rate("ov", "padrao", second, second, Decimal("700.00"))
                await system.pms.drain_notifications()
                await _eventually_backlog(system, "restrictions", (2, 0, 0))
            system.clock.advance(delay_s + 0.5)
        system.channex.faults = None
        system.clock.advance(41)
        await system.settle()

        assert _statuses(system, "/restrictions") == [500, 500, 500, 200]
        (body,) = system.posts("restrictions")
        assert sorted(body["values"], key=lambda v: str(v["date"])) == [
            _rate(system, "ov", first, 60000),
            _rate(system, "ov", second, 70000),
        ]
        assert await _backlog(system, "restrictions") == (0, 0, 0)
        await assert_channex_matches_pms(system, days=SYNC_DAYS)


async def _eventually_backlog(system: System, kind: Kind, want: tuple[int, int, int]) -> None:
    async def probe() -> bool | None:
        return True if await _backlog(system, kind) == want else None

    await _eventually(system, probe, f"{kind} backlog {want}")


async def test_persistent_failures_dead_letter_and_come_back_on_retry(
    tmp_path: Path, backend: Backend
) -> None:
    env = {**FAST, "OUTBOX_MAX_ATTEMPTS": "2"}
    async with start_system(tmp_path, backend, extra_env=env) as system:
        await _go_live(system)
        system.channex.faults = FaultPlan(2, p_5xx=1.0)
        day = system.today() + timedelta(days=20)
        system.pms.set_rate("dlvl", "padrao", day, day, Decimal("812.34"))
        failed = Pushes(system, "restrictions")
        await failed.wait("failed", 1)
        system.clock.advance(6)
        await failed.wait("failed", 2)

        assert await _backlog(system, "restrictions") == (0, 0, 1)
        (notice,) = [
            n
            for n in await system.context.runtime.store.notices.open_notices()
            if n.kind == "dead_letter"
        ]
        assert notice.detail.startswith("1 restrictions change(s) dead-lettered: ")
        assert notice.property_id == system.property_id
        lane = await _status_lane(system, "restrictions")
        assert (lane["pending"], lane["in_flight"], lane["dead_lettered"]) == (0, 0, 1)
        _, status = await system.admin("GET", "/status")
        assert [n["detail"] for n in status["notices"] if n["kind"] == "dead_letter"] == [
            notice.detail
        ]

        # Channex is back: dead letters stay put until a person retries them.
        system.channex.faults = None
        system.clock.advance(600)
        await _nothing_due(system)
        assert _statuses(system, "/restrictions") == [500, 500]

        code, answer = await system.admin("POST", "/admin/outbox/retry", {})
        assert (code, answer) == (200, {"retried": 1})
        await system.settle()
        assert _statuses(system, "/restrictions") == [500, 500, 200]
        assert system.posts("restrictions") == [{"values": [_rate(system, "dlvl", day, 81234)]}]
        assert await _backlog(system, "restrictions") == (0, 0, 0)
        open_kinds = [n.kind for n in await system.context.runtime.store.notices.open_notices()]
        assert "dead_letter" not in open_kinds
        await assert_channex_matches_pms(system, days=SYNC_DAYS)


async def _metric(system: System, name: str, labels: dict[str, str]) -> float:
    async with system.session.get(system.url + "/metrics") as response:
        text = await response.text()
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric.startswith(name + "{"):
            inner = metric[len(name) + 1 : -1]
            if ",".join(sorted(inner.split(","))) == wanted:
                return float(value)
    return 0.0


async def test_values_channex_drops_are_recorded_and_not_resent(
    tmp_path: Path, backend: Backend
) -> None:
    # A longer debounce so that both changes leave in one push.
    env = {**FAST, "ARI_DEBOUNCE": "1", "ARI_MAX_DELAY": "3"}
    async with start_system(tmp_path, backend, extra_env=env) as system:
        await _go_live(system)
        partial = {"endpoint": "restrictions", "outcome": "partial"}
        partial_before = await _metric(system, "channex_pushes_total", partial)
        before = system.channex.restrictions(system.property_id)
        system.channex.faults = FaultPlan(7, p_warning=1.0)
        lvu = [system.today() + timedelta(days=n) for n in (12, 13, 14)]
        ov = system.today() + timedelta(days=30)
        system.pms.set_rate("lvu", "padrao", lvu[0], lvu[-1], Decimal("555.00"))
        system.pms.set_rate("ov", "padrao", ov, ov, Decimal("666.00"))
        (push,) = await Pushes(system, "restrictions").wait("partial", 1)

        # One push of two values; Channex dropped one of them (seeded choice) with a warning.
        (body,) = system.posts("restrictions")
        lvu_value = {
            "property_id": system.property_id,
            "rate_plan_id": system.rate_plan_id("lvu", "padrao"),
            "date_from": lvu[0].isoformat(),
            "date_to": lvu[-1].isoformat(),
            "rate": 55500,
        }
        ov_value = _rate(system, "ov", ov, 66600)
        assert sorted(body["values"], key=str) == sorted([lvu_value, ov_value], key=str)
        (warning,) = push.warnings
        print(f"\nChannex dropped {warning}")
        dropped = {k: v for k, v in warning.items() if k != "warning"}
        assert dropped in (lvu_value, ov_value)
        kept_days = [ov] if dropped == lvu_value else lvu
        dropped_days = lvu if dropped == lvu_value else [ov]
        dropped_code, kept_code = ("lvu", "ov") if dropped == lvu_value else ("ov", "lvu")
        new_rate = {"lvu": Decimal("555.00"), "ov": Decimal("666.00")}
        held = system.channex.restrictions(system.property_id)
        dropped_plan = system.rate_plan_id(dropped_code, "padrao")
        kept_plan = system.rate_plan_id(kept_code, "padrao")
        assert [held[dropped_plan][d] for d in dropped_days] == [
            before[dropped_plan][d] for d in dropped_days
        ]
        assert [held[kept_plan][d]["rate"] for d in kept_days] == [new_rate[kept_code]] * len(
            kept_days
        )

        # Recorded: push 'partial' with its task id, a notice, /status, the metric.
        assert (push.status, push.values_count, len(push.task_ids)) == ("partial", 2, 1)

        # The pump adds the notice just after it records the push's outcome (on PostgreSQL
        # the test can read in between): wait for it.
        async def warnings_noticed() -> list[Notice] | None:
            found = await system.context.runtime.store.notices.open_notices()
            return [n for n in found if n.kind == "channex_warning"] or None

        (notice,) = await _eventually(system, warnings_noticed, "the channex_warning notice")
        assert notice.detail.startswith("Channex dropped 1 value(s) of a restrictions push: ")
        _, status = await system.admin("GET", "/status")
        assert [n["detail"] for n in status["channex_warnings"]] == [notice.detail]
        assert await _metric(system, "channex_pushes_total", partial) == partial_before + 1

        # The dropped cells are not acked: dead-lettered, not resent, even much later.
        assert await _backlog(system, "restrictions") == (0, 0, len(dropped_days))
        lane = Lane(system.property_id, "restrictions")
        store = system.context.runtime.store
        for plan, rates in (
            (kept_plan, dict.fromkeys(kept_days, new_rate[kept_code])),
            (dropped_plan, {d: before[dropped_plan][d]["rate"] for d in dropped_days}),
        ):
            acked = await store.ari_state.acked(lane, [plan], min(rates), max(rates))
            assert {k.day: f["rate"] for k, f in acked.items()} == rates
        system.channex.faults = None
        system.clock.advance(600)
        await system.settle()
        await _nothing_due(system)
        assert len(system.channex.calls("POST", "/restrictions")) == 1

        # A full sync sends them again: Channex equals sistema-os.
        await system.full_sync()
        assert await _backlog(system, "restrictions") == (0, 0, 0)
        await assert_channex_matches_pms(system, days=SYNC_DAYS)


async def test_days_that_became_past_while_waiting_are_never_sent(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST) as system:
        await _go_live(system)
        system.channex.faults = FaultPlan(9, p_5xx=1.0)
        start = system.today()
        days = [start + timedelta(days=n) for n in range(5)]
        system.pms.set_rate("lvl", "padrao", days[0], days[-1], Decimal("444.00"))
        system.pms.book_direct("lvl", days[0], days[-1] + timedelta(days=1))
        await Pushes(system, "restrictions").wait("failed", 1)
        await Pushes(system, "availability").wait("failed", 1)
        sent_before = len(system.channex.requests)

        system.clock.advance(2 * 24 * 3600)  # two days later, still not pushed
        system.channex.faults = None
        await system.settle()
        today = system.today()
        assert today == start + timedelta(days=2)

        for index, call in enumerate(system.channex.requests):
            if call.method != "POST" or call.path not in ARI_PATHS:
                continue
            floor = start if index < sent_before else today
            firsts = [v.get("date") or v["date_from"] for v in call.body["values"]]
            assert min(firsts) >= floor.isoformat(), (call.path, call.body)
        pid = system.property_id
        assert system.posts("restrictions") == [
            {
                "values": [
                    {
                        "property_id": pid,
                        "rate_plan_id": system.rate_plan_id("lvl", "padrao"),
                        "date_from": today.isoformat(),
                        "date_to": days[-1].isoformat(),
                        "rate": 44400,
                    }
                ]
            }
        ]
        (avail,) = system.posts("availability")
        assert [(v["date_from"], v["date_to"]) for v in avail["values"]] == [
            (today.isoformat(), days[-1].isoformat())
        ]
        rows = await system.context.runtime.store.outbox.recent_pushes(limit=2)
        assert sorted((p.lane.kind, p.status, p.warnings) for p in rows) == [
            ("availability", "sent", ()),
            ("restrictions", "sent", ()),
        ]
        await assert_channex_matches_pms(system, days=SYNC_DAYS - 2)
