"""Parity on PostgreSQL: read-back requests (from `ari` events too), heal and settle give the
SQLite module's results on one scenario; `ari_state.value_in` on both."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from middleware.domain.models import CellKey, FieldValue, Kind, Lane
from middleware.domain.readback import Drift
from middleware.store.postgres import ari_state as pg_ari_state
from middleware.store.postgres.ari_state import PostgresAriState
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.postgres.parity_drift import PostgresParityDrift
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.sqlite import ari_state as sqlite_ari_state
from middleware.store.sqlite import outbox as sqlite_outbox
from middleware.store.sqlite import parity_drift as sqlite_parity_drift
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.db import Database
from tests.pg.sqlite_bound import Bound

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
RESTR = Lane("p1", "restrictions")
AVAIL = Lane("p1", "availability")
D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def drift(entity: str, day: date, field: str, pms: FieldValue, channex: Any = None) -> Drift:
    kind: Kind = "availability" if field == "availability" else "restrictions"
    return Drift(kind=kind, entity_id=entity, day=day, field=field, channex=channex, pms=pms)


ACKED = {("rp-1", "2026-12-01", "rate"): "100.00", ("rp-1", "2026-12-02", "stop_sell"): "0",
         ("rp-2", "2026-12-01", "rate"): "80.00"}  # fmt: skip


async def _scenario(parity: Any, in_tx: Any, box: Any, acked: Any, queue: Any) -> list[Any]:
    out: list[Any] = []
    await in_tx("write_in", RESTR, ACKED, at(0))
    await in_tx("request_in", RESTR, D2, D3, at(1))
    await in_tx("request_in", RESTR, D1, D2, at(2))  # merged: D1..D3
    echo = [{"date": "2026-12-01", "rate_plan_id": "rp-1", "rate": "100.00"}]
    changed = [{"date": "2026-12-03", "room_type_id": "rt-1", "availability": 2}]
    out.append(await in_tx("note_ari_event_in", "p1", echo, at(3)))
    out.append(await in_tx("note_ari_event_in", "p1", changed, at(4)))
    out.append(await in_tx("note_ari_event_in", None, changed, at(4)))
    out.append(await in_tx("note_ari_event_in", "p1", {"nothing": 1}, at(4)))
    requests = await parity.requests()
    out.append(requests)
    await parity.finish_request(requests[0])
    await in_tx("request_in", AVAIL, D1, D1, at(5))  # asked again meanwhile: stays
    await parity.finish_request(requests[1])
    out.append(await parity.requests())
    await box.enqueue(RESTR, {CellKey("rp-2", D1): {"rate": Decimal("81")}}, at(6))  # busy
    await in_tx("write_in", RESTR, {("rp-1", "2026-12-02", "stop_sell"): "1"}, at(8))  # pushed
    found = [drift("rp-1", D1, "rate", Decimal("110"), Decimal("100")),
             drift("rp-1", D2, "stop_sell", True), drift("rp-2", D1, "rate", Decimal("82")),
             drift("rp-1", D3, "min_stay_arrival", 2)]  # fmt: skip
    out.append(await parity.heal(RESTR, found, at(9), read_at=at(7)))
    out.append(await parity.heal(RESTR, [], at(9), read_at=at(7)))
    out.append(await box.effective_state(RESTR, ["rp-1", "rp-2"], D1, D3))
    out.append(await acked.acked(RESTR, None, D1, D3))
    out.append(await parity.open_drift("p1"))
    out.append(await parity.heal(RESTR, found[3:], at(10), read_at=at(10)))  # queued: busy now
    out.append(await parity.settle(RESTR, D1, D3, found[3:], at(70)))
    out.append(await parity.open_drift("p1"))
    out.append(await parity.open_drift("p9"))
    out.append(await parity.bookings_in_flight("p1"))
    await queue.enqueue_many([("r1", "b1", "p1"), ("r2", "b2", None), ("r3", "b3", "p2")], at(71),
                             source="feed")  # fmt: skip
    out.append(await parity.bookings_in_flight("p1"))
    return out  # fmt: skip


async def test_every_operation_gives_what_the_sqlite_module_gives(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    sqlite_db = await Database.open(tmp_path / "s.db")
    pg_parity = PostgresParityDrift(pg_db)
    modules = {"write_in": sqlite_ari_state}

    async def sqlite_tx(name: str, *args: Any) -> Any:
        async with sqlite_db.transaction() as conn:
            return await getattr(modules.get(name, sqlite_parity_drift), name)(conn, *args)

    async def pg_tx(name: str, *args: Any) -> Any:
        async with pg_db.transaction() as conn:
            if name == "write_in":
                return await pg_ari_state.write_in(conn, *args)
            return await getattr(pg_parity, name)(conn, *args)

    try:
        expected = await _scenario(
            Bound(sqlite_parity_drift, sqlite_db),
            sqlite_tx,
            Bound(sqlite_outbox, sqlite_db),
            Bound(sqlite_ari_state, sqlite_db),
            Bound(sqlite_revisions, sqlite_db),
        )
    finally:
        await sqlite_db.close()
    got = await _scenario(
        pg_parity,
        pg_tx,
        PostgresOutbox(pg_db, PostgresLanes(pg_db)),
        PostgresAriState(pg_db),
        PostgresRevisions(pg_db),
    )
    assert len(got) == len(expected)
    for step, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
        assert (step, mine) == (step, theirs)


async def test_value_in_reads_one_acked_field_in_the_callers_transaction(
    pg_db: PostgresDatabase, tmp_path: Path
) -> None:
    """`ari_state.value_in` on both backends, for a field held and one not."""
    keys = [("rp-1", "2026-12-01", "rate"), ("rp-1", "2026-12-09", "rate")]
    sqlite_db = await Database.open(tmp_path / "s.db")
    try:
        async with sqlite_db.transaction() as conn:
            await sqlite_ari_state.write_in(conn, RESTR, ACKED, T0)
            expected = [await sqlite_ari_state.value_in(conn, RESTR, key) for key in keys]
    finally:
        await sqlite_db.close()
    state = PostgresAriState(pg_db)
    async with pg_db.transaction() as conn:
        await pg_ari_state.write_in(conn, RESTR, ACKED, T0)
        got = [await state.value_in(conn, RESTR, key) for key in keys]
    assert got == expected == ["100.00", None]
