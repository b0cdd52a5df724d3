"""Parity in the store: drift queued to heal (busy fields left alone), then settled."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from middleware.domain.models import CellKey, Lane
from middleware.domain.parity import Drift
from middleware.store import ari_state, outbox
from middleware.store import parity as store
from middleware.store.db import Database

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LANE = Lane("prop-1", "restrictions")
D1, D2, D3 = date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 7)


def drift(day: date, channex: Decimal, pms: Decimal) -> Drift:
    return Drift(
        kind="restrictions", entity_id="rp", day=day, field="rate", channex=channex, pms=pms
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.db")
    yield database
    await database.close()


async def believe(db: Database, day: date, rate: str, at: datetime) -> None:
    async with db.transaction() as conn:
        await ari_state.write_in(conn, LANE, {("rp", day.isoformat(), "rate"): rate}, at)


async def test_heal_forgets_the_belief_and_queues_the_pms_value_unless_busy(db: Database) -> None:
    for day in (D1, D2, D3):
        await believe(db, day, "300", T0 - timedelta(minutes=1))
    await believe(db, D3, "310", T0 + timedelta(seconds=5))  # a push landed after the read
    await outbox.enqueue(db, LANE, {CellKey("rp", D2): {"rate": Decimal(320)}}, T0)  # waiting
    found = [drift(day, Decimal(99), Decimal(300)) for day in (D1, D2, D3)]
    queued = await store.heal(db, LANE, found, T0 + timedelta(seconds=9), read_at=T0)
    assert queued == [found[0]]
    assert await ari_state.acked(db, LANE, None, D1, D3) == {
        CellKey("rp", D2): {"rate": Decimal(300)},
        CellKey("rp", D3): {"rate": Decimal(310)},
    }
    pending = await outbox.effective_state(db, LANE, ["rp"], D1, D3)
    assert pending == {
        CellKey("rp", D1): {"rate": Decimal(300)},
        CellKey("rp", D2): {"rate": Decimal(320)},
        CellKey("rp", D3): {"rate": Decimal(310)},
    }


async def test_settle_reports_healed_with_its_age_and_drift_found_again(db: Database) -> None:
    found = [drift(D1, Decimal(99), Decimal(300)), drift(D2, Decimal(98), Decimal(300))]
    await store.heal(db, LANE, found, T0, read_at=T0)
    later = T0 + timedelta(seconds=90)
    settled = await store.settle(db, LANE, D1, D3, [found[1]], later)
    assert settled == store.Settled(healed=(("rate", 90.0),), persisting=(found[1],))
    assert await store.open_drift(db, "prop-1") == 1


async def test_requests_merge_per_lane_and_a_newer_one_survives_finishing(db: Database) -> None:
    async with db.transaction() as conn:
        await store.request_in(conn, LANE, D2, D2, T0)
        await store.request_in(conn, LANE, D1, D1, T0 + timedelta(seconds=1))
    [first] = await store.requests(db)
    assert (first.date_from, first.date_to) == (D1, D2)
    async with db.transaction() as conn:
        await store.request_in(conn, LANE, D3, D3, T0 + timedelta(seconds=2))
    await store.finish_request(db, first)
    [left] = await store.requests(db)
    assert (left.date_from, left.date_to) == (D1, D3)
