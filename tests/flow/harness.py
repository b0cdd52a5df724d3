"""The whole system on loopback for flow tests: `middleware.sandbox.system` with the flow
tests' credentials and quick settings.

`start_system(...)` serves both emulators, creates the hotel in the emulated Channex with the
real setup engine, serves the middleware (web + worker in one process), registers its webhook
and points the emulated sistema-os at it. The property is put live at once (`live=False`
leaves that to the test), without the full sync that going live asks for in production: each
test decides what Channex holds first.

Time: every party shares one `ShiftedClock` that runs at real speed from a fixed start
(31 Oct 2026, 12:00 UTC by default), so the certification table's literal dates (Nov 2026 –
May 2027) are in the future and assertions can use them as written.

The store: `backend` (tests/kit/backends.py; the flow tests take the `backend` fixture and run
on each) — the SQLite file in `tmp_path` when None, or a PostgreSQL database, which the
harness's middleware runs on the same fake clock (`middleware.sandbox.system`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Literal, TypeAlias

from middleware.sandbox import system as systems
from middleware.sandbox import system_emulators as emulated
from tests.kit.backends import Backend
from tests.kit.clocks import MovableClock, ShiftedClock

CREDENTIALS = emulated.Credentials(
    api_key="flow-test-api-key-0123456789",
    webhook_secret="flow-test-webhook-secret-abcdef",
    admin_token="flow-test-admin-token-987654",
)
API_KEY = CREDENTIALS.api_key
WEBHOOK_SECRET = CREDENTIALS.webhook_secret
ADMIN_TOKEN = CREDENTIALS.admin_token
SECRET_HEADER = CREDENTIALS.secret_header
# Quick ticks, safety-net polls off (webhooks and PMS notices arrive on loopback at once).
FLOW_ENV = {
    "WORKER_INTERVAL": "0.1",
    "PMS_POLL_INTERVAL": "0",
    "FEED_POLL_INTERVAL": "0",
    "CHANNEX_SYNC_DAYS": "500",
}

System: TypeAlias = systems.System[MovableClock]


@contextlib.asynccontextmanager
async def start_system(
    tmp_path: Path,
    backend: Backend | None = None,
    *,
    hotel: str = "duke_beach",
    extra_env: Mapping[str, str] | None = None,
    clock: MovableClock | None = None,
    pms_shape: Literal["per_date", "flat"] = "per_date",
    live: bool = True,
) -> AsyncIterator[System]:
    async with systems.open_system(
        tmp_path,
        clock=clock or ShiftedClock(),
        hotels=emulated.Hotels(plan=hotel, pms_shape=pms_shape),
        credentials=CREDENTIALS,
        env={**FLOW_ENV, **(backend.env() if backend else {}), **(extra_env or {})},
        live=live,
    ) as system:
        yield system


def nights(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
