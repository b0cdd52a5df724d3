"""Three hotels in one middleware, each with its own sistema-os: hotel 0 healthy, hotel 1's PMS
answering slowly and Channex answering its calls in 5 s, hotel 2's PMS down. PMS changes keep
coming for all three and each gets an OTA booking.

Behaviour, not timings: hotel 0's lanes each use their whole rate budget (10 calls in a
window) while hotel 1's slow calls are in flight, and no lane of any hotel goes over it; hotel
0's booking is acked while the storm lasts; every PMS gets only its own hotel's calls; a
/health probe costs the same few Channex calls as with one hotel. The rate-limit window is
scaled to 6 s (emulator and middleware alike) so that "a full window" fits in a short test.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
from starlette.applications import Starlette

from middleware.channex.client import ChannexClient
from middleware.clock import hotel_today
from middleware.config import load_settings
from middleware.domain.mapping import Mapping
from middleware.sandbox import many_hotels
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms_faults import PmsFaultPlan
from middleware.serving import serve_app
from middleware.web.app import create_app
from middleware.web.context import WebContext
from tests.flow.harness import (
    ADMIN_TOKEN,
    API_KEY,
    SECRET_HEADER,
    WEBHOOK_SECRET,
    ShiftedClock,
)

WINDOW_S = 6.0
LIMIT = 10
STORM_S = 2.5 * WINDOW_S
CHANGE_EVERY_S = 0.1
SLOW_CHANNEX_S = 5.0
SLOW_PMS_S = 1.0
HEALTHY, SLOW, DOWN = 0, 1, 2
ARI_PATHS = ("/availability", "/restrictions")


@dataclass(slots=True, kw_only=True)
class Hotels:
    channex: ChannexEmulator
    pms: many_hotels.PmsHotels
    mapping: Mapping
    context: WebContext
    url: str
    session: aiohttp.ClientSession
    clock: ShiftedClock

    def property_id(self, index: int) -> str:
        return self.mapping.properties[index].property_id

    def today(self) -> date:
        return hotel_today(many_hotels.TIMEZONE, self.clock())


def middleware_env(channex_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """One middleware, worker inside, for hotels that each have their own sistema-os."""
    return {
        "CHANNEX_BASE_URL": channex_url + "/api/v1",
        "CHANNEX_API_KEY": API_KEY,
        "CHANNEX_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "CHANNEX_SYNC_DAYS": "30",
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "PMS_BASE_URL": "http://127.0.0.1:9",  # every hotel has its own PMS
        "MAPPING_FILE": str(tmp_path / "mapping.json"),
        "DATABASE_PATH": str(tmp_path / "middleware.db"),
        "WORKER_INTERVAL": "0.1",
        "WORKER_IN_PROCESS": "true",
        "ARI_DEBOUNCE": "0.05",
        "ARI_MAX_DELAY": "0.3",
        "PMS_POLL_INTERVAL": "0",
        "FEED_POLL_INTERVAL": "0",
        "PARITY_INTERVAL": "0",
        # the windows here are seconds long: a notice read at once keeps the lanes busy
        "PMS_READ_COALESCE": "0",
        **extra,
    }


async def live_with_webhooks(
    app: Starlette, client: ChannexClient, mapping: Mapping, url: str, now: datetime
) -> None:
    """Every hotel live (Channex starts in step with its PMS) and its webhook registered."""
    ids = [prop.property_id for prop in mapping]
    await app.state.ctx.runtime.store.live.put_live(ids, now, by="test")
    await many_hotels.register_webhooks(
        client, mapping, url + "/webhook/channex", {SECRET_HEADER: WEBHOOK_SECRET}
    )


@contextlib.asynccontextmanager
async def three_hotels(tmp_path: Path) -> AsyncIterator[Hotels]:
    clock = ShiftedClock()

    def today() -> date:
        return hotel_today(many_hotels.TIMEZONE, clock())

    channex = ChannexEmulator(
        api_key=API_KEY, rate_limit=LIMIT, window_s=WINDOW_S, now=clock, today=today
    )
    async with (
        aiohttp.ClientSession() as session,
        serve_app(channex.app) as channex_url,
        many_hotels.open_pms_hotels(3, tmp_path, today=today) as pms,
    ):
        client = ChannexClient(session, channex_url + "/api/v1", API_KEY)
        urls = [pms.base_url(i) for i in range(3)]
        mapping = await many_hotels.provision(client, tmp_path, urls, sync_days=30)
        env = middleware_env(
            channex_url,
            tmp_path,
            CHANNEX_RATE_WINDOW=str(WINDOW_S),
            PMS_TIMEOUT="10",
        )
        settings = load_settings(env, env_file=None)
        app = create_app(settings, clock=clock, mapping=mapping)
        async with serve_app(app) as url:
            await live_with_webhooks(app, client, mapping, url, clock())
            for emulator in pms.emulators:
                emulator.middleware_url = url
            yield Hotels(
                channex=channex,
                pms=pms,
                mapping=mapping,
                context=app.state.ctx,
                url=url,
                session=session,
                clock=clock,
            )


async def storm(hotels: Hotels, seconds: float) -> None:
    """PMS changes on all three hotels: a new rate, or a walk-in booking, every tick."""
    rng = random.Random(7)
    deadline = time.monotonic() + seconds
    tick = 0
    while time.monotonic() < deadline:
        for index, emulator in enumerate(hotels.pms.emulators):
            code = many_hotels.code_of(index, rng.choice(many_hotels.DEFAULT_CODES))
            day = hotels.today() + timedelta(days=rng.randrange(1, 29))
            if tick % 2:
                emulator.book_direct(code, day, day + timedelta(days=1))
            else:
                rate = Decimal(rng.randrange(300, 900))
                emulator.set_rate(code, "padrao", day, day, rate)
        tick += 1
        await asyncio.sleep(CHANGE_EVERY_S)


def book(hotels: Hotels, index: int) -> str:
    """An OTA booking at hotel `index`; returns its Channex booking id."""
    prop = hotels.mapping.properties[index]
    room = prop.room_types[0]
    checkin = hotels.today() + timedelta(days=3)
    booking_id, _ = hotels.channex.create_booking(
        property_id=prop.property_id,
        rooms=[
            {
                "room_type_id": room.room_type_id,
                "rate_plan_id": room.rate_plans[0].rate_plan_id,
                "checkin_date": checkin.isoformat(),
                "checkout_date": (checkin + timedelta(days=2)).isoformat(),
                "adults": 2,
                "children": 0,
            }
        ],
    )
    return booking_id


async def until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s")
        await asyncio.sleep(0.1)


def acked_bookings(hotels: Hotels) -> set[str]:
    """Booking ids whose revision the middleware acked."""
    acked = {
        r.path.split("/")[-2]
        for r in hotels.channex.requests
        if r.method == "POST" and r.path.endswith("/ack") and r.status == 200
    }
    return {
        rev["booking_id"] for rid, rev in hotels.channex.state.revisions.items() if rid in acked
    }


async def test_three_hotels_each_in_its_own_lane(tmp_path: Path) -> None:
    async with three_hotels(tmp_path) as hotels:
        hotels.pms.emulators[SLOW].faults = PmsFaultPlan(seed=1, p_slow=1.0, slow_s=SLOW_PMS_S)
        hotels.pms.emulators[DOWN].faults = PmsFaultPlan(seed=2, down=True)
        hotels.channex.property_delay_s = {hotels.property_id(SLOW): SLOW_CHANNEX_S}
        started_at = hotels.channex.requests[-1].at if hotels.channex.requests else 0.0
        bookings = {index: book(hotels, index) for index in (HEALTHY, SLOW, DOWN)}
        await storm(hotels, STORM_S)
        acked_during_storm = acked_bookings(hotels)

        # The healthy hotel's booking went through while the others' PMS were slow or down.
        assert bookings[HEALTHY] in acked_during_storm
        assert bookings[DOWN] not in acked_during_storm

        # Each hotel's lanes: the healthy one used its whole budget, nobody went over it.
        window: dict[tuple[int, str], int] = {}
        for index in range(3):
            for path in ARI_PATHS:
                window[index, path] = hotels.channex.max_calls_in_any_window(
                    hotels.property_id(index), path
                )
        assert window[HEALTHY, "/availability"] == LIMIT
        assert window[HEALTHY, "/restrictions"] == LIMIT
        assert all(count <= LIMIT for count in window.values()), window
        assert [r for r in hotels.channex.requests if r.status == 429] == []
        slow_calls = [
            r
            for r in hotels.channex.requests
            if r.at > started_at
            and r.method == "POST"
            and r.property_id == hotels.property_id(SLOW)
            and r.path.endswith(ARI_PATHS)
        ]
        assert 0 < len(slow_calls) < LIMIT  # its lanes pushed, one slow call at a time

        # Every PMS saw only its own hotel: its categorias, its bookings.
        for index, emulator in enumerate(hotels.pms.emulators):
            prefix = many_hotels.code_of(index, "")
            booked = [
                r.body["categoria"]
                for r in emulator.requests
                if r.method == "POST" and r.path.endswith("/channex/booking")
            ]
            assert all(code.startswith(prefix) for code in booked), (index, booked)
            assert all(b.categoria.startswith(prefix) for b in emulator.bookings())
        down_posts = [r for r in hotels.pms.emulators[DOWN].requests if r.method == "POST"]
        assert down_posts and {r.status for r in down_posts} == {503}  # tried, refused
        store = hotels.context.runtime.store
        parked_or_pending = await store.revisions.counts()
        assert parked_or_pending.get("parked", 0) == 0

        # The slow hotel's booking reaches its own PMS once it answers.
        await until(lambda: bookings[SLOW] in acked_bookings(hotels))
        assert bookings[DOWN] not in acked_bookings(hotels)

        # /health: the same few Channex calls as for one hotel, whatever their number.
        before = len(hotels.channex.requests)
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with hotels.session.get(hotels.url + "/health", headers=headers) as response:
            await response.read()
        probe = [
            (r.method, r.path.removeprefix("/api/v1"))
            for r in hotels.channex.requests[before:]
            if not r.path.endswith(ARI_PATHS) and "booking_revisions" not in r.path
        ]
        assert probe == [
            ("GET", "/properties/options"),
            ("GET", f"/properties/{hotels.property_id(0)}"),
            ("GET", f"/properties/{hotels.property_id(1)}"),
            ("GET", "/room_types/options"),
            ("GET", "/rate_plans/options"),
        ]
