"""The parity check against a real SQLite store, a fake Channex read-back and a fake PMS:
drift found is queued once; drift still there after its heal went out is alerted
(`parity_drift_persists`), and so is new drift found pass after pass with no clean pass
between (`parity_drift_recurring`), while drift merely waiting in the outbox is neither."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import Secret

from middleware import metrics
from middleware.config import Settings
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.models import Lane, PlanDay, PmsAri, RoomAri, RoomDay
from middleware.domain.pms_booking import PmsBookingRef, PmsBookingRequest
from middleware.domain.readback import Drift
from middleware.store.sqlite import ari_state as sqlite_ari_state
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.store import SqliteStore
from middleware.worker.parity import ParityCheck, PassResult

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # 09:00 in São Paulo
TODAY = date(2026, 11, 21)
DAYS = 5
DAY = [TODAY + timedelta(days=n) for n in range(DAYS)]
PID = "p1"
RESTRICTIONS = Lane(PID, "restrictions")
MAPPING = Mapping(
    (
        PropertyMap(
            property_id=PID,
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
SETTINGS = Settings(
    channex_api_key=Secret("key"),
    channex_sync_days=DAYS,
    parity_interval_s=60,
    parity_days=DAYS,
    parity_full_hour=None,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeChannex:
    """Holds what the PMS holds (3 free, 100.00, selling) until a test edits a cell."""

    def __init__(self) -> None:
        self.availability: dict[date, int] = dict.fromkeys(DAY, 3)
        self.cells: dict[date, dict[str, Any]] = {
            day: {"rate": "100.00", "stop_sell": False} for day in DAY
        }

    async def get_availability(
        self, property_id: str, date_from: date, date_to: date
    ) -> dict[str, dict[date, int]]:
        return {"rt-ov": {d: n for d, n in self.availability.items() if date_from <= d <= date_to}}

    async def get_restrictions(
        self, property_id: str, date_from: date, date_to: date, fields: Sequence[str]
    ) -> dict[str, dict[date, dict[str, Any]]]:
        return {"rp-ov": {d: dict(c) for d, c in self.cells.items() if date_from <= d <= date_to}}


class FakePms:
    async def read_ari(self, date_from: date, date_to: date) -> PmsAri:
        days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
        plan = PlanDay(plan_code="padrao", rate=Decimal("100.00"), stop_sell=False)
        room_days = tuple(RoomDay(day=day, available=3, plans=(plan,)) for day in days)
        return PmsAri(currency="BRL", rooms=(RoomAri(room_code="ov", total=5, days=room_days),))

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef:
        raise NotImplementedError

    async def modify_booking(
        self, pms_id: str, request: PmsBookingRequest, changed: tuple[str, ...]
    ) -> PmsBookingRef:
        raise NotImplementedError

    async def cancel_booking(
        self, pms_id: str, reason: str, *, fee: Decimal | None = None, currency: str | None = None
    ) -> PmsBookingRef:
        raise NotImplementedError

    async def ping(self) -> None:
        return None


class Rig:
    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.clock = FakeClock()
        self.channex = FakeChannex()
        self.alerts: list[tuple[str, str]] = []
        self.check = ParityCheck(
            store, self.channex, FakePms(), MAPPING, SETTINGS, clock=self.clock, alert=self._alert
        )

    async def _alert(self, kind: str, text: str) -> None:
        self.alerts.append((kind, text))

    async def restrictions_pass(self) -> PassResult:
        """One forced pass a minute after the last; its restrictions result."""
        result = await self.maybe_restrictions_pass()
        assert result is not None
        return result

    async def maybe_restrictions_pass(self) -> PassResult | None:
        """None: the restrictions lane was not read (it has a push waiting: pushes first)."""
        self.clock.advance(60)
        results = await self.check.run_once(force=True)
        assert results[0].lane.kind == "availability"
        assert results[0].drift == ()
        return results[1] if len(results) == 2 else None

    async def heal_goes_out(self) -> None:
        """What the pump does when Channex answers 200: the rows leave the outbox and their
        values become what the middleware believes Channex holds."""
        rows = await self.store.db.fetchall("SELECT entity_id, day, field, value FROM outbox")
        self.clock.advance(1)
        async with self.store.db.transaction() as conn:
            await conn.execute("DELETE FROM outbox")
            texts = {(r["entity_id"], r["day"], r["field"]): r["value"] for r in rows}
            await sqlite_ari_state.write_in(conn, RESTRICTIONS, texts, self.clock())

    async def outbox(self) -> list[tuple[str, str, str, str]]:
        rows = await self.store.db.fetchall("SELECT entity_id, day, field, value FROM outbox")
        return sorted(tuple(row) for row in rows)

    async def open_notices(self) -> list[tuple[str, str | None, str]]:
        return [(n.kind, n.ref, n.detail) for n in await self.store.notices.open_notices()]


def rate_drift(day: date, channex: str) -> Drift:
    return Drift(
        kind="restrictions",
        entity_id="rp-ov",
        day=day,
        field="rate",
        channex=Decimal(channex),
        pms=Decimal("100.00"),
    )


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    database = await SqliteStore.open(tmp_path / "m.db")
    await database.live.put_live([PID], T0, by="test")  # a property not live is not read back
    yield Rig(database)
    await database.close()


async def test_drift_still_there_after_its_heal_went_out_is_alerted(rig: Rig) -> None:
    """Channex keeps 90.00 however often it is told 100.00 (it drops the value silently)."""
    rig.channex.cells[DAY[1]]["rate"] = "90.00"
    first = await rig.restrictions_pass()
    assert (first.drift, first.queued) == ((rate_drift(DAY[1], "90.00"),), 1)
    assert await rig.outbox() == [("rp-ov", DAY[1].isoformat(), "rate", "100")]

    # the heal has not gone out: the lane is not even read (pushes first), nothing to say
    assert await rig.maybe_restrictions_pass() is None
    assert (rig.alerts, await rig.open_notices()) == ([], [])

    await rig.heal_goes_out()
    again = await rig.restrictions_pass()
    assert (again.drift, again.queued) == ((rate_drift(DAY[1], "90.00"),), 1)
    detail = (
        f"property {PID}: 1 restrictions field(s) still differ from the PMS after a heal went"
        f" out (first: rp-ov {DAY[1]} rate channex 90.00 pms 100.00)"
    )
    assert rig.alerts == [("parity_drift_persists", detail)]
    assert await rig.open_notices() == [("parity_drift_persists", f"{PID}:restrictions", detail)]
    assert await rig.store.parity_drift.open_drift(PID) == 1


async def test_a_heal_that_holds_is_counted_healed_with_its_age_and_not_alerted(rig: Rig) -> None:
    healed = metrics.REGISTRY.get_sample_value(
        "channex_drift_healed_total", {"property_id": PID, "field": "rate"}
    )
    rig.channex.cells[DAY[1]]["rate"] = "90.00"
    await rig.restrictions_pass()
    await rig.heal_goes_out()
    rig.channex.cells[DAY[1]]["rate"] = "100.00"  # Channex took it
    clean = await rig.restrictions_pass()
    assert (clean.drift, clean.queued, rig.alerts) == ((), 0, [])
    assert await rig.store.parity_drift.open_drift(PID) == 0
    after = metrics.REGISTRY.get_sample_value(
        "channex_drift_healed_total", {"property_id": PID, "field": "rate"}
    )
    assert (after or 0) - (healed or 0) == 1


async def test_new_drift_pass_after_pass_is_alerted_until_a_clean_pass(rig: Rig) -> None:
    """Someone edits a different day in the Channex UI before every read-back."""

    async def edited_again(day: date) -> PassResult:
        rig.channex.cells[day]["rate"] = "90.00"
        result = await rig.restrictions_pass()
        await rig.heal_goes_out()
        rig.channex.cells[day]["rate"] = "100.00"  # the heal held
        return result

    found = [await edited_again(day) for day in DAY[:3]]
    assert [(r.drift, r.queued) for r in found] == [
        ((rate_drift(day, "90.00"),), 1) for day in DAY[:3]
    ]
    detail = (
        f"property {PID}: new restrictions drift found in 3 read-backs since the last clean"
        " one — someone or something keeps changing Channex"
    )
    assert rig.alerts == [("parity_drift_recurring", detail)]
    assert await rig.open_notices() == [("parity_drift_recurring", f"{PID}:restrictions", detail)]

    assert (await rig.restrictions_pass()).drift == ()  # a clean pass starts the count again
    await edited_again(DAY[3])
    await edited_again(DAY[4])
    assert len(rig.alerts) == 1


async def test_drift_whose_heal_was_dead_lettered_is_not_new_drift(rig: Rig) -> None:
    """Its heal gave up (a dead letter, alerted by the pump): the same field seen pass after
    pass is left to that dead letter, neither queued again nor counted as someone editing."""
    rig.channex.cells[DAY[2]]["stop_sell"] = True
    first = await rig.restrictions_pass()
    await rig.store.db.execute("UPDATE outbox SET status = 'dead', last_error = 'refused'")
    results = [first] + [await rig.restrictions_pass() for _ in range(3)]
    assert [r.queued for r in results] == [1, 0, 0, 0]
    assert [len(r.drift) for r in results] == [1, 1, 1, 1]
    assert await rig.outbox() == [("rp-ov", DAY[2].isoformat(), "stop_sell", "false")]
    assert rig.alerts == []


async def test_fewer_units_at_channex_wait_while_a_booking_is_on_its_way_to_the_pms(
    rig: Rig,
) -> None:
    """Channex took a unit for a booking the worker has not put in the PMS yet: giving the
    unit back now would reopen a sold room. More units at Channex than at the PMS are
    healed at once; the rest once the booking has landed (if Channex still differs)."""
    rig.channex.availability[DAY[1]] = 2  # PMS: 3
    rig.channex.availability[DAY[2]] = 4
    async with rig.store.db.transaction() as conn:
        await sqlite_revisions.enqueue(
            conn, revision_id="rev-1", booking_id="b-1", property_id=PID, source="webhook", now=T0
        )
    rig.clock.advance(60)
    [avail, _] = await rig.check.run_once(force=True)
    assert [d.day for d in avail.drift] == [DAY[1], DAY[2]]
    assert avail.queued == 1
    assert await rig.outbox() == [("rt-ov", DAY[2].isoformat(), "availability", "3")]

    await rig.store.db.execute("UPDATE revisions SET status = 'acked'")
    await rig.store.db.execute("DELETE FROM outbox")
    rig.channex.availability[DAY[2]] = 3  # the first heal held
    rig.clock.advance(60)
    [avail, _] = await rig.check.run_once(force=True)
    assert (len(avail.drift), avail.queued) == (1, 1)
    assert await rig.outbox() == [("rt-ov", DAY[1].isoformat(), "availability", "3")]
