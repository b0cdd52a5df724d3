"""`CHANNEX_ENABLED=false`: no API key needed, every route that would call Channex answers 503
"Channex integration is disabled", nothing reaches Channex, but booking webhooks and PMS
change notices are still stored — and once the integration is switched back on (a restart
with `CHANNEX_ENABLED=true`) the stored booking reaches the PMS and the pending ARI goes out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from starlette.datastructures import Secret

from middleware.ops import checks
from tests.flow import ota
from tests.flow.harness import API_KEY, System, start_system
from tests.web.operator_kit import CHECKS, get

D = date.fromisoformat
DISABLED_ENV = {
    "CHANNEX_ENABLED": "false",
    "CHANNEX_API_KEY": "",  # not required while disabled
    "ARI_DEBOUNCE": "0.1",
    "ARI_MAX_DELAY": "0.5",
    "CHANNEX_SYNC_DAYS": "60",
}
DISABLED = {"error": "Channex integration is disabled"}
CHANNEX_ROUTES = [
    ("POST", "/sync/full"),
    ("POST", "/sync/incremental"),
    ("POST", "/admin/webhooks/process"),
    ("POST", "/admin/feed/poll"),
    ("GET", "/admin/channex/validate-ids"),
    ("POST", "/admin/channex/test/availability"),
    ("POST", "/admin/channex/test/rate"),
]
WAIT_S = 10.0


async def _worker_ticks(system: System, since: datetime, beats: int = 3) -> None:
    """Wait until the worker's heartbeat has moved `beats` ticks past `since`: its other
    loops tick as often, so by then they would have acted on anything they were given."""
    deadline = time.monotonic() + WAIT_S
    wanted = since.timestamp() + beats * system.settings.worker_interval_s
    while time.monotonic() < deadline:
        worker = system.context.worker
        assert worker is not None
        beat = await system.context.runtime.store.audit.last_heartbeat(worker.heartbeat_name)
        if beat is not None and beat[0].timestamp() >= wanted:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the worker's heartbeat did not move")


async def test_disabled_integration_answers_disabled_stores_everything_then_catches_up(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path, extra_env=DISABLED_ENV) as system:
        assert system.settings.channex_api_key is None
        system.channex.reset_requests()

        for method, path in CHANNEX_ROUTES:
            assert await system.admin(method, path, {}) == (503, DISABLED), path

        status, health = await get(system, "/health")
        assert status == 200
        assert [(c["name"], c["ok"]) for c in health["checks"]] == [(n, True) for n in CHECKS]
        details = {c["name"]: c["detail"] for c in health["checks"]}
        assert details["settings"] == (
            "valid; Channex integration DISABLED (CHANNEX_ENABLED=false); 1 property(ies)"
        )
        assert details["channex"] == checks.DISABLED
        assert details["mapping"] == checks.DISABLED

        # An OTA booking arrives (Channex still sends webhooks) and a price changes in the PMS.
        booking_id, revision_id = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", D("2026-12-10"), D("2026-12-12"))],
            customer=ota.customer("Ana", "Lima", mail="ana@example.com", phone="+55 48 99999 0000"),
        )
        await system.channex.deliver_pending()
        system.pms.set_rate("ov", "padrao", D("2026-11-25"), D("2026-11-25"), Decimal("321"))
        await system.pms.drain_notifications()
        await _worker_ticks(system, system.clock())

        webhook_answers = [d.status for d in system.channex.deliveries]
        assert webhook_answers == [200, 200]  # `booking` and `booking_new`: both stored
        status, listed = await system.admin("GET", "/admin/webhooks")
        assert status == 200
        assert sorted((e["event"], e["revision_id"]) for e in listed["events"]) == [
            ("booking", revision_id),
            ("booking_new", revision_id),
        ]
        store = system.context.runtime.store
        assert (await store.revisions.counts())["pending"] == 1
        assert await store.sync_requests.pending_count() == 1
        assert system.channex.requests == []  # nothing reached Channex
        assert system.pms.bookings() == []

        enabled = dataclasses.replace(
            system.settings, channex_enabled=True, channex_api_key=Secret(API_KEY)
        )
        await system.restart(enabled)
        await system.settle()

        made = ota.pms_rooms(system, booking_id)
        assert [(b.categoria, b.checkin, b.checkout) for b in made] == [
            ("lvu", D("2026-12-10"), D("2026-12-12"))
        ]
        assert ota.acks(system) == Counter({revision_id: 1})
        # what Channex holds once the catch-up pushed (the change may ride in a wider push)
        held = system.channex.restrictions(system.property_id)
        assert held[system.rate_plan_id("ov", "padrao")][D("2026-11-25")]["rate"] == Decimal("321")
        assert await system.context.runtime.store.sync_requests.pending_count() == 0
