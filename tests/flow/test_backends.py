"""The flow harness runs each flow test on the backend it is given: the system's store is that
backend's (the SQLite file in the test's directory, or the PostgreSQL database named, on the
harness's own clock), and a change in sistema-os goes through it to Channex."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from middleware.store.postgres.store import PostgresStore
from middleware.store.sqlite.store import SqliteStore
from tests.flow.harness import start_system
from tests.kit.backends import SQLITE_FILE, Backend

ENV = {"CHANNEX_SYNC_DAYS": "30", "ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}


async def test_the_system_keeps_its_store_on_the_backend_given(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=ENV) as system:
        store = system.context.runtime.store
        if backend.database_url is None:
            assert isinstance(store, SqliteStore)
        else:
            assert isinstance(store, PostgresStore) and store.db.caller_clock is True
        assert (tmp_path / SQLITE_FILE).exists() == (backend.database_url is None)

        day = system.today() + timedelta(days=3)
        system.pms.set_rate("lvu", "padrao", day, day, Decimal("321.00"))
        await system.settle()
        plan = system.rate_plan_id("lvu", "padrao")
        held = system.channex.restrictions(system.property_id)[plan][day]
        assert held["rate"] == Decimal("321.00")
        # The push went through the store: its record is there.
        pushes = await store.outbox.recent_pushes(property_id=system.property_id)
        assert ("restrictions", "sent") in {(p.lane.kind, p.status) for p in pushes}
