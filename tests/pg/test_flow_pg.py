"""The whole middleware (web + worker in one process) on PostgreSQL, as in production: the
store is opened from `DATABASE_URL` on the database clock, so every party runs on real time
(a `ShiftedClock` started now). A PMS rate change reaches the Channex emulator, and an OTA
booking reaches the sistema-os emulator once and is acked once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from middleware.store.postgres.store import PostgresStore
from tests.flow import ota
from tests.flow.harness import start_system
from tests.flow.oracle import assert_channex_matches_pms
from tests.kit.clocks import ShiftedClock

SYNC_DAYS = 60
FAST_ARI = {"CHANNEX_SYNC_DAYS": str(SYNC_DAYS), "ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}


async def test_ari_and_a_booking_go_through_the_postgres_store(tmp_path: Path, pg_url: str) -> None:
    env = {**FAST_ARI, "DATABASE_URL": pg_url}
    real_time = ShiftedClock(datetime.now(UTC))
    async with start_system(tmp_path, extra_env=env, clock=real_time) as system:
        store = system.context.runtime.store
        assert isinstance(store, PostgresStore) and store.db.caller_clock is False
        assert not (tmp_path / "middleware.db").exists()
        await system.full_sync()
        await assert_channex_matches_pms(system, days=SYNC_DAYS)

        # A PMS change reaches Channex.
        system.channex.reset_requests()
        day = system.today() + timedelta(days=10)
        system.pms.set_rate("lvu", "padrao", day, day, Decimal("777.00"))
        await system.settle()
        plan_id = system.rate_plan_id("lvu", "padrao")
        held = system.channex.restrictions(system.property_id)[plan_id][day]
        assert held["rate"] == Decimal("777.00")
        await assert_channex_matches_pms(system, days=SYNC_DAYS)

        # An OTA booking reaches the PMS once and is acked once.
        checkin, checkout = system.today() + timedelta(days=20), system.today() + timedelta(days=23)
        booking_id, revision_id = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", checkin, checkout)],
            customer=ota.customer("Maria", "Silva", mail="maria@example.com", phone="+55 11 9"),
        )
        await system.settle()
        (created,) = ota.pms_rooms(system, booking_id)
        assert (created.categoria, created.checkin, created.checkout, created.status) == (
            "lvu",
            checkin,
            checkout,
            "CONFIRMADA",
        )
        assert created.channex_revision_id == revision_id
        assert ota.pms_creates(system) == 1
        assert ota.acks(system) == Counter({revision_id: 1})
        counts = await store.revisions.counts()
        assert {status: n for status, n in counts.items() if n} == {"acked": 1}
        await assert_channex_matches_pms(system, days=SYNC_DAYS)
