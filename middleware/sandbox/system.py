"""The whole system on loopback, for flow tests, chaos runs, benchmarks and the sandbox.

Three blocks that compose:

    async with open_emulators(workdir, hotels=Hotels(count=3), channex=ChannexKnobs(...)) as emu:
        async with serve_middleware(emu, workdir, env=...) as system:  # in this event loop
            ...
        async with run_middleware(emu, workdir, split=True) as procs:  # web + worker children
            ...                                                        # (system_processes)

`open_emulators` (`system_emulators`) serves the Channex emulator and the hotels' sistema-os
emulators, creates the hotels in the emulated Channex with the real setup engine and writes
the mapping file.
`serve_middleware` serves the real middleware app (web + worker in one process) pointed at
them; `open_system` is both in one block. Once the middleware answers, each property's booking
webhook is registered in the emulated Channex and every sistema-os sends its change notices to
the middleware; the block's end undoes that and stops everything.

The store: the SQLite file `workdir/middleware.db`, or the PostgreSQL database that
`DATABASE_URL` in `env` names. Every party runs on the harness's one clock, the store too: on
PostgreSQL that is the caller's clock (`caller_clock`, `store.postgres.database`), so a fake
clock drives leases, windows and stamps there as it does on SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic

import aiohttp

from middleware import clock as clocks
from middleware.config import Settings, load_settings
from middleware.console.state import ConsoleState
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.system_emulators import (
    CHANNEX,
    DUKE_BEACH,
    SANDBOX,
    ChannexKnobs,
    ClockT,
    Credentials,
    Emulators,
    Hotels,
    open_emulators,
)
from middleware.serving import serve_app
from middleware.store.port import Store
from middleware.web.app import create_app
from middleware.web.context import WebContext

SETTLE_TIMEOUT_S = 60.0
SETTLE_POLL_S = 0.02


async def work_left(store: Store, now: datetime) -> int:
    """What the middleware still has to do: PMS sync requests, outbox rows due or in flight,
    booking revisions not yet acked or parked (0: idle)."""
    # Read upstream first: work moves from revisions (an applied booking asks for a re-sync)
    # to sync requests (a sync enqueues its changes before it finishes its requests) to the
    # outbox. Read the other way, a sync could finish between the two reads and be missed in
    # both: the outbox read before it wrote, its requests read after they were done.
    counts = await store.revisions.counts()
    requests = await store.sync_requests.pending_count()
    lanes = await store.outbox.backlog(now)
    return (
        counts.get("pending", 0)
        + counts.get("applied", 0)
        + requests
        + sum(b.pending + b.in_flight for b in lanes)
    )


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
        store = self.context.runtime.store
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for pms in self.emulators.pms_hotels:
                await pms.drain_notifications()
            await self.channex.deliver_pending()
            if not await work_left(store, self.clock()):
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
        app = create_app(self.settings, clock=self.clock, mapping=self.mapping, caller_clock=True)
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
            await system.context.runtime.store.live.put_live(ids, system.clock(), by="test harness")
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
    hotels: Hotels = DUKE_BEACH,
    channex: ChannexKnobs = CHANNEX,
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
