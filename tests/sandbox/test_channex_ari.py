"""Channex emulator ARI: pushes, ranges, weekday filters, money forms, warnings, reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from middleware.sandbox.channex import ChannexEmulator
from tests.sandbox.channex_harness import Api, hook, make_hotel, receiver, running

TODAY = date(2026, 11, 1)
ALL = "rate,min_stay_arrival,min_stay_through,max_stay"
ALL += ",closed_to_arrival,closed_to_departure,stop_sell"


def emulator() -> ChannexEmulator:
    return ChannexEmulator(today=lambda: TODAY)


async def read(api: Api, kind: str, pid: str, first: str, last: str, names: str = ALL) -> Any:
    query = {"filter[property_id]": pid, "filter[date][gte]": first, "filter[date][lte]": last}
    if kind == "restrictions":
        query["filter[restrictions]"] = names
    status, body = await api.get(f"/{kind}", **query)
    assert status == 200, body
    return body["data"]


def cell(rate: str, **changes: Any) -> dict[str, Any]:
    base = {
        "rate": rate,
        "min_stay_arrival": 1,
        "min_stay_through": 1,
        "max_stay": 0,
        "closed_to_arrival": False,
        "closed_to_departure": False,
        "stop_sell": False,
    }
    return {**base, **changes}


async def test_new_room_types_start_at_zero_and_new_plans_at_their_default_rate() -> None:
    async with running(emulator()) as api:
        hotel = await make_hotel(api)
        availability = await read(
            api, "availability", hotel.property_id, "2026-11-01", "2026-11-02"
        )
        assert availability == {
            hotel.twin: {"2026-11-01": 0, "2026-11-02": 0},
            hotel.double: {"2026-11-01": 0, "2026-11-02": 0},
        }
        restrictions = await read(
            api, "restrictions", hotel.property_id, "2026-11-05", "2026-11-05"
        )
        assert restrictions[hotel.twin_bar] == {"2026-11-05": cell("100.00")}
        assert restrictions[hotel.twin_bb] == {"2026-11-05": cell("120.00")}


async def test_pushes_apply_ranges_weekdays_money_forms_and_later_values_win() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        pid = h.property_id
        status, body = await api.post(
            "/availability",
            {
                "values": [
                    {
                        "property_id": pid,
                        "room_type_id": h.twin,
                        "date_from": "2026-11-10",
                        "date_to": "2026-11-12",
                        "availability": 3,
                    },
                    {
                        "property_id": pid,
                        "room_type_id": h.double,
                        "date": "2026-11-11",
                        "availability": 0,
                    },
                    {
                        "property_id": pid,
                        "room_type_id": h.twin,
                        "date": "2026-11-11",
                        "availability": 7,
                    },
                ]
            },
        )
        assert status == 200
        assert [task["type"] for task in body["data"]] == ["task"]
        assert body["meta"] == {"message": "Success"}  # no `warnings` key when none
        status, body = await api.post(
            "/restrictions",
            {
                "values": [
                    # a whole week at 300, then the weekend (Sa 14, Su 15) at 350.00: later wins
                    {
                        "property_id": pid,
                        "rate_plan_id": h.twin_bar,
                        "date_from": "2026-11-09",
                        "date_to": "2026-11-15",
                        "rate": 30000,
                    },
                    {
                        "property_id": pid,
                        "rate_plan_id": h.twin_bar,
                        "date_from": "2026-11-09",
                        "date_to": "2026-11-15",
                        "days": ["sa", "su"],
                        "rate": "350.00",
                    },
                    {
                        "property_id": pid,
                        "rate_plan_id": h.twin_bar,
                        "date": "2026-11-10",
                        "min_stay_arrival": 3,
                        "stop_sell": 1,
                        "closed_to_arrival": True,
                        "max_stay": 4,
                    },
                    {
                        "property_id": pid,
                        "rate_plan_id": h.double_bar,
                        "date": "2026-11-29",
                        "rate": 45623,
                    },
                ]
            },
        )
        assert status == 200
        assert body["meta"] == {"message": "Success"}
        assert await read(api, "availability", pid, "2026-11-10", "2026-11-12") == {
            h.twin: {"2026-11-10": 3, "2026-11-11": 7, "2026-11-12": 3},
            h.double: {"2026-11-10": 0, "2026-11-11": 0, "2026-11-12": 0},
        }
        got = await read(api, "restrictions", pid, "2026-11-09", "2026-11-15")
        assert got[h.twin_bar] == {
            "2026-11-09": cell("300.00"),
            "2026-11-10": cell(
                "300.00", min_stay_arrival=3, stop_sell=True, closed_to_arrival=True, max_stay=4
            ),
            **{f"2026-11-{d}": cell("300.00") for d in (11, 12, 13)},
            "2026-11-14": cell("350.00"),
            "2026-11-15": cell("350.00"),
        }
        assert got[h.twin_bb]["2026-11-14"] == cell("120.00")  # untouched plan
        rates = await read(api, "restrictions", pid, "2026-11-29", "2026-11-29", "rate")
        assert rates[h.double_bar] == {"2026-11-29": {"rate": "456.23"}}
    oracle = emu.restrictions(pid)
    assert sorted(oracle[h.twin_bar]) == [date(2026, 11, d) for d in range(9, 16)]
    assert oracle[h.twin_bar][date(2026, 11, 14)]["rate"] == Decimal("350.00")
    assert emu.availability(pid)[h.twin] == {
        date(2026, 11, 10): 3,
        date(2026, 11, 11): 7,
        date(2026, 11, 12): 3,
    }


async def test_minor_units_follow_the_plan_currency_and_per_occupancy_rates() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api, currency="JPY")
        pid = h.property_id
        kwd = await api.created(
            "/rate_plans",
            "rate_plan",
            {
                "title": "KWD plan",
                "property_id": pid,
                "room_type_id": h.double,
                "currency": "KWD",
                "options": [{"occupancy": 2, "is_primary": True, "rate": 1000}],
            },
        )
        per_person = await api.created(
            "/rate_plans",
            "rate_plan",
            {
                "title": "Per person",
                "property_id": pid,
                "room_type_id": h.double,
                "sell_mode": "per_person",
                "options": [
                    {"occupancy": 1, "is_primary": False, "rate": 9000},
                    {"occupancy": 2, "is_primary": True, "rate": 11000},
                ],
            },
        )
        status, body = await api.post(
            "/restrictions",
            {
                "values": [
                    {
                        "property_id": pid,
                        "rate_plan_id": h.twin_bar,
                        "date": "2026-11-20",
                        "rate": 15000,
                    },
                    {"property_id": pid, "rate_plan_id": kwd, "date": "2026-11-20", "rate": 12345},
                    {
                        "property_id": pid,
                        "rate_plan_id": per_person,
                        "date": "2026-11-20",
                        "rates": [
                            {"occupancy": 1, "rate": 12100},
                            {"occupancy": 2, "rate": "13200"},
                        ],
                    },
                ]
            },
        )
        assert (status, body["meta"]) == (200, {"message": "Success"})
        rates = await read(api, "restrictions", pid, "2026-11-20", "2026-11-20", "rate")
        assert rates[h.twin_bar] == {"2026-11-20": {"rate": "15000"}}
        assert rates[kwd] == {"2026-11-20": {"rate": "12.345"}}
        assert rates[per_person] == {"2026-11-20": {"rate": "13200"}}  # the primary occupancy
    cells = emu.restrictions(pid)
    assert cells[per_person][date(2026, 11, 20)]["rates"] == {1: Decimal(12100), 2: Decimal(13200)}
    assert cells[kwd][date(2026, 11, 20)]["rates"] == {2: Decimal("12.345")}


async def test_bad_values_are_dropped_with_warnings_and_good_ones_apply() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        other = await make_hotel(api)
        pid = h.property_id
        good = {"property_id": pid, "rate_plan_id": h.twin_bar, "date": "2026-11-20", "rate": 20000}

        def value(**fields: Any) -> dict[str, Any]:
            return {"property_id": pid, "rate_plan_id": h.twin_bar, "date": "2026-11-21", **fields}

        bad: list[tuple[dict[str, Any], dict[str, list[str]]]] = [
            (value(date="2026-10-31", rate=100), {"date": ["can't be in the past"]}),
            (value(rate=0), {"rate": ["must be greater than 0"]}),
            (value(rate="abc"), {"rate": ["is invalid"]}),
            (value(rate=99.5), {"rate": ["is invalid"]}),
            (
                value(stop_sell=None, rate=100),
                {"stop_sell": ["Should be a non null value or not existed field"]},
            ),
            (
                value(rate_plan_id="4fd0c0a5-0000-0000-0000-000000000000", rate=100),
                {"rate_plan_id": ["not found"]},
            ),
            (value(rate_plan_id=other.twin_bar, rate=100), {"rate_plan_id": ["not found"]}),
            (value(property_id=other.property_id, rate=100), {"rate_plan_id": ["not found"]}),
            (
                value(min_stay_arrival=0),
                {"min_stay_arrival": ["must be greater than or equal to 1"]},
            ),
            (value(min_stay_through="2"), {"min_stay_through": ["is invalid"]}),
            (value(max_stay=-1), {"max_stay": ["must be greater than or equal to 0"]}),
            (value(stop_sell="yes"), {"stop_sell": ["is invalid"]}),
            (value(closed_to_arrival=2), {"closed_to_arrival": ["is invalid"]}),
            (
                value(min_stay=2),
                {"min_stay": ["is not allowed when property min_stay_type is both"]},
            ),
            (
                {
                    "property_id": pid,
                    "rate_plan_id": h.twin_bar,
                    "date_from": "2026-11-22",
                    "date_to": "2026-11-21",
                    "rate": 100,
                },
                {"date_to": ["must be greater than or equal to date_from"]},
            ),
            (
                {"property_id": pid, "rate_plan_id": h.twin_bar, "rate": 100},
                {"date": ["can't be blank"]},
            ),
            (value(date="21/11/2026", rate=100), {"date": ["is invalid"]}),
            (value(days=["xx"], rate=100), {"days": ["is invalid"]}),
            (value(), {"value": ["should contain at least one rate or restriction"]}),
        ]
        status, body = await api.post("/restrictions", {"values": [good] + [v for v, _ in bad]})
        assert status == 200
        assert len(body["data"]) == 1
        assert body["meta"]["warnings"] == [{**v, "warning": w} for v, w in bad]
        got = await read(api, "restrictions", pid, "2026-11-20", "2026-11-21", "rate,stop_sell")
        assert got[h.twin_bar] == {
            "2026-11-20": {"rate": "200.00", "stop_sell": False},
            "2026-11-21": {"rate": "100.00", "stop_sell": False},
        }
        avail_bad: list[tuple[Any, dict[str, list[str]]]] = [
            (
                {
                    "property_id": pid,
                    "room_type_id": h.twin,
                    "date": "2026-11-20",
                    "availability": -1,
                },
                {"availability": ["must be greater than or equal to 0"]},
            ),
            (
                {
                    "property_id": pid,
                    "room_type_id": h.twin,
                    "date": "2026-11-20",
                    "availability": "3",
                },
                {"availability": ["is invalid"]},
            ),
            (
                {
                    "property_id": pid,
                    "room_type_id": h.twin,
                    "date": "2026-11-20",
                    "availability": 1.5,
                },
                {"availability": ["is invalid"]},
            ),
            (
                {"property_id": pid, "room_type_id": h.twin, "date": "2026-11-20"},
                {"availability": ["can't be blank"]},
            ),
            (
                {
                    "property_id": pid,
                    "room_type_id": other.twin,
                    "date": "2026-11-20",
                    "availability": 1,
                },
                {"room_type_id": ["not found"]},
            ),
            ("garbage", {"value": ["is invalid"]}),
        ]
        status, body = await api.post("/availability", {"values": [v for v, _ in avail_bad]})
        assert status == 200
        assert body["data"] == []  # everything rejected: no task
        expected = [
            {**v, "warning": w} if isinstance(v, dict) else {"value": v, "warning": w}
            for v, w in avail_bad
        ]
        assert body["meta"]["warnings"] == expected
    assert emu.availability(pid) == {h.twin: {}, h.double: {}}


async def test_min_stay_alias_follows_property_min_stay_type() -> None:
    async with running(emulator()) as api:
        h = await make_hotel(api, settings={"min_stay_type": "through"})
        status, body = await api.post(
            "/restrictions",
            {
                "values": [
                    {
                        "property_id": h.property_id,
                        "rate_plan_id": h.twin_bar,
                        "date": "2026-11-21",
                        "min_stay": 3,
                    },
                ]
            },
        )
        assert (status, body["meta"]) == (200, {"message": "Success"})
        got = await read(
            api,
            "restrictions",
            h.property_id,
            "2026-11-21",
            "2026-11-21",
            "min_stay_arrival,min_stay_through,min_stay",
        )
        assert got[h.twin_bar] == {
            "2026-11-21": {"min_stay_arrival": 1, "min_stay_through": 3, "min_stay": 3}
        }


async def test_malformed_requests_answer_400_and_huge_bodies_413() -> None:
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        bad_request = {"code": "bad_request", "title": "Bad Request"}
        assert await api.post("/restrictions", {"value": []}) == (
            400,
            {"errors": {**bad_request, "details": ["values is required"]}},
        )
        assert await api.call("POST", "/availability", data=b"{not json") == (
            400,
            {"errors": {**bad_request, "details": ["body is not valid JSON"]}},
        )
        assert await api.get("/availability", **{"filter[property_id]": h.property_id}) == (
            400,
            {"errors": {**bad_request, "details": ["date is required"]}},
        )
        assert await api.get(
            "/restrictions", **{"filter[property_id]": h.property_id, "filter[date]": "2026-11-21"}
        ) == (400, {"errors": {**bad_request, "details": ["restrictions is required"]}})
        _, one_day = await api.get(
            "/availability", **{"filter[property_id]": h.property_id, "filter[date]": "2026-11-21"}
        )
        assert one_day["data"] == {h.twin: {"2026-11-21": 0}, h.double: {"2026-11-21": 0}}
        huge = b'{"values": [], "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
        assert await api.call("POST", "/restrictions", data=huge) == (
            413,
            {"errors": {"code": "request_entity_too_large", "title": "Request Entity Too Large"}},
        )
    assert emu.calls("POST", "/restrictions")[-1].status == 413


async def test_an_availability_answer_may_carry_only_meta() -> None:
    """Real Channex: an availability success may have no `data` (no task id) at all."""
    emu = emulator()
    async with running(emu) as api:
        h = await make_hotel(api)
        status, settings = await api.call(
            "PUT", "/_control/settings", {"availability_task_ids": False}
        )
        value = {"property_id": h.property_id, "room_type_id": h.twin, "date": "2026-11-11"}
        ok = await api.post("/availability", {"values": [{**value, "availability": 3}]})
        bad = await api.post("/availability", {"values": [{**value, "availability": -1}]})
        restrictions = await api.post(
            "/restrictions",
            {"values": [{"property_id": h.property_id, "rate_plan_id": h.twin_bar,
                         "date": "2026-11-11", "rate": "120.00"}]},
        )  # fmt: skip
    assert (status, settings["availability_task_ids"]) == (200, False)
    assert ok == (200, {"meta": {"message": "Success"}})
    assert bad[0] == 200 and set(bad[1]) == {"meta"}
    assert [w["warning"] for w in bad[1]["meta"]["warnings"]] == [
        {"availability": ["must be greater than or equal to 0"]}
    ]
    assert [t["type"] for t in restrictions[1]["data"]] == ["task"]  # restrictions keep theirs
    assert emu.availability(h.property_id)[h.twin] == {date(2026, 11, 11): 3}


async def test_an_edit_in_the_channex_ui_changes_cells_and_sends_the_ari_webhook() -> None:
    emu = ChannexEmulator(today=lambda: date(2026, 11, 1), webhook_retry_backoff_s=0.01)
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        await hook(api, rec, "ari", h.property_id, event_mask="ari", is_active=True, send_data=True)
        emu.reset_requests()
        status, body = await api.post(
            "/_control/ari/restrictions",
            {
                "values": [
                    {
                        "property_id": h.property_id,
                        "rate_plan_id": h.twin_bar,
                        "date_from": "2026-11-21",
                        "date_to": "2026-11-22",
                        "rate": "250.00",
                        "stop_sell": True,
                    }
                ]
            },
        )
        refused, problem = await api.post(
            "/_control/ari/availability",
            {"values": [{"property_id": h.property_id, "room_type_id": h.twin, "date": "x"}]},
        )
        await emu.deliver_pending()
    expected = [
        {
            "date": day,
            "room_type_id": h.twin,
            "rate_plan_id": h.twin_bar,
            "rate": "250.00",
            "stop_sell": True,
        }
        for day in ("2026-11-21", "2026-11-22")
    ]
    assert (status, body) == (200, {"payload": expected})
    assert refused == 400 and "value refused" in problem["error"]
    [delivered] = rec.got
    assert delivered["json"]["event"] == "ari"
    assert delivered["json"]["payload"] == expected
    assert delivered["json"]["user_id"] is not None
    cell = emu.restrictions(h.property_id)[h.twin_bar][date(2026, 11, 22)]
    assert (cell["rate"], cell["stop_sell"]) == (Decimal("250.00"), True)
    assert emu.requests == []  # a UI edit is not an API call
