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
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeAlias

from middleware.domain.mapping import Mapping, PmsLink
from middleware.sandbox import system as systems
from middleware.sandbox import system_emulators as emulated
from tests.flow.harness import CREDENTIALS
from tests.flow.test_many_hotels import ENV
from tests.kit.backends import Backend
from tests.kit.clocks import MovableClock, ShiftedClock
from tests.store_sql import rows

A, B = 0, 1
CODES = ("lvu", "ov")
TOKENS = ("pms-token-hotel-a", "pms-token-hotel-b")
TOKEN_ENVS = ("PMS_WEBHOOK_TOKEN_HOTEL_A", "PMS_WEBHOOK_TOKEN_HOTEL_B")
SETTLE_TIMEOUT_S = 30.0


Group: TypeAlias = systems.System[MovableClock]


def property_id(group: Group, index: int) -> str:
    return group.mapping.properties[index].property_id


def ids(group: Group, index: int, code: str) -> tuple[str, str]:
    """(room type id, rate plan id of "padrao") of hotel `index`'s categoria `code`."""
    ref = group.mapping.by_room_code(property_id(group, index), code)
    assert ref is not None
    plan = ref.room.plan("padrao")
    assert plan is not None
    return ref.room.room_type_id, plan.rate_plan_id


async def requests_after(group: Group, last_id: int) -> list[tuple[str | None, str | None, str]]:
    """(property, room codes, source) of each sync request recorded after `last_id`."""
    found = await rows(
        group.context.runtime.store,
        "SELECT property_id, room_codes, source FROM sync_requests WHERE id > ? ORDER BY id",
        (last_id,),
    )
    return [(str_or_none(row[0]), str_or_none(row[1]), str(row[2])) for row in found]


def str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


async def last_request_id(group: Group) -> int:
    store = group.context.runtime.store
    ((last,),) = await rows(store, "SELECT MAX(id) AS last FROM sync_requests")
    return 0 if last is None else int(str(last))


def ari_reads(group: Group, index: int) -> int:
    return sum(1 for r in group.emulators.pms_hotels[index].requests if r.path.endswith("/ari"))


def with_own_tokens(mapping: Mapping) -> Mapping:
    """Each property's change notices signed with a token of its own (`webhook_token_env`)."""
    return Mapping(
        tuple(
            replace(prop, pms=replace(prop.pms or PmsLink(adapter="", base_url=""), **own))
            for prop, own in zip(
                mapping.properties,
                ({"webhook_token_env": name} for name in TOKEN_ENVS),
                strict=True,
            )
        )
    )


@contextlib.asynccontextmanager
async def two_hotels(tmp_path: Path, backend: Backend) -> AsyncIterator[Group]:
    clock: MovableClock = ShiftedClock()
    hotels = emulated.Hotels(count=2, codes=CODES, shared_codes=True, sync_days=30)
    async with emulated.open_emulators(
        tmp_path, hotels=hotels, clock=clock, credentials=CREDENTIALS
    ) as emulators:
        emulators.mapping = with_own_tokens(emulators.mapping)
        env = {**ENV, **backend.env(), **dict(zip(TOKEN_ENVS, TOKENS, strict=True))}
        async with systems.serve_middleware(emulators, tmp_path, env=env, live=True) as group:
            for emulator, token in zip(emulators.pms_hotels, TOKENS, strict=True):
                emulator.middleware_token = token  # each PMS signs with its hotel's own token
            yield group


async def until(condition: Callable[[], bool], timeout_s: float = SETTLE_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s")
        await asyncio.sleep(0.05)


async def test_hotels_sharing_categoria_codes_stay_each_in_its_own_pms(
    tmp_path: Path, backend: Backend
) -> None:
    async with two_hotels(tmp_path, backend) as group:
        # Both hotels map "lvu" and "padrao", to different Channex room types and rate plans.
        assert group.mapping.properties[A].room_codes() == CODES
        assert group.mapping.properties[B].room_codes() == CODES
        assert ids(group, A, "lvu") != ids(group, B, "lvu")
        await group.settle()

        # 1. An OTA booking for hotel B's "lvu": hotel B's sistema-os only, hotel B re-read.
        since, reads_a, reads_b = (
            await last_request_id(group),
            ari_reads(group, A),
            ari_reads(group, B),
        )
        checkin = group.today() + timedelta(days=3)
        checkout = checkin + timedelta(days=2)
        room_type_b, rate_plan_b = ids(group, B, "lvu")
        group.channex.create_booking(
            property_id=property_id(group, B),
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
            for index, emulator in enumerate(group.emulators.pms_hotels)
            for r in emulator.requests
            if r.method == "POST" and r.path.endswith("/channex/booking")
        ]
        assert booked == [(B, "lvu")]
        assert [b.categoria for b in group.emulators.pms_hotels[B].bookings()] == ["lvu"]
        assert group.emulators.pms_hotels[A].bookings() == []
        asked = await requests_after(group, since)
        assert asked and {(p, codes) for p, codes, _ in asked} == {
            (property_id(group, B), '["lvu"]')
        }
        assert "booking" in {source for _, _, source in asked}
        assert ari_reads(group, A) == reads_a  # hotel A's PMS was not read again
        assert ari_reads(group, B) > reads_b
        first_night = group.emulators.pms_hotels[B].availability("lvu", checkin)
        held = group.channex.availability(property_id(group, B), checkin, checkin)
        assert held[room_type_b][checkin] == first_night  # B's room type: B's PMS value
        room_type_a, rate_plan_a = ids(group, A, "lvu")
        written_a = group.channex.availability(property_id(group, A))
        assert written_a == {room_type_a: {}, ids(group, A, "ov")[0]: {}}  # nothing for hotel A

        # 2. Hotel A's PMS changes its own "lvu" rate and says so with hotel A's own token.
        since, reads_a, reads_b = (
            await last_request_id(group),
            ari_reads(group, A),
            ari_reads(group, B),
        )
        day = group.today() + timedelta(days=5)
        group.emulators.pms_hotels[A].set_rate("lvu", "padrao", day, day, Decimal("777.00"))
        await group.settle()
        [notice] = group.emulators.pms_hotels[A].notifier.sent[-1:]
        assert (notice.body["categorias"], notice.status) == (["lvu"], 202)
        assert await requests_after(group, since) == [
            (property_id(group, A), '["lvu"]', "pms_webhook")
        ]
        assert ari_reads(group, B) == reads_b  # hotel B's PMS was not read
        assert ari_reads(group, A) == reads_a + 1
        rates_a = group.channex.restrictions(property_id(group, A), day, day)
        assert rates_a[rate_plan_a][day]["rate"] == Decimal("777.00")
        rates_b = group.channex.restrictions(property_id(group, B), day, day)
        assert rates_b.get(rate_plan_b, {}).get(day, {}).get("rate") != Decimal("777.00")
