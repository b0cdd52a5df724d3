"""Parity in the store: drift queued to heal (busy fields left alone), then settled."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from middleware.domain.models import CellKey, Lane
from middleware.domain.readback import Drift
from middleware.store import parity_drift
from middleware.store.port import Store
from tests.store_sql import believe as write_beliefs

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


LANE = Lane("prop-1", "restrictions")


D1, D2, D3 = date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 7)


def drift(day: date, channex: Decimal, pms: Decimal) -> Drift:
    return Drift(
        kind="restrictions", entity_id="rp", day=day, field="rate", channex=channex, pms=pms
    )


async def believe(store: Store, day: date, rate: str, at: datetime) -> None:
    await write_beliefs(store, LANE, {("rp", day.isoformat(), "rate"): rate}, at)


async def test_heal_forgets_the_belief_and_queues_the_pms_value_unless_busy(
    store: Store,
) -> None:
    for day in (D1, D2, D3):
        await believe(store, day, "300", T0 - timedelta(minutes=1))
    await believe(store, D3, "310", T0 + timedelta(seconds=5))  # a push landed after the read
    await store.outbox.enqueue(LANE, {CellKey("rp", D2): {"rate": Decimal(320)}}, T0)  # waiting
    found = [drift(day, Decimal(99), Decimal(300)) for day in (D1, D2, D3)]
    queued = await store.parity_drift.heal(LANE, found, T0 + timedelta(seconds=9), read_at=T0)
    assert queued == [found[0]]
    assert await store.ari_state.acked(LANE, None, D1, D3) == {
        CellKey("rp", D2): {"rate": Decimal(300)},
        CellKey("rp", D3): {"rate": Decimal(310)},
    }
    pending = await store.outbox.effective_state(LANE, ["rp"], D1, D3)
    assert pending == {
        CellKey("rp", D1): {"rate": Decimal(300)},
        CellKey("rp", D2): {"rate": Decimal(320)},
        CellKey("rp", D3): {"rate": Decimal(310)},
    }


async def test_settle_reports_healed_with_its_age_and_drift_found_again(store: Store) -> None:
    found = [drift(D1, Decimal(99), Decimal(300)), drift(D2, Decimal(98), Decimal(300))]
    await store.parity_drift.heal(LANE, found, T0, read_at=T0)
    later = T0 + timedelta(seconds=90)
    settled = await store.parity_drift.settle(LANE, D1, D3, [found[1]], later)
    assert settled == parity_drift.Settled(healed=(("rate", 90.0),), persisting=(found[1],))
    assert await store.parity_drift.open_drift("prop-1") == 1


async def test_settle_looks_only_at_the_lane_and_days_it_compared(store: Store) -> None:
    other = Lane("prop-1", "availability")
    units = Drift(kind="availability", entity_id="rt", day=D1, field="availability",
                  channex=4, pms=3)  # fmt: skip
    await store.parity_drift.heal(LANE, [drift(D1, Decimal(99), Decimal(300))], T0, read_at=T0)
    await store.parity_drift.heal(LANE, [drift(D3, Decimal(99), Decimal(300))], T0, read_at=T0)
    await store.parity_drift.heal(other, [units], T0, read_at=T0)
    later = T0 + timedelta(seconds=30)
    settled = await store.parity_drift.settle(LANE, D1, D2, [], later)
    assert settled == parity_drift.Settled(healed=(("rate", 30.0),), persisting=())
    assert await store.parity_drift.open_drift("prop-1") == 2  # D3 and the availability cell
    assert await store.parity_drift.open_drift("prop-2") == 0
