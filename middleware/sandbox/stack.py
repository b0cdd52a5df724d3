"""The whole system in one event loop, on loopback: both emulators and the real middleware.

`open_stack(workdir, ...)` serves the Channex emulator and the sistema-os emulator, creates
the hotel in the emulated Channex with the setup engine (writing the mapping file into
`workdir`), serves the middleware app (web + worker in one process) pointed at both,
registers its booking webhook in the emulated Channex and tells the emulated sistema-os where
to send its change notices. The benchmarks use it; the sandbox demo can.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp

from middleware import clock as clocks
from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import HOTELS
from middleware.channex.setup import run_setup
from middleware.config import Settings, load_settings
from middleware.console.state import ConsoleState
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app
from middleware.web.app import create_app
from middleware.web.context import WebContext

# Sandbox credentials: they guard nothing but the emulators, and show where real ones go.
API_KEY = "sandbox-channex-api-key"
WEBHOOK_SECRET = "sandbox-webhook-secret"
ADMIN_TOKEN = "sandbox-admin-token"
SECRET_HEADER = "X-Channex-Webhook-Secret"
SETTLE_TIMEOUT_S = 60.0
SETTLE_POLL_S = 0.02


@dataclass(slots=True, kw_only=True)
class Stack:
    channex: ChannexEmulator
    pms: PmsEmulator
    url: str  # the middleware
    channex_url: str  # the emulated Channex API root (…/api/v1)
    pms_url: str
    settings: Settings
    mapping: ChannexMapping
    context: WebContext
    session: aiohttp.ClientSession
    clock: clocks.Clock
    env: dict[str, str]  # the settings the middleware was given (the CLI can use them too)
    console: ConsoleState

    def console_sign_in_url(self) -> str:
        """A one-time link that signs the visitor in to the console (the token is not in it)."""
        return self.console.sign_in_link(self.url)

    @property
    def property_id(self) -> str:
        return self.mapping.properties[0].property_id

    def today(self) -> date:
        return clocks.hotel_today(self.mapping.properties[0].timezone, self.clock())

    def room_type_id(self, room_code: str) -> str:
        ref = self.mapping.by_room_code(self.property_id, room_code)
        if ref is None:
            raise KeyError(room_code)
        return ref.room.room_type_id

    def rate_plan_id(self, room_code: str, plan_code: str) -> str:
        ref = self.mapping.by_room_code(self.property_id, room_code)
        if ref is None:
            raise KeyError(room_code)
        return next(p.rate_plan_id for p in ref.room.rate_plans if p.plan_code == plan_code)

    async def settle(self, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
        """Wait until PMS notices, sync requests, the outbox and booking revisions are done."""
        store = self.context.runtime.store
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            await self.pms.drain_notifications()
            await self.channex.deliver_pending()
            lanes = await store.outbox.backlog(self.clock())
            counts = await store.revisions.counts()
            busy = (
                await store.sync_requests.pending_count()
                or sum(b.pending + b.in_flight for b in lanes)
                or counts.get("pending", 0)
                or counts.get("applied", 0)
            )
            if not busy:
                return
            self.context.wake_worker()
            await asyncio.sleep(SETTLE_POLL_S)
        raise TimeoutError(f"the stack did not settle within {timeout_s} s")

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with self.session.request(
            method, self.url + path, json=body, headers=headers
        ) as response:
            return response.status, await response.json()


@dataclass(slots=True, kw_only=True)
class Emulators:
    """Both emulators serving, the hotel created in the emulated Channex, its mapping written."""

    channex: ChannexEmulator
    pms: PmsEmulator
    channex_url: str  # the emulated Channex API root (…/api/v1)
    pms_url: str
    mapping: ChannexMapping
    mapping_path: Path
    session: aiohttp.ClientSession
    register_webhook: Callable[[str], Awaitable[object]]

    def middleware_env(self, workdir: Path) -> dict[str, str]:
        """The settings that point a middleware at these emulators."""
        return {
            "CHANNEX_BASE_URL": self.channex_url,
            "CHANNEX_API_KEY": API_KEY,
            "CHANNEX_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CHANNEX_WEBHOOK_SECRET_HEADER": SECRET_HEADER,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "PMS_BASE_URL": self.pms_url,
            "MAPPING_FILE": str(self.mapping_path),
            "DATABASE_PATH": str(workdir / "middleware.db"),
        }


@contextlib.asynccontextmanager
async def open_emulators(
    workdir: Path,
    *,
    hotel: str = "duke_beach",
    clock: clocks.Clock = clocks.utc_now,
    channex_rate_limit: int = 10,
    channex_port: int = 0,
    pms_port: int = 0,
) -> AsyncIterator[Emulators]:
    """Serve both emulators until the block ends, with the hotel set up in the emulated
    Channex (mapping file `workdir/mapping.json`); no webhook registered yet."""
    plan = HOTELS[hotel]()
    channex = ChannexEmulator(
        api_key=API_KEY,
        rate_limit=channex_rate_limit,
        now=clock,
        today=lambda: clocks.hotel_today(plan.timezone, clock()),
    )
    pms = PmsEmulator(hotel=hotel, today=lambda: clocks.hotel_today(plan.timezone, clock()))
    async with (
        aiohttp.ClientSession() as session,
        serve_app(channex.app, port=channex_port) as channex_url,
        serve_app(pms.app, port=pms_port) as pms_url,
    ):
        mapping_path = workdir / "mapping.json"
        setup_client = ChannexClient(session, channex_url + "/api/v1", API_KEY)

        async def setup(webhook_url: str | None) -> ChannexMapping | None:
            report = await run_setup(
                setup_client,
                plan,
                mapping_path=mapping_path,
                webhook_url=webhook_url,
                webhook_secret=WEBHOOK_SECRET if webhook_url else None,
                secret_header=SECRET_HEADER,
                dry_run=False,
            )
            return report.mapping

        mapping = await setup(None)
        if mapping is None:
            raise RuntimeError("the setup engine wrote no mapping")
        yield Emulators(
            channex=channex,
            pms=pms,
            channex_url=channex_url + "/api/v1",
            pms_url=pms_url,
            mapping=mapping,
            mapping_path=mapping_path,
            session=session,
            register_webhook=setup,
        )


@contextlib.asynccontextmanager
async def open_stack(
    workdir: Path,
    *,
    hotel: str = "duke_beach",
    env: Mapping[str, str] | None = None,
    clock: clocks.Clock = clocks.utc_now,
    channex_rate_limit: int = 10,
    port: int = 0,
    channex_port: int = 0,
    pms_port: int = 0,
) -> AsyncIterator[Stack]:
    """Serve everything until the block ends. `env` adds to (or overrides) the middleware's
    settings; `channex_rate_limit` is the emulated Channex's calls per minute per endpoint.
    `port`, `channex_port`, `pms_port`: where the middleware and the emulators listen (0: any
    free port)."""
    async with open_emulators(
        workdir,
        hotel=hotel,
        clock=clock,
        channex_rate_limit=channex_rate_limit,
        channex_port=channex_port,
        pms_port=pms_port,
    ) as emulators:
        given = {**emulators.middleware_env(workdir), "WORKER_IN_PROCESS": "true", **(env or {})}
        settings = load_settings(given, env_file=None)
        mapping = emulators.mapping
        pms = emulators.pms
        app = create_app(settings, clock=clock, mapping=mapping)
        async with serve_app(app, port=port) as url:
            # now that the middleware has an address
            await emulators.register_webhook(url + "/webhook/channex")
            pms.middleware_url = url
            try:
                yield Stack(
                    channex=emulators.channex,
                    pms=pms,
                    url=url,
                    channex_url=emulators.channex_url,
                    pms_url=emulators.pms_url,
                    settings=settings,
                    mapping=mapping,
                    context=app.state.ctx,
                    session=emulators.session,
                    clock=clock,
                    env=given,
                    console=app.state.console,
                )
            finally:
                pms.middleware_url = None
