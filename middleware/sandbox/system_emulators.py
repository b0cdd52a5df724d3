"""The emulators side of the system harness (`system`): the Channex emulator with its knobs,
the hotels' sistema-os emulators (one named plan, or N hotels each with its own), the hotels
created in the emulated Channex by the real setup engine and the mapping file written.

    async with open_emulators(workdir, hotels=Hotels(count=3), clock=utc_now) as emulators:
        emulators.middleware_env(workdir)   # the settings that point a middleware here
        await emulators.connect(url)        # webhooks and PMS notices to the middleware at url
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Generic, Literal, TypeVar

import aiohttp

from middleware import clock as clocks
from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import HOTELS
from middleware.channex.setup import run_setup
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.mapping_file import write_mapping
from middleware.sandbox import many_hotels
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app

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


DUKE_BEACH = Hotels()
CHANNEX = ChannexKnobs()  # Channex's own limits, answering at once


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
    hotels: Hotels = DUKE_BEACH,
    channex: ChannexKnobs = CHANNEX,
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
