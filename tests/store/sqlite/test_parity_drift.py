"""SQLite only: its tables, its transactions, its files.

Parity in the store: drift queued to heal (busy fields left alone), then settled.
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from middleware.domain.models import CellKey, Lane
from middleware.domain.readback import Drift
from middleware.store import parity_drift
from middleware.store.sqlite import ari_state as sqlite_ari_state
from middleware.store.sqlite import parity_drift as sqlite_parity_drift
from middleware.store.sqlite.store import SqliteStore
from middleware.store.stamps import to_db_time

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


LANE = Lane("prop-1", "restrictions")


D1, D2, D3 = date(2026, 11, 5), date(2026, 11, 6), date(2026, 11, 7)


def drift(day: date, channex: Decimal, pms: Decimal) -> Drift:
    return Drift(
        kind="restrictions", entity_id="rp", day=day, field="rate", channex=channex, pms=pms
    )


async def believe(store: SqliteStore, day: date, rate: str, at: datetime) -> None:
    async with store.db.transaction() as conn:
        await sqlite_ari_state.write_in(conn, LANE, {("rp", day.isoformat(), "rate"): rate}, at)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def test_requests_merge_per_lane_and_a_newer_one_survives_finishing(
    store: SqliteStore,
) -> None:
    async with store.db.transaction() as conn:
        await sqlite_parity_drift.request_in(conn, LANE, D2, D2, T0)
        await sqlite_parity_drift.request_in(conn, LANE, D1, D1, T0 + timedelta(seconds=1))
    [first] = await store.parity_drift.requests()
    assert (first.date_from, first.date_to) == (D1, D2)
    async with store.db.transaction() as conn:
        await sqlite_parity_drift.request_in(conn, LANE, D3, D3, T0 + timedelta(seconds=2))
    await store.parity_drift.finish_request(first)
    [left] = await store.parity_drift.requests()
    assert (left.date_from, left.date_to) == (D1, D3)


async def test_an_ari_event_asks_for_a_read_back_of_its_days_unless_it_is_an_echo(
    store: SqliteStore,
) -> None:
    """Values the middleware believes Channex holds — acked, or waiting in the outbox — are
    its own push coming back; anything else (or a cell named with no value) is read back."""
    await believe(store, D1, "300", T0)
    await store.outbox.enqueue(LANE, {CellKey("rp", D2): {"rate": Decimal(320)}}, T0)
    echo = [
        {"date": D1.isoformat(), "rate_plan_id": "rp", "rate": "300.00"},
        {"date": D2.isoformat(), "rate_plan_id": "rp", "rate": "320.00"},
    ]
    edit = [
        {"date": D2.isoformat(), "rate_plan_id": "rp", "rate": "320.00"},
        {"date": D3.isoformat(), "rate_plan_id": "rp", "rate": "99.00"},
        {"date": D1.isoformat(), "room_type_id": "rt", "availability": 2},
    ]
    async with store.db.transaction() as conn:
        outcomes = [
            await sqlite_parity_drift.note_ari_event_in(conn, "prop-1", echo, T0),
            await sqlite_parity_drift.note_ari_event_in(conn, None, edit, T0),
            await sqlite_parity_drift.note_ari_event_in(conn, "prop-1", [{"date": "soon"}], T0),
            await sqlite_parity_drift.note_ari_event_in(
                conn, "prop-1", edit, T0 + timedelta(seconds=1)
            ),
        ]
    assert outcomes == [
        ("ignored", "echo of the middleware's own push"),
        ("ignored", "no cells named"),
        ("ignored", "no cells named"),
        ("queued", f"read-back scheduled: availability {D1}..{D1}, restrictions {D2}..{D3}"),
    ]
    at = T0 + timedelta(seconds=1)
    assert await store.parity_drift.requests() == [
        parity_drift.ParityRequest(
            property_id="prop-1", kind="availability", date_from=D1, date_to=D1, requested_at=at
        ),
        parity_drift.ParityRequest(
            property_id="prop-1", kind="restrictions", date_from=D2, date_to=D3, requested_at=at
        ),
    ]


async def test_drift_healed_twice_stays_one_open_row_aged_from_its_first_finding(
    store: SqliteStore,
) -> None:
    found = drift(D1, Decimal(99), Decimal(300))
    await store.parity_drift.heal(LANE, [found], T0, read_at=T0)
    await store.db.execute("DELETE FROM outbox")  # the first heal went out
    await store.parity_drift.heal(LANE, [found], T0 + timedelta(seconds=60), read_at=T0)
    rows = await store.db.fetchall("SELECT day, field, found_at, heals FROM parity_drift")
    assert [tuple(row) for row in rows] == [(D1.isoformat(), "rate", to_db_time(T0), 2)]
    settled = await store.parity_drift.settle(LANE, D1, D1, [], T0 + timedelta(seconds=120))
    assert settled.healed == (("rate", 120.0),)
