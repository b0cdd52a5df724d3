"""Several web processes take webhooks into one store: revision dedup holds across them.

Two web apps serve on one store (on each backend: one SQLite file, one PostgreSQL database):
the harness's (web + worker) and a second, web only, as a second web process of a deployment
would be. Channex sends the same revision's webhook to both at the same moment, twice to each
(a retry on top of a load balancer's fan-out): the four requests are answered 200 and stored,
the revision is queued once — exactly one revision row — and it is fetched, booked in the PMS
and acked once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

from middleware.sandbox.channex_delivery import envelope
from middleware.serving import serve_app
from middleware.web.app import create_app
from tests.flow import ota
from tests.flow.harness import SECRET_HEADER, WEBHOOK_SECRET, System, start_system
from tests.kit.backends import Backend
from tests.store_sql import rows

D = date.fromisoformat
CHECKIN, CHECKOUT = D("2026-12-10"), D("2026-12-13")
FAST_ARI = {"ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}
SENDS_PER_WEB = 2


@contextlib.asynccontextmanager
async def second_web(system: System) -> AsyncIterator[str]:
    """Another web app (no worker) on the system's store, settings and clock; its URL."""
    app = create_app(
        system.settings,
        clock=system.clock,
        mapping=system.mapping,
        run_worker=False,
        caller_clock=True,
    )
    async with serve_app(app) as url:
        yield url


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    headers = {SECRET_HEADER: WEBHOOK_SECRET}
    async with session.post(url + "/webhook/channex", json=body, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_one_revision_sent_to_two_webs_at_once_is_stored_once_booked_once_acked_once(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await system.full_sync()
        booking_id, revision_id = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", CHECKIN, CHECKOUT)],
            customer=ota.customer("Maria", "Silva", mail="maria@example.com", phone="+55 11 9"),
            deliver=False,
        )
        payload = {
            "booking_id": booking_id,
            "property_id": system.property_id,
            "booking_revision_id": revision_id,
        }
        body = envelope("booking_new", system.property_id, payload, system.clock())
        async with second_web(system) as other:
            webs = [system.url, other] * SENDS_PER_WEB
            answers = await asyncio.gather(*(post(system.session, url, body) for url in webs))
            await system.settle()

        assert sorted(a["status"] for a in answers) == ["duplicate"] * 3 + ["queued"]
        store = system.context.runtime.store
        assert await rows(store, "SELECT revision_id, status FROM revisions") == [
            (revision_id, "acked")
        ]
        stored = await rows(store, "SELECT status FROM webhook_events ORDER BY status")
        assert stored == [("duplicate",)] * 3 + [("queued",)]
        (made,) = ota.pms_rooms(system, booking_id)
        assert (made.categoria, made.checkin, made.checkout, made.status) == (
            "lvu",
            CHECKIN,
            CHECKOUT,
            "CONFIRMADA",
        )
        assert made.channex_revision_id == revision_id
        assert ota.pms_creates(system) == 1
        assert len(system.channex.calls("GET", f"/booking_revisions/{revision_id}")) == 1
        assert ota.acks(system) == Counter({revision_id: 1})
