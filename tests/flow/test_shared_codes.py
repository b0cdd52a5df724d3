"""Two hotels of one group, each with its own sistema-os, both naturally having a categoria
"lvu" with a plano "padrao" (codes are unique per property, pms-contract §5.1).

An OTA booking for hotel B's "lvu" is created in hotel B's sistema-os only and re-reads only
hotel B; a change notice signed with hotel A's own webhook token re-reads only hotel A, and
only its "lvu"; what reaches Channex is each hotel's own room type and rate plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp

from middleware.channex.client import ChannexClient
from middleware.clock import hotel_today
from middleware.config import load_settings
from middleware.domain.mapping import Mapping, PmsLink
from middleware.sandbox import many_hotels
from middleware.sandbox.channex import ChannexEmulator
from middleware.serving import serve_app
from middleware.web.app import create_app
from middleware.web.context import WebContext
from tests.flow.harness import API_KEY, ShiftedClock
from tests.flow.test_many_hotels import live_with_webhooks, middleware_env
from tests.store_sql import sql

A, B = 0, 1
CODES = ("lvu", "ov")
TOKENS = ("pms-token-hotel-a", "pms-token-hotel-b")
TOKEN_ENVS = ("PMS_WEBHOOK_TOKEN_HOTEL_A", "PMS_WEBHOOK_TOKEN_HOTEL_B")
SETTLE_TIMEOUT_S = 30.0


@dataclass(slots=True, kw_only=True)
class Group:
    channex: ChannexEmulator
    pms: many_hotels.PmsHotels
    mapping: Mapping
    context: WebContext
    clock: ShiftedClock

    def property_id(self, index: int) -> str:
        return self.mapping.properties[index].property_id

    def today(self) -> date:
        return hotel_today(many_hotels.TIMEZONE, self.clock())

    def ids(self, index: int, code: str) -> tuple[str, str]:
        """(room type id, rate plan id of "padrao") of hotel `index`'s categoria `code`."""
        ref = self.mapping.by_room_code(self.property_id(index), code)
        assert ref is not None
        plan = ref.room.plan("padrao")
        assert plan is not None
        return ref.room.room_type_id, plan.rate_plan_id

    async def settle(self) -> None:
        """Until PMS notices, Channex webhooks, sync requests, pushes and revisions are done."""
        store = self.context.runtime.store
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while time.monotonic() < deadline:
            for emulator in self.pms.emulators:
                await emulator.drain_notifications()
            await self.channex.deliver_pending()
            counts = await store.revisions.counts()
            busy = (
                await store.sync_requests.pending_count()
                or sum(b.pending + b.in_flight for b in await store.outbox.backlog(self.clock()))
                or counts.get("pending", 0)
                or counts.get("applied", 0)
            )
            if not busy:
                return
            self.context.wake_worker()
            await asyncio.sleep(0.05)
        raise AssertionError(f"not settled within {SETTLE_TIMEOUT_S} s")

    async def requests_after(self, last_id: int) -> list[tuple[str | None, str | None, str]]:
        """(property, room codes, source) of each sync request recorded after `last_id`."""
        rows = await sql(self.context.runtime.store).fetchall(
            "SELECT property_id, room_codes, source FROM sync_requests WHERE id > ? ORDER BY id",
            (last_id,),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def last_request_id(self) -> int:
        row = await sql(self.context.runtime.store).fetchone("SELECT MAX(id) FROM sync_requests")
        return 0 if row is None or row[0] is None else int(row[0])


def ari_reads(group: Group, index: int) -> int:
    return sum(1 for r in group.pms.emulators[index].requests if r.path.endswith("/ari"))


@contextlib.asynccontextmanager
async def two_hotels(tmp_path: Path) -> AsyncIterator[Group]:
    clock = ShiftedClock()

    def today() -> date:
        return hotel_today(many_hotels.TIMEZONE, clock())

    channex = ChannexEmulator(api_key=API_KEY, now=clock, today=today)
    async with (
        aiohttp.ClientSession() as session,
        serve_app(channex.app) as channex_url,
        many_hotels.open_pms_hotels(2, tmp_path, today=today, codes=CODES, shared=True) as pms,
    ):
        client = ChannexClient(session, channex_url + "/api/v1", API_KEY)
        urls = [pms.base_url(i) for i in range(2)]
        provisioned = await many_hotels.provision(
            client, tmp_path, urls, codes=CODES, sync_days=30, shared=True
        )
        mapping = Mapping(
            tuple(
                replace(prop, pms=replace(prop.pms or PmsLink(adapter="", base_url=""), **own))
                for prop, own in zip(
                    provisioned.properties,
                    ({"webhook_token_env": name} for name in TOKEN_ENVS),
                    strict=True,
                )
            )
        )
        env = middleware_env(channex_url, tmp_path, **dict(zip(TOKEN_ENVS, TOKENS, strict=True)))
        settings = load_settings(env, env_file=None)
        app = create_app(settings, clock=clock, mapping=mapping)
        async with serve_app(app) as url:
            await live_with_webhooks(app, client, mapping, url, clock())
            for emulator, token in zip(pms.emulators, TOKENS, strict=True):
                emulator.middleware_url = url
                emulator.middleware_token = token  # each PMS signs with its hotel's own token
            yield Group(
                channex=channex, pms=pms, mapping=mapping, context=app.state.ctx, clock=clock
            )


async def until(condition: Callable[[], bool], timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s")
        await asyncio.sleep(0.05)


async def test_hotels_sharing_categoria_codes_stay_each_in_its_own_pms(tmp_path: Path) -> None:
    async with two_hotels(tmp_path) as group:
        # Both hotels map "lvu" and "padrao", to different Channex room types and rate plans.
        assert group.mapping.properties[A].room_codes() == CODES
        assert group.mapping.properties[B].room_codes() == CODES
        assert group.ids(A, "lvu") != group.ids(B, "lvu")
        await group.settle()

        # 1. An OTA booking for hotel B's "lvu": hotel B's sistema-os only, hotel B re-read.
        since, reads_a, reads_b = (
            await group.last_request_id(),
            ari_reads(group, A),
            ari_reads(group, B),
        )
        checkin = group.today() + timedelta(days=3)
        checkout = checkin + timedelta(days=2)
        room_type_b, rate_plan_b = group.ids(B, "lvu")
        group.channex.create_booking(
            property_id=group.property_id(B),
            rooms=[
                {
                    "room_type_id": room_type_b,
                    "rate_plan_id": rate_plan_b,
                    "checkin_date": checkin.isoformat(),
                    "checkout_date": checkout.isoformat(),
                    "adults": 2,
                    "children": 0,
                }
            ],
        )
        await group.settle()
        booked = [
            (index, r.body["categoria"])
            for index, emulator in enumerate(group.pms.emulators)
            for r in emulator.requests
            if r.method == "POST" and r.path.endswith("/channex/booking")
        ]
        assert booked == [(B, "lvu")]
        assert [b.categoria for b in group.pms.emulators[B].bookings()] == ["lvu"]
        assert group.pms.emulators[A].bookings() == []
        asked = await group.requests_after(since)
        assert asked and {(p, codes) for p, codes, _ in asked} == {
            (group.property_id(B), '["lvu"]')
        }
        assert "booking" in {source for _, _, source in asked}
        assert ari_reads(group, A) == reads_a  # hotel A's PMS was not read again
        assert ari_reads(group, B) > reads_b
        first_night = group.pms.emulators[B].availability("lvu", checkin)
        held = group.channex.availability(group.property_id(B), checkin, checkin)
        assert held[room_type_b][checkin] == first_night  # B's room type: B's PMS value
        room_type_a, rate_plan_a = group.ids(A, "lvu")
        written_a = group.channex.availability(group.property_id(A))
        assert written_a == {room_type_a: {}, group.ids(A, "ov")[0]: {}}  # nothing for hotel A

        # 2. Hotel A's PMS changes its own "lvu" rate and says so with hotel A's own token.
        since, reads_a, reads_b = (
            await group.last_request_id(),
            ari_reads(group, A),
            ari_reads(group, B),
        )
        day = group.today() + timedelta(days=5)
        group.pms.emulators[A].set_rate("lvu", "padrao", day, day, Decimal("777.00"))
        await group.settle()
        [notice] = group.pms.emulators[A].notifier.sent[-1:]
        assert (notice.body["categorias"], notice.status) == (["lvu"], 202)
        assert await group.requests_after(since) == [
            (group.property_id(A), '["lvu"]', "pms_webhook")
        ]
        assert ari_reads(group, B) == reads_b  # hotel B's PMS was not read
        assert ari_reads(group, A) == reads_a + 1
        rates_a = group.channex.restrictions(group.property_id(A), day, day)
        assert rates_a[rate_plan_a][day]["rate"] == Decimal("777.00")
        rates_b = group.channex.restrictions(group.property_id(B), day, day)
        assert rates_b.get(rate_plan_b, {}).get(day, {}).get("rate") != Decimal("777.00")
