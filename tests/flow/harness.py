"""The whole system on loopback for flow tests: both emulators and the real middleware.

`System.start(...)` serves the Channex emulator and the sistema-os emulator, runs the real
setup script against the Channex emulator (writing the mapping file), then serves the
middleware app (web + worker in one process) pointed at both, registers its webhook in the
emulated Channex and tells the emulated sistema-os where to send its change notices. The
property is put live at once (`live=False` leaves that to the test), without the full sync
that going live asks for in production: each test decides what Channex holds first.

Time: every party shares one `ShiftedClock` that runs at real speed from a fixed start
(31 Oct 2026, 12:00 UTC by default), so the certification table's literal dates (Nov 2026 –
May 2027) are in the future and assertions can use them as written.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import certification_plan, duke_beach_plan
from middleware.channex.setup import run_setup
from middleware.clock import hotel_today
from middleware.config import Settings, load_settings
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app
from middleware.web.app import create_app
from middleware.web.context import WebContext

API_KEY = "flow-test-api-key-0123456789"
WEBHOOK_SECRET = "flow-test-webhook-secret-abcdef"
ADMIN_TOKEN = "flow-test-admin-token-987654"
SECRET_HEADER = "X-Channex-Webhook-Secret"
START = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
SETTLE_TIMEOUT_S = 30.0


class ShiftedClock:
    """Real-speed UTC time that started at `start` when the clock was made."""

    def __init__(self, start: datetime = START) -> None:
        self._offset = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward (pauses and backoffs expire without waiting for them)."""
        self._offset += timedelta(seconds=seconds)


@dataclass(slots=True, kw_only=True)
class System:
    channex: ChannexEmulator
    pms: PmsEmulator
    url: str
    channex_url: str
    pms_url: str
    settings: Settings
    mapping: ChannexMapping
    clock: ShiftedClock
    session: aiohttp.ClientSession
    context: WebContext
    port: int
    stack: contextlib.AsyncExitStack

    @property
    def property_id(self) -> str:
        return self.mapping.properties[0].property_id

    @property
    def timezone(self) -> str:
        return self.mapping.properties[0].timezone

    def today(self) -> date:
        return hotel_today(self.timezone, self.clock())

    def room_type_id(self, room_code: str) -> str:
        ref = self.mapping.by_room_code(self.property_id, room_code)
        assert ref is not None
        return ref.room.room_type_id

    def rate_plan_id(self, room_code: str, plan_code: str) -> str:
        ref = self.mapping.by_room_code(self.property_id, room_code)
        assert ref is not None
        return next(p.rate_plan_id for p in ref.room.rate_plans if p.plan_code == plan_code)

    def posts(self, endpoint: str) -> list[dict[str, Any]]:
        """Bodies of the accepted (200) POSTs to `/availability` or `/restrictions`."""
        return [
            r.body
            for r in self.channex.calls("POST", f"/api/v1/{endpoint}")
            if r.status == 200 and isinstance(r.body, dict)
        ]

    async def settle(self, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
        """Wait until the PMS notices, sync requests, outbox and revisions are all done."""
        store = self.context.runtime.store
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            await self.pms.drain_notifications()
            await self.channex.deliver_pending()
            backlog = await store.outbox.backlog(self.clock())
            busy = (
                await store.sync_requests.pending_count()
                or sum(b.pending + b.in_flight for b in backlog)
                or (await store.revisions.counts()).get("pending", 0)
                or (await store.revisions.counts()).get("applied", 0)
            )
            if not busy:
                return
            self.context.wake_worker()
            await asyncio.sleep(0.05)
        raise AssertionError(f"system did not settle within {timeout_s} s")

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with self.session.request(
            method, self.url + path, json=body, headers=headers
        ) as response:
            return response.status, await response.json()

    async def restart(self, settings: Settings | None = None) -> None:
        """Stop the middleware (web and worker, gracefully) and start it again on the same
        port and database; optionally with other settings."""
        await self.stack.aclose()
        self.stack = contextlib.AsyncExitStack()
        self.settings = settings or self.settings
        self.url, self.context = await _serve_middleware(
            self.stack, self.settings, self.clock, self.mapping, self.port
        )

    async def full_sync(self) -> None:
        status, _ = await self.admin("POST", "/sync/full")
        assert status == 202
        await self.settle()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _serve_middleware(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    clock: ShiftedClock,
    mapping: ChannexMapping,
    port: int,
) -> tuple[str, WebContext]:
    app = create_app(settings, clock=clock, mapping=mapping)
    url = await stack.enter_async_context(serve_app(app, port=port))
    context: WebContext = app.state.ctx
    return url, context


@contextlib.asynccontextmanager
async def start_system(
    tmp_path: Path,
    *,
    hotel: str = "duke_beach",
    extra_env: Mapping[str, str] | None = None,
    clock: ShiftedClock | None = None,
    pms_shape: str = "per_date",
    live: bool = True,
) -> AsyncIterator[System]:
    clock = clock or ShiftedClock()
    plan = certification_plan() if hotel == "certification" else duke_beach_plan()
    channex = ChannexEmulator(
        api_key=API_KEY,
        now=clock,
        today=lambda: hotel_today(plan.timezone, clock()),
    )
    pms = PmsEmulator(
        hotel=hotel,
        today=lambda: hotel_today(plan.timezone, clock()),
        shape="flat" if pms_shape == "flat" else "per_date",
    )
    async with (
        aiohttp.ClientSession() as session,
        serve_app(channex.app) as channex_url,
        serve_app(pms.app) as pms_url,
        contextlib.AsyncExitStack() as stack,
    ):
        mapping_path = tmp_path / "mapping.json"
        setup_client = ChannexClient(session, channex_url + "/api/v1", API_KEY)
        report = await run_setup(
            setup_client,
            plan,
            mapping_path=mapping_path,
            webhook_url=None,
            webhook_secret=None,
            secret_header=SECRET_HEADER,
            dry_run=False,
        )
        assert report.mapping is not None
        env = {
            "CHANNEX_BASE_URL": channex_url + "/api/v1",
            "CHANNEX_API_KEY": API_KEY,
            "CHANNEX_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "PMS_BASE_URL": pms_url,
            "MAPPING_FILE": str(mapping_path),
            "DATABASE_PATH": str(tmp_path / "middleware.db"),
            "WORKER_INTERVAL": "0.1",
            "WORKER_IN_PROCESS": "true",
            "PMS_POLL_INTERVAL": "0",
            "FEED_POLL_INTERVAL": "0",
            "CHANNEX_SYNC_DAYS": "500",
            **(extra_env or {}),
        }
        settings = load_settings(env, env_file=None)
        port = free_port()
        url, context = await _serve_middleware(stack, settings, clock, report.mapping, port)
        if live:
            ids = [prop.property_id for prop in report.mapping]
            await context.runtime.store.live.put_live(ids, clock(), by="test harness")
        await run_setup(
            setup_client,
            plan,
            mapping_path=mapping_path,
            webhook_url=url + "/webhook/channex",
            webhook_secret=WEBHOOK_SECRET,
            secret_header=SECRET_HEADER,
            dry_run=False,
        )
        pms.middleware_url = url
        system = System(
            channex=channex,
            pms=pms,
            url=url,
            channex_url=channex_url,
            pms_url=pms_url,
            settings=settings,
            mapping=report.mapping,
            clock=clock,
            session=session,
            context=context,
            port=port,
            stack=stack,
        )
        try:
            yield system
        finally:
            pms.middleware_url = None
            await system.stack.aclose()  # the current one: a restart replaces the first


def nights(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
