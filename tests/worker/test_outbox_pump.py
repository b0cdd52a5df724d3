"""The outbox pump over a real SQLite store and a recording fake of Channex's ARI endpoints:
one range-compressed push per due lane, inside the rate limit, with every outcome recorded."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from starlette.datastructures import Secret

from middleware.channex.client import PushResult
from middleware.config import Settings
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.models import CellKey, Cells, FieldValue, Kind, Lane
from middleware.errors import RejectedUpstreamError, TransientUpstreamError
from middleware.store import outbox
from middleware.store.sqlite.store import SqliteStore
from middleware.worker.outbox_pump import LaneResult, OutboxPump

PROP = "prop-1"
AVAIL = Lane(PROP, "availability")
RESTR = Lane(PROP, "restrictions")
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 09:00 in São Paulo
D = date.fromisoformat

MAPPING = Mapping(
    (
        PropertyMap(
            property_id=PROP,
            name="Duke Beach",
            currency="BRL",
            timezone="America/Sao_Paulo",
            room_types=(
                RoomTypeMap(
                    room_code="lvu",
                    room_type_id="rt-lvu",
                    rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-lvu"),),
                ),
            ),
        ),
    )
)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeChannex:
    """Records every push; answers with queued outcomes (a result or an exception), else OK.
    With `gate` set, a push waits for it (after setting `entered`)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Kind, list[dict[str, Any]]]] = []
        self.outcomes: list[PushResult | Exception] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def push(self, kind: Kind, values: list[dict[str, Any]]) -> PushResult:
        self.calls.append((kind, values))
        if self.gate is not None:
            self.entered.set()
            await self.gate.wait()
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        return PushResult(task_ids=(f"task-{len(self.calls)}",), warnings=(), status=200)


class Alerts:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def __call__(self, kind: str, text: str) -> None:
        self.sent.append((kind, text))


@dataclasses.dataclass
class Rig:
    store: SqliteStore
    channex: FakeChannex
    clock: FakeClock
    alerts: Alerts
    pump: OutboxPump


def settings(**overrides: Any) -> Settings:
    return Settings(channex_api_key=Secret("key"), **overrides)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


def make_rig(store: SqliteStore, clock: FakeClock | None = None, **overrides: Any) -> Rig:
    channex, alerts = FakeChannex(), Alerts()
    clock = clock or FakeClock()
    pump = OutboxPump(store, channex, MAPPING, settings(**overrides), clock=clock, alert=alerts)
    return Rig(store=store, channex=channex, clock=clock, alerts=alerts, pump=pump)


@pytest.fixture
def rig(store: SqliteStore) -> Rig:
    return make_rig(store)


def cells(entity: str, first: date, values: list[dict[str, FieldValue]]) -> Cells:
    """Consecutive days from `first`, one field dict each."""
    return {CellKey(entity, first + timedelta(days=n)): v for n, v in enumerate(values)}


def avail(day: str, count: int, *, last: str | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {"property_id": PROP, "room_type_id": "rt-lvu", "availability": count}
    if last is None:
        value["date"] = day
    else:
        value |= {"date_from": day, "date_to": last}
    return value


async def backlog(store: SqliteStore, lane: Lane, now: datetime = T0) -> tuple[int, int, int]:
    """(pending, in flight, dead) rows of the lane."""
    for item in await store.outbox.backlog(now):
        if item.lane == lane:
            return item.pending, item.in_flight, item.dead
    return 0, 0, 0


async def test_a_due_lane_is_pushed_once_with_range_compressed_values(rig: Rig) -> None:
    counts: list[dict[str, FieldValue]] = [{"availability": 3} for _ in range(5)]
    counts.append({"availability": 0})
    await rig.store.outbox.enqueue(AVAIL, cells("rt-lvu", D("2026-12-01"), counts), T0)
    rig.clock.advance(2)
    assert await rig.pump.run_once() == [
        LaneResult(lane=AVAIL, outcome="sent", calls=1, values=2, task_ids=("task-1",))
    ]
    assert rig.channex.calls == [
        (
            "availability",
            [avail("2026-12-01", 3, last="2026-12-05"), avail("2026-12-06", 0)],
        )
    ]
    assert await rig.pump.run_once() == []
    assert len(rig.channex.calls) == 1
    assert await backlog(rig.store, AVAIL) == (0, 0, 0)
    held = await rig.store.ari_state.acked(AVAIL, None, D("2026-12-01"), D("2026-12-31"))
    assert held == cells("rt-lvu", D("2026-12-01"), counts)


async def test_the_push_is_audited_in_pushes(rig: Rig) -> None:
    await rig.store.outbox.enqueue(
        AVAIL, cells("rt-lvu", D("2026-12-01"), [{"availability": 4}]), T0
    )
    rig.clock.advance(2)
    await rig.pump.run_once()
    [record] = await rig.store.outbox.recent_pushes()
    [(_, values)] = rig.channex.calls
    assert values == [avail("2026-12-01", 4)]
    expected = outbox.PushRecord(
        id=record.id,
        lane=AVAIL,
        idempotency_key=record.idempotency_key,
        status="sent",
        attempts=1,
        cells=1,
        full_sync=False,
        values_count=1,
        bytes_sent=len(orjson.dumps({"values": values})),
        calls=1,
        payload_sha256=hashlib.sha256(orjson.dumps(values)).hexdigest(),
        task_ids=("task-1",),
        warnings=(),
        error=None,
        duration_ms=record.duration_ms,
        claimed_at=rig.clock.now,
        finished_at=rig.clock.now,
    )
    assert record == expected
    assert record.idempotency_key.startswith(f"{PROP}:availability:")


async def test_debounce_waits_for_writes_to_settle(rig: Rig) -> None:
    day = D("2026-12-01")
    await rig.store.outbox.enqueue(AVAIL, cells("rt-lvu", day, [{"availability": 1}]), T0)
    rig.clock.advance(1.9)
    assert await rig.pump.run_once() == []
    rig.clock.advance(0.1)
    [result] = await rig.pump.run_once()
    assert result.outcome == "sent"
    assert rig.channex.calls == [("availability", [avail("2026-12-01", 1)])]


async def test_max_delay_sends_a_lane_that_keeps_changing(rig: Rig) -> None:
    """Writes every 1.5 s never let the lane settle; it goes out ARI_MAX_DELAY after the first."""
    first = D("2026-12-01")
    for n in range(4):
        rig.clock.now = T0 + timedelta(seconds=1.5 * n)
        change = cells("rt-lvu", first + timedelta(days=n), [{"availability": n + 1}])
        await rig.store.outbox.enqueue(AVAIL, change, rig.clock.now)
        assert await rig.pump.run_once() == []
    rig.clock.now = T0 + timedelta(seconds=5.9)
    assert await rig.pump.run_once() == []
    rig.clock.now = T0 + timedelta(seconds=6)
    [result] = await rig.pump.run_once()
    assert (result.outcome, result.calls, result.values) == ("sent", 1, 4)
    assert rig.channex.calls == [
        (
            "availability",
            [
                avail("2026-12-01", 1),
                avail("2026-12-02", 2),
                avail("2026-12-03", 3),
                avail("2026-12-04", 4),
            ],
        )
    ]


async def test_the_eleventh_push_within_a_minute_waits(rig: Rig) -> None:
    day = D("2026-12-01")
    for n in range(10):
        await rig.store.outbox.enqueue(
            AVAIL, cells("rt-lvu", day, [{"availability": n}]), rig.clock()
        )
        rig.clock.advance(2)
        [result] = await rig.pump.run_once()
        assert result.outcome == "sent"
    first_call_at = T0 + timedelta(seconds=2)
    await rig.store.outbox.enqueue(AVAIL, cells("rt-lvu", day, [{"availability": 10}]), rig.clock())
    rig.clock.advance(2)
    assert await rig.pump.run_once() == [LaneResult(lane=AVAIL, outcome="waiting")]
    assert len(rig.channex.calls) == 10
    assert await backlog(rig.store, AVAIL) == (1, 0, 0)
    rig.clock.now = first_call_at + timedelta(seconds=59.9)
    assert await rig.pump.run_once() == []  # not even started again before its slot opens
    assert len(rig.channex.calls) == 10
    rig.clock.now = first_call_at + timedelta(seconds=60)
    [result] = await rig.pump.run_once()
    assert result.outcome == "sent"
    assert rig.channex.calls[-1] == ("availability", [avail("2026-12-01", 10)])
    state = await rig.store.lanes.get(AVAIL, rig.clock())
    assert state is not None
    assert state.calls_in_window == 10


async def test_a_payload_over_the_byte_limit_is_split_in_order(store: SqliteStore) -> None:
    limit = 1024
    rig = make_rig(store, channex_max_payload_bytes=limit)
    rates: list[dict[str, FieldValue]] = [{"rate": Decimal(100 + n)} for n in range(30)]
    await rig.store.outbox.enqueue(RESTR, cells("rp-lvu", D("2026-12-01"), rates), T0)
    rig.clock.advance(2)
    [result] = await rig.pump.run_once()
    expected = [
        {
            "property_id": PROP,
            "rate_plan_id": "rp-lvu",
            "date": (D("2026-12-01") + timedelta(days=n)).isoformat(),
            "rate": (100 + n) * 100,
        }
        for n in range(30)
    ]
    calls = rig.channex.calls
    assert len(calls) > 1
    assert all(kind == "restrictions" for kind, _ in calls)
    assert all(len(orjson.dumps({"values": values})) <= limit for _, values in calls)
    assert [v for _, values in calls for v in values] == expected
    assert (result.outcome, result.calls, result.values) == ("sent", len(calls), 30)
    state = await rig.store.lanes.get(RESTR, rig.clock())
    assert state is not None
    assert state.calls_in_window == len(calls)  # one rate-limit slot per call
    [record] = await rig.store.outbox.recent_pushes()
    assert (record.calls, record.values_count) == (len(calls), 30)


async def test_a_429_pauses_the_lane_on_the_ladder_and_keeps_the_rows(rig: Rig) -> None:
    change = cells("rt-lvu", D("2026-12-01"), [{"availability": 2}, {"availability": 5}])
    await rig.store.outbox.enqueue(AVAIL, change, T0)
    too_many = TransientUpstreamError("channex", "Too Many Requests", status=429)
    rig.channex.outcomes = [too_many, too_many]
    rig.clock.advance(2)
    assert await rig.pump.run_once() == [LaneResult(lane=AVAIL, outcome="rate_limited", calls=1)]
    first_failure = rig.clock()
    state = await rig.store.lanes.get(AVAIL, first_failure)
    assert state is not None
    assert (state.pause_count, state.paused_until) == (1, first_failure + timedelta(seconds=60))
    assert await backlog(rig.store, AVAIL) == (2, 0, 0)

    rig.clock.now = first_failure + timedelta(seconds=59.9)
    assert await rig.pump.run_once() == []
    rig.clock.now = first_failure + timedelta(seconds=60)
    [result] = await rig.pump.run_once()
    assert result.outcome == "rate_limited"
    second_failure = rig.clock()
    state = await rig.store.lanes.get(AVAIL, second_failure)
    assert state is not None
    assert (state.pause_count, state.paused_until) == (2, second_failure + timedelta(seconds=120))

    rig.clock.now = second_failure + timedelta(seconds=120)
    [result] = await rig.pump.run_once()
    assert result.outcome == "sent"
    assert [values for _, values in rig.channex.calls] == [
        [avail("2026-12-01", 2), avail("2026-12-02", 5)]
    ] * 3
    state = await rig.store.lanes.get(AVAIL, rig.clock())
    assert state is not None
    assert (state.pause_count, state.paused_until, state.failures) == (0, None, 0)


async def test_a_429_with_retry_after_pauses_at_least_that_long(rig: Rig) -> None:
    await rig.store.outbox.enqueue(
        AVAIL, cells("rt-lvu", D("2026-12-01"), [{"availability": 2}]), T0
    )
    rig.channex.outcomes = [
        TransientUpstreamError("channex", "Too Many Requests", status=429, retry_after_s=300)
    ]
    rig.clock.advance(2)
    await rig.pump.run_once()
    state = await rig.store.lanes.get(AVAIL, rig.clock())
    assert state is not None
    assert state.paused_until == rig.clock() + timedelta(seconds=300)


async def test_a_5xx_backs_off_and_retries_the_same_rows(rig: Rig) -> None:
    await rig.store.outbox.enqueue(
        AVAIL, cells("rt-lvu", D("2026-12-01"), [{"availability": 2}]), T0
    )
    unavailable = TransientUpstreamError("channex", "Service Unavailable", status=503)
    rig.channex.outcomes = [unavailable, unavailable]
    rig.clock.advance(2)
    assert await rig.pump.run_once() == [LaneResult(lane=AVAIL, outcome="failed", calls=1)]
    state = await rig.store.lanes.get(AVAIL, rig.clock())
    assert state is not None
    assert (state.failures, state.next_attempt_at, state.paused_until) == (
        1,
        rig.clock() + timedelta(seconds=5),
        None,
    )
    assert await backlog(rig.store, AVAIL) == (1, 0, 0)
    rig.clock.advance(4.9)
    assert await rig.pump.run_once() == []
    rig.clock.advance(0.1)
    [result] = await rig.pump.run_once()
    assert result.outcome == "failed"
    state = await rig.store.lanes.get(AVAIL, rig.clock())
    assert state is not None
    assert (state.failures, state.next_attempt_at) == (2, rig.clock() + timedelta(seconds=10))
    rig.clock.advance(10)
    [result] = await rig.pump.run_once()
    assert result.outcome == "sent"
    assert [values for _, values in rig.channex.calls] == [[avail("2026-12-01", 2)]] * 3


async def test_a_4xx_dead_letters_the_rows_with_a_notice(rig: Rig) -> None:
    change = cells("rt-lvu", D("2026-12-01"), [{"availability": 2}, {"availability": 3}])
    await rig.store.outbox.enqueue(AVAIL, change, T0)
    rig.channex.outcomes = [RejectedUpstreamError("channex", "Bad Request", status=400)]
    rig.clock.advance(2)
    assert await rig.pump.run_once() == [LaneResult(lane=AVAIL, outcome="rejected", calls=1)]
    assert await backlog(rig.store, AVAIL) == (0, 0, 2)
    detail = "2 availability change(s) dead-lettered: channex: Bad Request (HTTP 400)"
    [notice] = await rig.store.notices.open_notices()
    assert (notice.kind, notice.property_id, notice.detail) == ("dead_letter", PROP, detail)
    assert rig.alerts.sent == [("dead_letter", detail)]
    [record] = await rig.store.outbox.recent_pushes()
    assert (record.status, record.error) == ("rejected", "channex: Bad Request (HTTP 400)")
    rig.clock.advance(600)
    assert await rig.pump.run_once() == []  # dead letters wait for a person


async def test_a_value_that_cannot_be_encoded_is_dead_lettered_without_a_call(rig: Rig) -> None:
    rates: list[dict[str, FieldValue]] = [{"rate": Decimal("0")}]
    await rig.store.outbox.enqueue(RESTR, cells("rp-lvu", D("2026-12-01"), rates), T0)
    rig.clock.advance(2)
    assert await rig.pump.run_once() == [LaneResult(lane=RESTR, outcome="rejected", calls=0)]
    assert rig.channex.calls == []
    assert await backlog(rig.store, RESTR) == (0, 0, 1)
    [notice] = await rig.store.notices.open_notices()
    assert notice.kind == "dead_letter"
    assert "rate must be > 0" in notice.detail


async def test_warnings_dead_letter_only_the_dropped_fields(rig: Rig) -> None:
    rates: list[dict[str, FieldValue]] = [
        {"rate": Decimal(100)},
        {"rate": Decimal(200)},
        {"rate": Decimal(300)},
    ]
    await rig.store.outbox.enqueue(RESTR, cells("rp-lvu", D("2026-12-01"), rates), T0)
    warning = {
        "property_id": PROP,
        "rate_plan_id": "rp-lvu",
        "date": "2026-12-02",
        "rate": 20000,
        "warning": {"rate": ["must be less than max_price"]},
    }
    rig.channex.outcomes = [PushResult(task_ids=("task-w",), warnings=(warning,), status=200)]
    rig.clock.advance(2)
    assert await rig.pump.run_once() == [
        LaneResult(lane=RESTR, outcome="partial", calls=1, values=3, task_ids=("task-w",))
    ]
    held = await rig.store.ari_state.acked(RESTR, None, D("2026-12-01"), D("2026-12-31"))
    assert held == {
        CellKey("rp-lvu", D("2026-12-01")): {"rate": Decimal(100)},
        CellKey("rp-lvu", D("2026-12-03")): {"rate": Decimal(300)},
    }
    assert await backlog(rig.store, RESTR) == (0, 0, 1)
    [notice] = await rig.store.notices.open_notices()
    assert notice.kind == "channex_warning"
    assert "must be less than max_price" in notice.detail
    assert [kind for kind, _ in rig.alerts.sent] == ["channex_warning"]
    [record] = await rig.store.outbox.recent_pushes()
    assert (record.status, record.warnings) == ("partial", (warning,))


async def test_a_cancelled_send_gives_its_rows_back(rig: Rig) -> None:
    change = cells("rt-lvu", D("2026-12-01"), [{"availability": 2}, {"availability": 3}])
    await rig.store.outbox.enqueue(AVAIL, change, T0)
    rig.channex.gate = asyncio.Event()
    rig.clock.advance(2)
    task = asyncio.create_task(rig.pump.run_once())
    await asyncio.wait_for(rig.channex.entered.wait(), timeout=5)
    assert await backlog(rig.store, AVAIL) == (0, 2, 0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await backlog(rig.store, AVAIL) == (2, 0, 0)
    [record] = await rig.store.outbox.recent_pushes()
    assert record.status == "released"
    claim = await rig.store.outbox.claim(AVAIL, rig.clock(), lease_s=60)
    assert claim is not None
    assert claim.cells == change


async def test_past_days_are_dropped_before_the_claim(store: SqliteStore) -> None:
    """02:00 UTC on 21 Nov is still 20 Nov at the hotel: only 19 Nov is past."""
    clock = FakeClock(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    rig = make_rig(store, clock)
    counts: list[dict[str, FieldValue]] = [{"availability": 1}, {"availability": 2}]
    counts.append({"availability": 3})
    await rig.store.outbox.enqueue(AVAIL, cells("rt-lvu", D("2026-11-19"), counts), clock())
    clock.advance(2)
    [result] = await rig.pump.run_once()
    assert result.outcome == "sent"
    assert rig.channex.calls == [("availability", [avail("2026-11-20", 2), avail("2026-11-21", 3)])]
    assert await backlog(rig.store, AVAIL, clock()) == (0, 0, 0)


async def test_lanes_of_both_kinds_are_pushed_separately(rig: Rig) -> None:
    await rig.store.outbox.enqueue(
        AVAIL, cells("rt-lvu", D("2026-12-01"), [{"availability": 2}]), T0
    )
    rates: list[dict[str, FieldValue]] = [{"rate": Decimal("450.5"), "stop_sell": False}]
    await rig.store.outbox.enqueue(RESTR, cells("rp-lvu", D("2026-12-01"), rates), T0)
    rig.clock.advance(2)
    results = await rig.pump.run_once()
    assert sorted(r.lane.kind for r in results) == ["availability", "restrictions"]
    assert sorted(rig.channex.calls, key=lambda c: c[0]) == [
        ("availability", [avail("2026-12-01", 2)]),
        (
            "restrictions",
            [
                {
                    "property_id": PROP,
                    "rate_plan_id": "rp-lvu",
                    "date": "2026-12-01",
                    "rate": 45050,
                    "stop_sell": False,
                }
            ],
        ),
    ]
    [restrictions] = [values for kind, values in rig.channex.calls if kind == "restrictions"]
    assert orjson.dumps(restrictions) == (  # what the client writes: false, not 0
        b'[{"property_id":"prop-1","rate_plan_id":"rp-lvu","date":"2026-12-01",'
        b'"rate":45050,"stop_sell":false}]'
    )


class PerPropertyChannex:
    """Channex whose answers to one property's calls wait for `gate` (a hotel answered
    slowly); every call is recorded with its property."""

    def __init__(self, slow_property: str) -> None:
        self.slow_property = slow_property
        self.gate = asyncio.Event()
        self.slow_entered = asyncio.Event()
        self.calls: list[tuple[str, Kind]] = []

    async def push(self, kind: Kind, values: list[dict[str, Any]]) -> PushResult:
        property_id = values[0]["property_id"]
        self.calls.append((property_id, kind))
        if property_id == self.slow_property:
            self.slow_entered.set()
            await self.gate.wait()
        return PushResult(task_ids=("t",), warnings=(), status=200)


def two_hotels() -> Mapping:
    [prop] = MAPPING.properties
    other = dataclasses.replace(
        prop,
        property_id="prop-2",
        room_types=(
            RoomTypeMap(
                room_code="ov",
                room_type_id="rt-ov",
                rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-ov"),),
            ),
        ),
    )
    return Mapping((prop, other))


async def test_a_lane_waiting_on_slow_answers_holds_no_other_lane(store: SqliteStore) -> None:
    """Hotel 1's push hangs on Channex; hotel 2's lanes are pushed meanwhile, more than once,
    and a second pass does not start hotel 1's lane again while its push is in flight."""
    clock = FakeClock()
    channex = PerPropertyChannex(slow_property=PROP)
    pump = OutboxPump(store, channex, two_hotels(), settings(ari_debounce_s=0.0), clock=clock)
    day = D("2026-11-25")
    slow_lane, fast_lane = AVAIL, Lane("prop-2", "availability")
    await store.outbox.enqueue(slow_lane, cells("rt-lvu", day, [{"availability": 1}]), T0)
    await store.outbox.enqueue(fast_lane, cells("rt-ov", day, [{"availability": 1}]), T0)
    first = await pump.dispatch()
    await asyncio.wait_for(channex.slow_entered.wait(), timeout=10)
    [fast] = [task for task in first if task is not None and "prop-2" in task.get_name()]
    assert (await asyncio.wait_for(fast, timeout=10)).outcome == "sent"
    clock.advance(1)
    await store.outbox.enqueue(slow_lane, cells("rt-lvu", day, [{"availability": 2}]), clock())
    await store.outbox.enqueue(fast_lane, cells("rt-ov", day, [{"availability": 2}]), clock())
    second = await pump.run_once()  # the slow lane is busy: only hotel 2 is started and waited
    assert [(r.lane, r.outcome) for r in second] == [(fast_lane, "sent")]
    assert channex.calls == [
        (PROP, "availability"),
        ("prop-2", "availability"),
        ("prop-2", "availability"),
    ]
    assert pump.pool.busy(slow_lane)
    channex.gate.set()
    await pump.pool.drain(10)
    assert await backlog(store, slow_lane) == (1, 0, 0)  # the value written in flight goes again
    third = await pump.run_once()
    assert [(r.lane, r.outcome) for r in third] == [(slow_lane, "sent")]


async def test_lanes_push_concurrently_up_to_the_pool_size(store: SqliteStore) -> None:
    """Three lanes, a pool of two: two pushes are in flight at once, never three."""
    gate = asyncio.Event()
    in_flight: list[int] = [0, 0]  # now, peak

    class Slow:
        async def push(self, kind: Kind, values: list[dict[str, Any]]) -> PushResult:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
            await gate.wait()
            in_flight[0] -= 1
            return PushResult(task_ids=("t",), warnings=(), status=200)

    pump = OutboxPump(
        store,
        Slow(),
        MAPPING,
        settings(ari_debounce_s=0.0, worker_concurrency=2),
        clock=FakeClock(),
    )
    day = D("2026-11-25")
    await store.outbox.enqueue(AVAIL, cells("rt-lvu", day, [{"availability": 1}]), T0)
    await store.outbox.enqueue(RESTR, cells("rp-lvu", day, [{"stop_sell": True}]), T0)
    third = Lane("prop-3", "availability")  # unmapped: rejected without a call
    await store.outbox.enqueue(third, cells("rt-x", day, [{"availability": 1}]), T0)
    tasks = await pump.dispatch()
    assert len([t for t in tasks if t is not None]) == 3
    for _ in range(50):
        await asyncio.sleep(0.01)
    assert in_flight == [2, 2]
    gate.set()
    results = await pump.run_once()
    assert results == []  # nothing due that is not already running or done
    await pump.pool.drain(10)
    assert pump.pool.peak_running == 2
