"""The sistema-os emulator: the hotel PMS on port 8000, for tests, the sandbox demo and chaos.

`PmsEmulator(hotel="duke_beach")` holds a hotel model (`state`), serves the sistema-os API
(`app`, routes in `pms_api`), records every call (`requests`), can be told to fail
(`faults`) and tells the middleware about ARI changes (`POST /webhook/pms`, in the background).
The control methods below (and `/_control/...`, see `pms_control`) drive it like hotel staff.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from starlette.applications import Starlette

from middleware import clock
from middleware.sandbox import pms_api, pms_control
from middleware.sandbox.control_index import index_route
from middleware.sandbox.pms_api import RecordedRequest
from middleware.sandbox.pms_ari import Shape, per_date_document
from middleware.sandbox.pms_faults import FaultRunner, PmsFaultPlan
from middleware.sandbox.pms_hotel import load_hotel
from middleware.sandbox.pms_notify import Notifier, change_body
from middleware.sandbox.pms_state import Booking, BookingRequest, PmsState

DIRECT_GUEST = "Hóspede Direto"
DIRECT_CHANNEL = "Direto"
SHUTDOWN_DRAIN_S = 5.0


class PmsEmulator:
    def __init__(
        self,
        *,
        hotel: str | Path = "duke_beach",
        shape: Literal["per_date", "flat"] = "per_date",
        today: Callable[[], date] | None = None,
        api_token: str | None = None,
        middleware_url: str | None = None,
        middleware_token: str | None = None,
        faults: PmsFaultPlan | None = None,
        weekend_days: Iterable[int] | None = None,
    ) -> None:
        loaded = load_hotel(hotel)
        if weekend_days is not None:
            loaded = replace(loaded, weekend_days=frozenset(weekend_days))
        self.state = PmsState(loaded)
        self.shape: Shape = shape
        self.today: Callable[[], date] = today or (
            lambda: clock.hotel_today(loaded.timezone, clock.utc_now())
        )
        self.api_token = api_token
        self.requests: list[RecordedRequest] = []
        self.notifier = Notifier(middleware_url, middleware_token)
        self.faults = faults
        control = pms_control.routes(self)
        self.app = Starlette(
            routes=[
                *pms_api.routes(self),
                *control,
                index_route("sistema-os", control, pms_control.__doc__),
            ],
            lifespan=self._lifespan,
        )

    # ------------------------------------------------------------------ settings

    @property
    def faults(self) -> PmsFaultPlan | None:
        return self._faults

    @faults.setter
    def faults(self, plan: PmsFaultPlan | None) -> None:
        """A new plan starts its seeded sequence afresh; `None` turns faults off."""
        self._faults = plan
        self.fault_runner = None if plan is None else FaultRunner(plan)

    @property
    def middleware_url(self) -> str | None:
        return self.notifier.url

    @middleware_url.setter
    def middleware_url(self, url: str | None) -> None:
        self.notifier.url = url

    @property
    def middleware_token(self) -> str | None:
        return self.notifier.token

    @middleware_token.setter
    def middleware_token(self, token: str | None) -> None:
        self.notifier.token = token

    # ------------------------------------------------------------------ control

    def set_rate(
        self, categoria: str, plano: str, date_from: date, date_to: date, rate: Decimal
    ) -> None:
        self.state.set_rate(categoria, plano, date_from, date_to, rate)
        self.notifier.schedule([categoria], date_from, date_to)

    def set_restrictions(
        self, categoria: str, plano: str, date_from: date, date_to: date, **fields: int | bool
    ) -> None:
        """Fields: min_stay_arrival, min_stay_through, max_stay, closed_to_arrival,
        closed_to_departure, stop_sell."""
        self.state.set_restrictions(categoria, plano, date_from, date_to, **fields)
        self.notifier.schedule([categoria], date_from, date_to)

    def book_direct(
        self, categoria: str, checkin: date, checkout: date, guest_name: str = DIRECT_GUEST
    ) -> int:
        """A walk-in or phone booking, priced from the rate table; returns its id."""
        request = BookingRequest(
            categoria=categoria,
            checkin=checkin,
            checkout=checkout,
            guest_name=guest_name,
            valor_total=self.state.quote(categoria, checkin, checkout)
            if checkout > checkin
            else Decimal("0.00"),
            channel=DIRECT_CHANNEL,
        )
        booking = self.state.create_booking(request)
        self.booking_changed(booking)
        return booking.id

    def cancel_direct(self, booking_id: int) -> None:
        before = self.state.booking(booking_id)
        after = self.state.cancel_booking(booking_id, "cancelada na recepção")
        if after != before:
            self.booking_changed(after)

    def availability(self, categoria: str, day: date) -> int:
        return self.state.available(categoria, day)

    def bookings(self) -> list[Booking]:
        return self.state.bookings()

    def ari(self, date_from: date, date_to: date) -> dict[str, Any]:
        """The per-date ARI document for the range, as the API serves it (for oracles)."""
        return per_date_document(self.state, date_from, date_to)

    # ------------------------------------------------------------------ notifications

    def booking_changed(self, booking: Booking, before: Booking | None = None) -> None:
        """Schedule the webhook for the nights a booking (and its earlier version) touch."""
        stays = [booking] if before is None else [before, booking]
        codes = {b.categoria for b in stays}
        categorias = [r.categoria for r in self.state.hotel.room_types if r.categoria in codes]
        first = min(b.checkin for b in stays)
        last = max(b.checkout for b in stays) - timedelta(days=1)
        self.notifier.schedule(categorias, first, last)

    async def notify(self, categorias: list[str], date_from: date, date_to: date) -> None:
        """POST `/webhook/pms` now and wait for the answer."""
        await self.notifier.send(change_body(categorias, date_from, date_to))

    async def drain_notifications(self) -> None:
        await self.notifier.drain()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SHUTDOWN_DRAIN_S):
                await self.drain_notifications()
