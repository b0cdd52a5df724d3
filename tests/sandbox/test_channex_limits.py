"""Channex emulator rate limit: 10 ARI POSTs per endpoint per property in any sliding window."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.channex_limits import max_calls_in_window
from tests.kit.clocks import Ticker
from tests.sandbox.channex_harness import Hotel, make_hotel, running

TOO_MANY = {"errors": {"code": "http_too_many_requests", "title": "Too Many Requests"}}


def rate(hotel: Hotel, day: str = "2026-11-21") -> dict[str, Any]:
    value = {"property_id": hotel.property_id, "rate_plan_id": hotel.twin_bar, "date": day}
    return {"values": [{**value, "rate": 33300}]}


def units(hotel: Hotel) -> dict[str, Any]:
    value = {"property_id": hotel.property_id, "room_type_id": hotel.twin, "date": "2026-11-21"}
    return {"values": [{**value, "availability": 7}]}


async def test_eleventh_restrictions_call_in_window_is_429_until_the_window_slides() -> None:
    clock = Ticker(1000.0)
    emu = ChannexEmulator(clock=clock, today=lambda: date(2026, 11, 1))
    async with running(emu) as api:
        h = await make_hotel(api)
        for n in range(10):
            clock.now = 1000.0 + n
            status, body = await api.post("/restrictions", rate(h))
            assert (status, body["meta"]) == (200, {"message": "Success"})
        clock.now = 1009.5
        assert await api.post("/restrictions", rate(h)) == (429, TOO_MANY)
        status, _ = await api.post("/availability", units(h))  # separate budget
        assert status == 200
        status, _ = await api.get(
            "/restrictions",
            **{
                "filter[property_id]": h.property_id,
                "filter[date]": "2026-11-21",
                "filter[restrictions]": "rate",
            },
        )
        assert status == 200  # reads are not limited
        clock.now = 1060.0  # the call at 1000 has left the window (1000, 1060]
        assert (await api.post("/restrictions", rate(h)))[0] == 200
        assert await api.post("/restrictions", rate(h)) == (429, TOO_MANY)
        clock.now = 1061.0
        assert (await api.post("/restrictions", rate(h)))[0] == 200
    statuses = [r.status for r in emu.calls("POST", "/restrictions")]
    assert statuses == [200] * 10 + [429, 200, 429, 200]
    # attempts in (1001, 1061]: 1002..1009, 1009.5, 1060, 1060, 1061 → 12 sent, 10 accepted
    assert emu.max_calls_in_any_window(h.property_id, "/restrictions") == 12
    assert emu.max_calls_in_any_window(h.property_id, "/restrictions", accepted_only=True) == 10
    assert emu.max_calls_in_any_window(h.property_id, "/availability") == 1


async def test_limits_are_per_property_and_a_mixed_body_counts_for_each(ticker: Ticker) -> None:
    emu = ChannexEmulator(clock=ticker, rate_limit=2, today=lambda: date(2026, 11, 1))
    async with running(emu) as api:
        a = await make_hotel(api)
        b = await make_hotel(api)
        mixed = {"values": rate(a)["values"] + rate(b)["values"]}
        assert (await api.post("/restrictions", mixed))[0] == 200
        assert (await api.post("/restrictions", rate(a)))[0] == 200
        assert await api.post("/restrictions", rate(a)) == (429, TOO_MANY)
        assert (await api.post("/restrictions", rate(b)))[0] == 200
        assert await api.post("/restrictions", mixed) == (429, TOO_MANY)  # a is full
        assert await api.post("/restrictions", rate(b)) == (429, TOO_MANY)
    recorded = emu.calls("POST", "/restrictions")
    assert [r.property_ids for r in recorded] == [
        (a.property_id, b.property_id),
        (a.property_id,),
        (a.property_id,),
        (b.property_id,),
        (a.property_id, b.property_id),
        (b.property_id,),
    ]
    assert recorded[0].property_id == a.property_id


def test_max_calls_in_window_counts_half_open_windows() -> None:
    assert max_calls_in_window([], 60.0) == 0
    assert max_calls_in_window([0.0, 60.0], 60.0) == 1
    assert max_calls_in_window([0.0, 59.9], 60.0) == 2
    assert max_calls_in_window([5.0, 0.0, 30.0, 61.0, 62.0], 60.0) == 4  # (2, 62]


async def test_latency_holds_ari_writes_and_one_property_s_calls(
    ticker: Ticker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ari_delay_s` delays every ARI write's answer, `property_delay_s` every call about that
    property (the larger wins); the call still counts when it arrived."""
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(delay: float) -> None:
        waits.append(delay)
        await real_sleep(0)

    emu = ChannexEmulator(clock=ticker, rate_limit=1, today=lambda: date(2026, 11, 1))
    async with running(emu) as api:
        a = await make_hotel(api)
        b = await make_hotel(api)
        emu.ari_delay_s = 0.3
        emu.property_delay_s = {b.property_id: 5.0}
        monkeypatch.setattr(asyncio, "sleep", recorded_sleep)  # the emulator's wait
        assert (await api.post("/restrictions", rate(a)))[0] == 200
        assert (await api.post("/restrictions", rate(b)))[0] == 200
        assert await api.post("/restrictions", rate(b)) == (429, TOO_MANY)  # counted on arrival
        status, _ = await api.get(
            "/availability",
            **{
                "filter[property_id]": b.property_id,
                "filter[date][gte]": "2026-11-21",
                "filter[date][lte]": "2026-11-21",
            },
        )
        assert status == 200
        status, _ = await api.get("/properties/options")
        assert status == 200
        monkeypatch.undo()  # `asyncio.sleep` is everybody's: the server's shutdown too
    assert waits == [0.3, 5.0, 5.0, 5.0]
