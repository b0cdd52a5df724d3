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
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeAlias

from middleware.sandbox import many_hotels
from middleware.sandbox import system as systems
from middleware.sandbox import system_emulators as emulated
from middleware.sandbox.pms_faults import PmsFaultPlan
from tests.flow.harness import ADMIN_TOKEN, CREDENTIALS, FLOW_ENV
from tests.kit.backends import Backend
from tests.kit.clocks import MovableClock, ShiftedClock

WINDOW_S = 6.0
LIMIT = 10
STORM_S = 2.5 * WINDOW_S
CHANGE_EVERY_S = 0.1
SLOW_CHANNEX_S = 5.0
SLOW_PMS_S = 1.0
HEALTHY, SLOW, DOWN = 0, 1, 2
ARI_PATHS = ("/availability", "/restrictions")


Hotels: TypeAlias = systems.System[MovableClock]
# One middleware, worker inside, for hotels that each have their own sistema-os.
ENV = {
    **FLOW_ENV,
    "CHANNEX_SYNC_DAYS": "30",
    "ARI_DEBOUNCE": "0.05",
    "ARI_MAX_DELAY": "0.3",
    "PARITY_INTERVAL": "0",
    # the windows here are seconds long: a notice read at once keeps the lanes busy
    "PMS_READ_COALESCE": "0",
}


def property_id(hotels: Hotels, index: int) -> str:
    return hotels.mapping.properties[index].property_id


@contextlib.asynccontextmanager
async def three_hotels(tmp_path: Path, backend: Backend) -> AsyncIterator[Hotels]:
    clock: MovableClock = ShiftedClock()
    async with systems.open_system(
        tmp_path,
        clock=clock,
        hotels=emulated.Hotels(count=3, sync_days=30),
        channex=emulated.ChannexKnobs(rate_limit=LIMIT, window_s=WINDOW_S),
        credentials=CREDENTIALS,
        env={**ENV, **backend.env(), "CHANNEX_RATE_WINDOW": str(WINDOW_S), "PMS_TIMEOUT": "10"},
        live=True,
    ) as hotels:
        yield hotels


async def storm(hotels: Hotels, seconds: float) -> None:
    """PMS changes on all three hotels: a new rate, or a walk-in booking, every tick."""
    rng = random.Random(7)
    deadline = time.monotonic() + seconds
    tick = 0
    while time.monotonic() < deadline:
        for index, emulator in enumerate(hotels.emulators.pms_hotels):
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


async def test_three_hotels_each_in_its_own_lane(tmp_path: Path, backend: Backend) -> None:
    async with three_hotels(tmp_path, backend) as hotels:
        slow = PmsFaultPlan(seed=1, p_slow=1.0, slow_s=SLOW_PMS_S)
        hotels.emulators.pms_hotels[SLOW].faults = slow
        hotels.emulators.pms_hotels[DOWN].faults = PmsFaultPlan(seed=2, down=True)
        hotels.channex.property_delay_s = {property_id(hotels, SLOW): SLOW_CHANNEX_S}
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
                    property_id(hotels, index), path
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
            and r.property_id == property_id(hotels, SLOW)
            and r.path.endswith(ARI_PATHS)
        ]
        assert 0 < len(slow_calls) < LIMIT  # its lanes pushed, one slow call at a time

        # Every PMS saw only its own hotel: its categorias, its bookings.
        for index, emulator in enumerate(hotels.emulators.pms_hotels):
            prefix = many_hotels.code_of(index, "")
            booked = [
                r.body["categoria"]
                for r in emulator.requests
                if r.method == "POST" and r.path.endswith("/channex/booking")
            ]
            assert all(code.startswith(prefix) for code in booked), (index, booked)
            assert all(b.categoria.startswith(prefix) for b in emulator.bookings())
        down_posts = [r for r in hotels.emulators.pms_hotels[DOWN].requests if r.method == "POST"]
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
            ("GET", f"/properties/{property_id(hotels, 0)}"),
            ("GET", f"/properties/{property_id(hotels, 1)}"),
            ("GET", "/room_types/options"),
            ("GET", "/rate_plans/options"),
        ]
