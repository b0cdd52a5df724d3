"""Channex's PMS certification table (channex-contract §8.2), reproduced end to end.

Every scenario is driven by a real change in the sistema-os emulator (its control API, which
notifies the middleware's `/webhook/pms` as sistema-os does) and asserts what the middleware
sent to the Channex emulator: the number of calls and the whole `values` lists, with the
table's literal dates (the shared clock starts on 31 Oct 2026).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.flow import ota
from tests.flow.harness import System, start_system
from tests.flow.oracle import assert_channex_matches_pms
from tests.kit.backends import Backend

# Parity on and reading back every second: the scenarios must not gain a POST or a 429 from it.
PARITY_ON = {"PARITY_INTERVAL": "1", "PARITY_DAYS": "30"}
ARI_PATHS = ("/api/v1/availability", "/api/v1/restrictions")

D = date.fromisoformat


def _sorted(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(v: dict[str, Any]) -> tuple[str, str]:
        return (
            v.get("room_type_id") or v.get("rate_plan_id") or "",
            v.get("date") or v["date_from"],
        )

    return sorted(values, key=key)


@contextlib.asynccontextmanager
async def certification_system(tmp_path: Path, backend: Backend) -> AsyncIterator[System]:
    """The certification hotel with parity reading back every second. After the scenario's
    own assertions pass: a read-back of both lanes after its last push finds nothing to
    heal (no POST is added), and no call of the whole scenario was answered 429."""
    async with start_system(
        tmp_path, backend, hotel="certification", extra_env=PARITY_ON
    ) as system:
        yield system
        await _read_back_adds_nothing(system)


async def _read_back_adds_nothing(system: System) -> None:
    posts = [(r.path, r.body) for r in system.channex.requests if r.method == "POST"]
    mark = len(system.channex.requests)
    # Reads keep half of a lane's slots free for pushes: a busy scenario (pushes and reads
    # every second) may have used the reads' share of this window. The next window has room.
    system.clock.advance(system.settings.channex_rate_window_s)

    async def both_lanes_read() -> bool:
        read = {r.path for r in system.channex.requests[mark:] if r.method == "GET"}
        return read >= set(ARI_PATHS)

    await ota.until(both_lanes_read, what="a read-back of both lanes after the scenario")
    await system.settle()
    assert [(r.path, r.body) for r in system.channex.requests if r.method == "POST"] == posts
    assert [r.path for r in system.channex.requests if r.status == 429] == []


async def _go_live(system: System) -> None:
    """Full sync, then forget the calls it made: the scenarios count only their own."""
    await system.full_sync()
    system.channex.reset_requests()


async def test_1_full_sync_is_exactly_two_calls_covering_every_cell(
    tmp_path: Path, backend: Backend
) -> None:
    async with certification_system(tmp_path, backend) as system:
        await system.full_sync()
        avail = system.posts("availability")
        restr = system.posts("restrictions")
        assert (len(avail), len(restr)) == (1, 1)
        ari_paths = ("/api/v1/availability", "/api/v1/restrictions")
        posts = [r for r in system.channex.requests if r.path in ari_paths and r.method == "POST"]
        assert [r.path for r in posts] == ["/api/v1/availability", "/api/v1/restrictions"]
        assert [r.status for r in system.channex.requests if r.status == 429] == []
        await assert_channex_matches_pms(system, days=500)
        rate_plans = {v["rate_plan_id"] for v in restr[0]["values"]}
        assert len(rate_plans) == 4
        assert {v["room_type_id"] for v in avail[0]["values"]} == {
            system.room_type_id("twin"),
            system.room_type_id("double"),
        }


async def test_2_single_date_single_rate(tmp_path: Path, backend: Backend) -> None:
    async with certification_system(tmp_path, backend) as system:
        await _go_live(system)
        system.pms.set_rate("twin", "bar", D("2026-11-22"), D("2026-11-22"), Decimal("333"))
        await system.settle()
        assert system.posts("availability") == []
        assert system.posts("restrictions") == [
            {
                "values": [
                    {
                        "property_id": system.property_id,
                        "rate_plan_id": system.rate_plan_id("twin", "bar"),
                        "date": "2026-11-22",
                        "rate": 33300,
                    }
                ]
            }
        ]


async def test_3_three_rates_within_seconds_are_one_call(tmp_path: Path, backend: Backend) -> None:
    async with certification_system(tmp_path, backend) as system:
        await _go_live(system)
        system.pms.set_rate("twin", "bar", D("2026-11-21"), D("2026-11-21"), Decimal("333"))
        await asyncio.sleep(0.7)
        system.pms.set_rate("double", "bar", D("2026-11-25"), D("2026-11-25"), Decimal("444"))
        await asyncio.sleep(0.7)
        system.pms.set_rate("double", "bb", D("2026-11-29"), D("2026-11-29"), Decimal("456.23"))
        await system.settle()
        posts = system.posts("restrictions")
        assert len(posts) == 1
        pid = system.property_id
        assert _sorted(posts[0]["values"]) == _sorted(
            [
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("twin", "bar"),
                    "date": "2026-11-21",
                    "rate": 33300,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bar"),
                    "date": "2026-11-25",
                    "rate": 44400,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bb"),
                    "date": "2026-11-29",
                    "rate": 45623,
                },
            ]
        )


async def test_4_rate_ranges_on_several_plans_are_one_call_of_ranges(
    tmp_path: Path, backend: Backend
) -> None:
    async with certification_system(tmp_path, backend) as system:
        await _go_live(system)
        system.pms.set_rate("twin", "bar", D("2026-11-01"), D("2026-11-10"), Decimal("241"))
        system.pms.set_rate("double", "bar", D("2026-11-10"), D("2026-11-16"), Decimal("312.66"))
        system.pms.set_rate("double", "bb", D("2026-11-01"), D("2026-11-20"), Decimal("111"))
        await system.settle()
        posts = system.posts("restrictions")
        assert len(posts) == 1
        pid = system.property_id
        assert _sorted(posts[0]["values"]) == _sorted(
            [
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("twin", "bar"),
                    "date_from": "2026-11-01",
                    "date_to": "2026-11-10",
                    "rate": 24100,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bar"),
                    "date_from": "2026-11-10",
                    "date_to": "2026-11-16",
                    "rate": 31266,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bb"),
                    "date_from": "2026-11-01",
                    "date_to": "2026-11-20",
                    "rate": 11100,
                },
            ]
        )
        await assert_channex_matches_pms(system, days=60)


async def test_5_min_stay_carries_the_min_stay_field_only(tmp_path: Path, backend: Backend) -> None:
    async with certification_system(tmp_path, backend) as system:
        await _go_live(system)
        system.pms.set_restrictions(
            "twin", "bar", D("2026-11-23"), D("2026-11-23"), min_stay_arrival=3
        )
        system.pms.set_restrictions(
            "double", "bar", D("2026-11-25"), D("2026-11-25"), min_stay_arrival=2
        )
        system.pms.set_restrictions(
            "double", "bb", D("2026-11-15"), D("2026-11-15"), min_stay_arrival=5
        )
        await system.settle()
        posts = system.posts("restrictions")
        assert len(posts) == 1
        pid = system.property_id
        assert _sorted(posts[0]["values"]) == _sorted(
            [
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("twin", "bar"),
                    "date": "2026-11-23",
                    "min_stay_arrival": 3,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bar"),
                    "date": "2026-11-25",
                    "min_stay_arrival": 2,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bb"),
                    "date": "2026-11-15",
                    "min_stay_arrival": 5,
                },
            ]
        )


async def test_6_stop_sell(tmp_path: Path, backend: Backend) -> None:
    async with certification_system(tmp_path, backend) as system:
        await _go_live(system)
        system.pms.set_restrictions("twin", "bar", D("2026-11-14"), D("2026-11-14"), stop_sell=True)
        system.pms.set_restrictions(
            "double", "bar", D("2026-11-16"), D("2026-11-16"), stop_sell=True
        )
        system.pms.set_restrictions(
            "double", "bb", D("2026-11-20"), D("2026-11-20"), stop_sell=True
        )
        await system.settle()
        posts = system.posts("restrictions")
        assert len(posts) == 1
        pid = system.property_id
        assert _sorted(posts[0]["values"]) == _sorted(
            [
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("twin", "bar"),
                    "date": "2026-11-14",
                    "stop_sell": True,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bar"),
                    "date": "2026-11-16",
                    "stop_sell": True,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bb"),
                    "date": "2026-11-20",
                    "stop_sell": True,
                },
            ]
        )


async def test_7_mixed_restrictions_each_value_carries_exactly_its_fields(
    tmp_path: Path, backend: Backend
) -> None:
    async with certification_system(tmp_path, backend) as system:
        # Start from values that differ from the table's, so every listed field is a change.
        pms = system.pms
        pms.set_restrictions(
            "twin",
            "bar",
            D("2026-11-01"),
            D("2026-11-10"),
            closed_to_departure=True,
            min_stay_arrival=2,
        )
        await _go_live(system)
        pms.set_restrictions(
            "twin",
            "bar",
            D("2026-11-01"),
            D("2026-11-10"),
            closed_to_arrival=True,
            closed_to_departure=False,
            max_stay=4,
            min_stay_arrival=1,
        )
        pms.set_restrictions(
            "twin",
            "bb",
            D("2026-11-12"),
            D("2026-11-16"),
            closed_to_departure=True,
            min_stay_arrival=6,
        )
        pms.set_restrictions(
            "double",
            "bar",
            D("2026-11-10"),
            D("2026-11-16"),
            closed_to_arrival=True,
            min_stay_arrival=2,
        )
        pms.set_restrictions("double", "bb", D("2026-11-01"), D("2026-11-20"), min_stay_arrival=10)
        await system.settle()
        posts = system.posts("restrictions")
        assert len(posts) == 1
        pid = system.property_id
        assert _sorted(posts[0]["values"]) == _sorted(
            [
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("twin", "bar"),
                    "date_from": "2026-11-01",
                    "date_to": "2026-11-10",
                    "closed_to_arrival": True,
                    "closed_to_departure": False,
                    "max_stay": 4,
                    "min_stay_arrival": 1,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("twin", "bb"),
                    "date_from": "2026-11-12",
                    "date_to": "2026-11-16",
                    "closed_to_departure": True,
                    "min_stay_arrival": 6,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bar"),
                    "date_from": "2026-11-10",
                    "date_to": "2026-11-16",
                    "closed_to_arrival": True,
                    "min_stay_arrival": 2,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bb"),
                    "date_from": "2026-11-01",
                    "date_to": "2026-11-20",
                    "min_stay_arrival": 10,
                },
            ]
        )


async def test_8_half_year_is_one_call_with_two_range_values(
    tmp_path: Path, backend: Backend
) -> None:
    async with certification_system(tmp_path, backend) as system:
        pms = system.pms
        first, last = D("2026-12-01"), D("2027-05-01")
        pms.set_restrictions(
            "twin",
            "bar",
            first,
            last,
            closed_to_arrival=True,
            closed_to_departure=True,
            min_stay_arrival=1,
        )
        pms.set_restrictions("double", "bar", first, last, min_stay_arrival=1)
        await _go_live(system)
        pms.set_rate("twin", "bar", first, last, Decimal("432"))
        pms.set_restrictions(
            "twin",
            "bar",
            first,
            last,
            closed_to_arrival=False,
            closed_to_departure=False,
            min_stay_arrival=2,
        )
        pms.set_rate("double", "bar", first, last, Decimal("342"))
        pms.set_restrictions("double", "bar", first, last, min_stay_arrival=3)
        await system.settle()
        posts = system.posts("restrictions")
        assert len(posts) == 1
        pid = system.property_id
        assert _sorted(posts[0]["values"]) == _sorted(
            [
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("twin", "bar"),
                    "date_from": "2026-12-01",
                    "date_to": "2027-05-01",
                    "rate": 43200,
                    "closed_to_arrival": False,
                    "closed_to_departure": False,
                    "min_stay_arrival": 2,
                },
                {
                    "property_id": pid,
                    "rate_plan_id": system.rate_plan_id("double", "bar"),
                    "date_from": "2026-12-01",
                    "date_to": "2027-05-01",
                    "rate": 34200,
                    "min_stay_arrival": 3,
                },
            ]
        )


async def test_9_single_date_availability_from_pms_bookings(
    tmp_path: Path, backend: Backend
) -> None:
    async with certification_system(tmp_path, backend) as system:
        pms = system.pms
        twin_night, double_night = D("2026-11-21"), D("2026-11-22")
        for _ in range(pms.availability("twin", twin_night) - 8):
            pms.book_direct("twin", twin_night, D("2026-11-22"))
        for _ in range(pms.availability("double", D("2026-11-25")) - 1):
            pms.book_direct("double", D("2026-11-25"), D("2026-11-26"))
        await _go_live(system)
        pms.book_direct("twin", twin_night, double_night)
        pms.book_direct("double", D("2026-11-25"), D("2026-11-26"))
        await system.settle()
        posts = system.posts("availability")
        assert 1 <= len(posts) <= 2
        values = [v for post in posts for v in post["values"]]
        pid = system.property_id
        assert _sorted(values) == _sorted(
            [
                {
                    "property_id": pid,
                    "room_type_id": system.room_type_id("twin"),
                    "date": "2026-11-21",
                    "availability": 7,
                },
                {
                    "property_id": pid,
                    "room_type_id": system.room_type_id("double"),
                    "date": "2026-11-25",
                    "availability": 0,
                },
            ]
        )
        assert system.posts("restrictions") == []


async def test_10_multi_date_availability_is_ranges(tmp_path: Path, backend: Backend) -> None:
    async with certification_system(tmp_path, backend) as system:
        await _go_live(system)
        pms = system.pms
        for _ in range(pms.availability("twin", D("2026-11-10")) - 3):
            pms.book_direct("twin", D("2026-11-10"), D("2026-11-17"))
        for _ in range(pms.availability("double", D("2026-11-17")) - 4):
            pms.book_direct("double", D("2026-11-17"), D("2026-11-25"))
        await system.settle()
        posts = system.posts("availability")
        assert 1 <= len(posts) <= 2
        values = [v for post in posts for v in post["values"]]
        pid = system.property_id
        assert _sorted(values) == _sorted(
            [
                {
                    "property_id": pid,
                    "room_type_id": system.room_type_id("twin"),
                    "date_from": "2026-11-10",
                    "date_to": "2026-11-16",
                    "availability": 3,
                },
                {
                    "property_id": pid,
                    "room_type_id": system.room_type_id("double"),
                    "date_from": "2026-11-17",
                    "date_to": "2026-11-24",
                    "availability": 4,
                },
            ]
        )
        await assert_channex_matches_pms(system, days=60)
