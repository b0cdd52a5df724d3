"""The whole system on loopback, for flow tests, chaos runs, benchmarks and the sandbox.

Three blocks that compose:

    async with open_emulators(workdir, hotels=Hotels(count=3), channex=ChannexKnobs(...)) as emu:
        async with serve_middleware(emu, workdir, env=...) as system:  # in this event loop
            ...
        async with run_middleware(emu, workdir, split=True) as procs:  # web + worker children
            ...                                                        # (system_processes)

`open_emulators` serves the Channex emulator and the hotels' sistema-os emulators, creates the
hotels in the emulated Channex with the real setup engine and writes the mapping file.
`serve_middleware` serves the real middleware app (web + worker in one process) pointed at
them; `open_system` is both in one block. Once the middleware answers, each property's booking
webhook is registered in the emulated Channex and every sistema-os sends its change notices to
the middleware; the block's end undoes that and stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import aiohttp

from middleware import clock as clocks
from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import HOTELS
from middleware.channex.setup import run_setup
from middleware.config import Settings, load_settings
from middleware.console.state import ConsoleState
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.mapping_file import write_mapping
from middleware.sandbox import many_hotels
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app
from middleware.store import live as live_store
from middleware.store import outbox, revisions, sync_requests
from middleware.web.app import create_app
from middleware.web.context import WebContext

SETTLE_TIMEOUT_S = 60.0
SETTLE_POLL_S = 0.02
NO_PMS_URL = "http://127.0.0.1:9"  # many hotels: each property's `pms` block names its own

ClockT = TypeVar("ClockT", bound=clocks.Clock)


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """What the emulated Channex and the middleware share; they guard only the emulators."""

    api_key: str
    webhook_secret: str
    admin_token: str
    secret_header: str = "X-Channex-Webhook-Secret"


SANDBOX = Credentials(
    api_key="sandbox-channex-api-key",
    webhook_secret="sandbox-webhook-secret",
    admin_token="sandbox-admin-token",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Hotels:
    """Which hotels. `count=None`: the plan `plan` (`hotel_plans.HOTELS`) on a sistema-os of its
    own, PMS_BASE_URL pointing at it. A number: hotels 0 … count-1 of `many_hotels` (two
    categorias each, or `codes`; Duke Beach's own codes when `shared_codes`), each with its own
    sistema-os under one server and its own `pms` block in the mapping."""

    plan: str = "duke_beach"
    count: int | None = None
    codes: tuple[str, ...] = many_hotels.DEFAULT_CODES
    shared_codes: bool = False
    pms_shape: Literal["per_date", "flat"] = "per_date"
    sync_days: int = 500  # many hotels: the horizon the setup engine provisions
    pms_port: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannexKnobs:
    """The emulated Channex: calls per window per property and endpoint, how long each ARI
    write takes to answer, the port (0: any free one)."""

    rate_limit: int = 10
    window_s: float = 60.0
    ari_delay_s: float = 0.0
    port: int = 0


@dataclass(slots=True, kw_only=True)
class Emulators(Generic[ClockT]):
    """Both emulators serving, the hotels created in the emulated Channex, the mapping written."""

    channex: ChannexEmulator
    pms_hotels: list[PmsEmulator]  # hotel i's sistema-os
    channex_url: str  # the emulated Channex API root (…/api/v1)
    pms_url: str  # one hotel: its sistema-os; many: the server's root (hotel i at /h<i>)
    mapping: ChannexMapping
    mapping_path: Path
    session: aiohttp.ClientSession
    client: ChannexClient
    credentials: Credentials
    clock: ClockT
    timezone: str
    register_webhook: Callable[[str], Awaitable[object]]  # the middleware's webhook URL

    @property
    def pms(self) -> PmsEmulator:
        """The first (with one hotel: the) sistema-os."""
        return self.pms_hotels[0]

    def today(self) -> date:
        return clocks.hotel_today(self.timezone, self.clock())

    def middleware_env(self, workdir: Path) -> dict[str, str]:
        """The settings that point a middleware at these emulators (database in `workdir`)."""
        own_pms = any(prop.pms is not None for prop in self.mapping)
        return {
            "CHANNEX_BASE_URL": self.channex_url,
            "CHANNEX_API_KEY": self.credentials.api_key,
            "CHANNEX_WEBHOOK_SECRET": self.credentials.webhook_secret,
            "CHANNEX_WEBHOOK_SECRET_HEADER": self.credentials.secret_header,
            "ADMIN_TOKEN": self.credentials.admin_token,
            "PMS_BASE_URL": NO_PMS_URL if own_pms else self.pms_url,
            "MAPPING_FILE": str(self.mapping_path),
            "DATABASE_PATH": str(workdir / "middleware.db"),
        }

    async def connect(self, url: str) -> None:
        """Point the booking webhooks and every sistema-os's change notices at `url`."""
        await self.register_webhook(url + "/webhook/channex")
        self.point_pms_at(url)

    def point_pms_at(self, url: str | None) -> None:
        for pms in self.pms_hotels:
            pms.middleware_url = url


@contextlib.asynccontextmanager
async def open_emulators(
    workdir: Path,
    *,
    hotels: Hotels = Hotels(),
    channex: ChannexKnobs = ChannexKnobs(),
    clock: ClockT,
    credentials: Credentials = SANDBOX,
) -> AsyncIterator[Emulators[ClockT]]:
    """Serve the emulators until the block ends, the hotels set up in the emulated Channex
    (mapping file `workdir/mapping.json`); no webhook registered yet."""
    timezone = many_hotels.TIMEZONE if hotels.count else HOTELS[hotels.plan]().timezone

    def today() -> date:
        return clocks.hotel_today(timezone, clock())

    emulator = ChannexEmulator(
        api_key=credentials.api_key,
        rate_limit=channex.rate_limit,
        window_s=channex.window_s,
        now=clock,
        today=today,
    )
    emulator.ari_delay_s = channex.ari_delay_s
    async with (
        aiohttp.ClientSession() as session,
        serve_app(emulator.app, port=channex.port) as channex_url,
    ):
        client = ChannexClient(session, channex_url + "/api/v1", credentials.api_key)
        opened = _one if hotels.count is None else _many
        async with opened(client, workdir, hotels, today, credentials) as (
            pms_hotels,
            pms_url,
            mapping,
            register,
        ):
            yield Emulators(
                channex=emulator,
                pms_hotels=pms_hotels,
                channex_url=channex_url + "/api/v1",
                pms_url=pms_url,
                mapping=mapping,
                mapping_path=workdir / "mapping.json",
                session=session,
                client=client,
                credentials=credentials,
                clock=clock,
                timezone=timezone,
                register_webhook=register,
            )


_Opened = tuple[list[PmsEmulator], str, ChannexMapping, Callable[[str], Awaitable[object]]]


@contextlib.asynccontextmanager
async def _one(
    client: ChannexClient,
    workdir: Path,
    hotels: Hotels,
    today: Callable[[], date],
    credentials: Credentials,
) -> AsyncIterator[_Opened]:
    """The named plan: its sistema-os served alone, its webhook kept by the setup engine."""
    plan = HOTELS[hotels.plan]()
    pms = PmsEmulator(hotel=hotels.plan, today=today, shape=hotels.pms_shape)
    async with serve_app(pms.app, port=hotels.pms_port) as pms_url:

        async def setup(webhook_url: str | None) -> ChannexMapping | None:
            report = await run_setup(
                client,
                plan,
                mapping_path=workdir / "mapping.json",
                webhook_url=webhook_url,
                webhook_secret=credentials.webhook_secret if webhook_url else None,
                secret_header=credentials.secret_header,
                dry_run=False,
            )
            return report.mapping

        mapping = await setup(None)
        if mapping is None:
            raise RuntimeError("the setup engine wrote no mapping")
        try:
            yield [pms], pms_url, mapping, setup
        finally:
            pms.middleware_url = None


@contextlib.asynccontextmanager
async def _many(
    client: ChannexClient,
    workdir: Path,
    hotels: Hotels,
    today: Callable[[], date],
    credentials: Credentials,
) -> AsyncIterator[_Opened]:
    """`many_hotels`' hotels, one sistema-os each under one server, one webhook each."""
    count = hotels.count or 0
    async with many_hotels.open_pms_hotels(
        count, workdir, today=today, codes=hotels.codes, shared=hotels.shared_codes
    ) as served:
        urls = [served.base_url(i) for i in range(count)]
        mapping = await many_hotels.provision(
            client,
            workdir,
            urls,
            codes=hotels.codes,
            sync_days=hotels.sync_days,
            shared=hotels.shared_codes,
        )
        write_mapping(workdir / "mapping.json", mapping)
        headers = {credentials.secret_header: credentials.webhook_secret}

        async def register(url: str) -> None:
            await many_hotels.register_webhooks(client, mapping, url, headers)

        yield served.emulators, served.root, mapping, register


@dataclass(slots=True, kw_only=True)
class System(Generic[ClockT]):
    """The emulators and the real middleware (web + worker) serving in this event loop."""

    emulators: Emulators[ClockT]
    settings: Settings
    env: dict[str, str]  # the settings the middleware was given (the CLI can use them too)
    url: str = ""
    port: int = 0
    context: WebContext = field(init=False)
    console: ConsoleState = field(init=False)
    _served: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    @property
    def channex(self) -> ChannexEmulator:
        return self.emulators.channex

    @property
    def pms(self) -> PmsEmulator:
        return self.emulators.pms

    @property
    def channex_url(self) -> str:
        return self.emulators.channex_url

    @property
    def pms_url(self) -> str:
        return self.emulators.pms_url

    @property
    def mapping(self) -> ChannexMapping:
        return self.emulators.mapping

    @mapping.setter
    def mapping(self, mapping: ChannexMapping) -> None:
        """What the middleware is given from its next `restart` on."""
        self.emulators.mapping = mapping

    @property
    def session(self) -> aiohttp.ClientSession:
        return self.emulators.session

    @property
    def clock(self) -> ClockT:
        return self.emulators.clock

    @property
    def property_id(self) -> str:
        return self.mapping.properties[0].property_id

    @property
    def timezone(self) -> str:
        return self.mapping.properties[0].timezone

    def today(self) -> date:
        return clocks.hotel_today(self.timezone, self.clock())

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

    def console_sign_in_url(self) -> str:
        """A one-time link that signs the visitor in to the console (the token is not in it)."""
        return self.console.sign_in_link(self.url)

    def posts(self, endpoint: str) -> list[dict[str, Any]]:
        """Bodies of the accepted (200) POSTs to `/availability` or `/restrictions`."""
        return [
            r.body
            for r in self.channex.calls("POST", f"/api/v1/{endpoint}")
            if r.status == 200 and isinstance(r.body, dict)
        ]

    async def settle(self, timeout_s: float = SETTLE_TIMEOUT_S) -> None:
        """Wait until PMS notices, sync requests, the outbox and booking revisions are done."""
        db = self.context.runtime.db
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for pms in self.emulators.pms_hotels:
                await pms.drain_notifications()
            await self.channex.deliver_pending()
            lanes = await outbox.backlog(db, self.clock())
            counts = await revisions.counts(db)
            busy = (
                await sync_requests.pending_count(db)
                or sum(b.pending + b.in_flight for b in lanes)
                or counts.get("pending", 0)
                or counts.get("applied", 0)
            )
            if not busy:
                return
            self.context.wake_worker()
            await asyncio.sleep(SETTLE_POLL_S)
        raise TimeoutError(f"the system did not settle within {timeout_s} s")

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.emulators.credentials.admin_token}"}
        async with self.session.request(
            method, self.url + path, json=body, headers=headers
        ) as response:
            return response.status, await response.json()

    async def full_sync(self) -> None:
        status, _ = await self.admin("POST", "/sync/full")
        if status != 202:
            raise AssertionError(f"POST /sync/full answered {status}")
        await self.settle()

    async def start(self) -> None:
        """Serve the middleware (on `port`; 0 the first time: any free one, kept after)."""
        app = create_app(self.settings, clock=self.clock, mapping=self.mapping)
        self.url = await self._served.enter_async_context(serve_app(app, port=self.port))
        self.port = int(self.url.rsplit(":", 1)[1])
        self.context = app.state.ctx
        self.console = app.state.console

    async def stop(self) -> None:
        """Stop the middleware, web and worker, gracefully."""
        await self._served.aclose()

    async def restart(self, settings: Settings | None = None) -> None:
        """Stop the middleware and start it again on the same port and database; optionally
        with other settings."""
        await self.stop()
        self.settings = settings or self.settings
        await self.start()


@contextlib.asynccontextmanager
async def serve_middleware(
    emulators: Emulators[ClockT],
    workdir: Path,
    *,
    env: Mapping[str, str] | None = None,
    port: int = 0,
    live: bool = False,
) -> AsyncIterator[System[ClockT]]:
    """The middleware, worker inside, until the block ends. `env` adds to (or overrides) the
    settings; `live` puts every property live at once, without the full sync that going live
    asks for in production (the caller decides what Channex holds first)."""
    given = {**emulators.middleware_env(workdir), "WORKER_IN_PROCESS": "true", **(env or {})}
    system = System(
        emulators=emulators, settings=load_settings(given, env_file=None), env=given, port=port
    )
    await system.start()
    try:
        if live:
            ids = [prop.property_id for prop in emulators.mapping]
            await live_store.put_live(
                system.context.runtime.db, ids, system.clock(), by="test harness"
            )
        await emulators.connect(system.url)
        yield system
    finally:
        emulators.point_pms_at(None)
        await system.stop()  # the current one: a restart replaces the first


@contextlib.asynccontextmanager
async def open_system(
    workdir: Path,
    *,
    clock: ClockT,
    hotels: Hotels = Hotels(),
    channex: ChannexKnobs = ChannexKnobs(),
    credentials: Credentials = SANDBOX,
    env: Mapping[str, str] | None = None,
    port: int = 0,
    live: bool = False,
) -> AsyncIterator[System[ClockT]]:
    """`open_emulators` and `serve_middleware` in one block."""
    async with (
        open_emulators(
            workdir, hotels=hotels, channex=channex, clock=clock, credentials=credentials
        ) as emulators,
        serve_middleware(emulators, workdir, env=env, port=port, live=live) as system,
    ):
        yield system
