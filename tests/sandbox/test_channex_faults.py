"""Channex emulator fault injection: seeded, reproducible, counted, settable at runtime."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.faults import FaultInjector, FaultPlan
from tests.sandbox.channex_harness import Hotel, Receiver, hook, make_hotel, receiver, running, stay

TODAY = date(2026, 11, 1)


async def statuses_for(plan: FaultPlan, calls: int = 40) -> tuple[list[int], dict[str, int]]:
    emu = ChannexEmulator(today=lambda: TODAY)
    async with running(emu) as api:
        emu.faults = plan
        for _ in range(calls):
            await api.get("/properties")
    return [r.status for r in emu.requests], dict(emu.fault_counts)


async def test_same_seed_gives_the_same_fault_sequence() -> None:
    plan = FaultPlan(7, p_429=0.2, p_5xx=0.2)
    first, counts = await statuses_for(plan)
    again, counts_again = await statuses_for(FaultPlan(seed=7, p_429=0.2, p_5xx=0.2))
    other, _ = await statuses_for(FaultPlan(8, p_429=0.2, p_5xx=0.2))
    assert first == again
    assert counts == counts_again
    assert first != other
    assert counts == {"429": first.count(429), "5xx": first.count(500)}
    assert counts["429"] > 0 and counts["5xx"] > 0
    assert set(first) == {200, 429, 500}


def test_injector_answers_depend_only_on_seed_and_question_order() -> None:
    def run() -> list[Any]:
        injector = FaultInjector(FaultPlan(3, p_429=0.3, p_drop_webhook=0.3, p_warning=0.5))
        return [
            (injector.api_call(), injector.webhook_delivery(), injector.rejection_index(4))
            for _ in range(20)
        ]

    assert run() == run()
    assert FaultInjector().api_call().status is None  # no plan: no faults
    with pytest.raises(ValueError, match="p_5xx"):
        FaultPlan(1, p_5xx=1.5)


async def test_injected_429_and_500_bodies_and_slow_answers_are_counted() -> None:
    emu = ChannexEmulator(today=lambda: TODAY, faults=FaultPlan(1, p_429=1.0))
    async with running(emu) as api:
        assert await api.get("/properties") == (
            429,
            {"errors": {"code": "http_too_many_requests", "title": "Too Many Requests"}},
        )
        emu.faults = FaultPlan(1, p_5xx=1.0, p_slow=1.0, slow_s=0.01)
        assert await api.get("/properties") == (
            500,
            {"errors": {"code": "internal_server_error", "title": "Internal Server Error"}},
        )
        emu.faults = None
        assert (await api.get("/properties"))[0] == 200
    assert emu.fault_counts == {}  # a new plan starts new counts
    assert [r.status for r in emu.requests] == [429, 500, 200]


async def test_injected_429_on_ari_counts_for_the_rate_limit_oracle() -> None:
    emu = ChannexEmulator(today=lambda: TODAY)
    async with running(emu) as api:
        h = await make_hotel(api)
        emu.faults = FaultPlan(1, p_429=1.0)
        value = {"property_id": h.property_id, "room_type_id": h.twin, "date": "2026-11-21"}
        status, _ = await api.post("/availability", {"values": [{**value, "availability": 1}]})
    assert status == 429
    assert emu.max_calls_in_any_window(h.property_id, "/availability") == 1
    assert emu.max_calls_in_any_window(h.property_id, "/availability", accepted_only=True) == 0
    assert emu.calls("POST", "/availability")[0].property_id == h.property_id


async def test_partial_rejection_drops_one_value_with_a_warning() -> None:
    emu = ChannexEmulator(today=lambda: TODAY)
    async with running(emu) as api:
        h = await make_hotel(api)
        emu.faults = FaultPlan(5, p_warning=1.0)
        values = [
            {
                "property_id": h.property_id,
                "rate_plan_id": plan,
                "date": "2026-11-21",
                "rate": 20000,
            }
            for plan in (h.twin_bar, h.twin_bb, h.double_bar)
        ]
        status, body = await api.post("/restrictions", {"values": values})
    assert status == 200
    assert len(body["data"]) == 1
    [warning] = body["meta"]["warnings"]
    rejected = {k: v for k, v in warning.items() if k != "warning"}
    assert rejected in values
    assert warning["warning"] == {"value": ["rejected by the channel manager (injected fault)"]}
    stored = emu.restrictions(h.property_id)
    applied = {v["rate_plan_id"] for v in values if v != rejected}
    assert {plan for plan, cells in stored.items() if cells} == applied
    assert emu.fault_counts == {"warning": 1}


async def booking_with(plan: FaultPlan | None) -> tuple[ChannexEmulator, Receiver, Hotel]:
    emu = ChannexEmulator(today=lambda: TODAY, webhook_retry_backoff_s=0.01)
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        await hook(
            api, rec, "in", h.property_id, event_mask="booking_new", is_active=True, send_data=True
        )
        emu.faults = plan
        emu.create_booking(**stay(h))
        await emu.deliver_pending()
    return emu, rec, h


async def test_duplicate_and_dropped_webhooks() -> None:
    emu, rec, _ = await booking_with(FaultPlan(2, p_duplicate_webhook=1.0))
    assert rec.events("in") == ["booking_new", "booking_new"]
    assert rec.got[0]["json"] == rec.got[1]["json"]
    assert emu.fault_counts == {"webhook_duplicate": 1}
    emu, rec, _ = await booking_with(FaultPlan(2, p_drop_webhook=1.0))
    assert rec.got == []
    assert [event for _, event in emu.dropped_deliveries] == ["booking_new"]
    assert emu.fault_counts == {"webhook_drop": 1}


async def test_reordered_webhook_arrives_after_a_later_one() -> None:
    emu = ChannexEmulator(today=lambda: TODAY)
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        await hook(
            api, rec, "in", h.property_id, event_mask="booking_new", is_active=True, send_data=True
        )
        emu.faults = FaultPlan(4, p_reorder_webhook=1.0, reorder_delay_s=0.5)
        _, held_back = emu.create_booking(**stay(h))
        emu.faults = None
        _, prompt = emu.create_booking(**stay(h))
        await emu.deliver_pending()
    assert [g["json"]["payload"]["revision_id"] for g in rec.got] == [prompt, held_back]


async def test_control_route_sets_reads_and_clears_faults() -> None:
    emu = ChannexEmulator(today=lambda: TODAY)
    async with running(emu) as api:
        status, body = await api.call("PUT", "/_control/faults", {"seed": 9, "p_429": 1})
        assert status == 200
        assert body["plan"] == FaultPlan(9, p_429=1.0).to_json()
        assert (await api.get("/properties"))[0] == 429
        status, body = await api.get("/_control/faults")
        assert (body["counts"], body["log"]) == ({"429": 1}, ["429"])
        assert await api.call("PUT", "/_control/faults", {"seed": 9, "p_lag": 1}) == (
            400,
            {"error": "unknown fault settings: p_lag"},
        )
        status, body = await api.call("DELETE", "/_control/faults")
        assert body == {"plan": None, "counts": {}, "log": []}
        assert (await api.get("/properties"))[0] == 200
        status, log = await api.get("/_control/requests")
        assert [(r["path"], r["status"]) for r in log] == [
            ("/api/v1/properties", 429),
            ("/api/v1/properties", 200),
        ]
        assert (await api.call("DELETE", "/_control/requests"))[0] == 200
        assert emu.requests == []


async def test_partly_applied_push_answers_200_without_a_warning_and_stores_the_rest() -> None:
    emu = ChannexEmulator(today=lambda: TODAY)
    async with running(emu) as api:
        h = await make_hotel(api)
        emu.faults = FaultPlan(5, p_partial=1.0)
        values: list[dict[str, Any]] = [
            {"property_id": h.property_id, "rate_plan_id": plan, "date": "2026-11-21", "rate": r}
            for plan, r in ((h.twin_bar, 20100), (h.twin_bb, 20200), (h.double_bar, 20300))
        ]
        status, body = await api.post("/restrictions", {"values": values})
        _, read = await api.get(
            "/restrictions",
            **{
                "filter[property_id]": h.property_id,
                "filter[date]": "2026-11-21",
                "filter[restrictions]": "rate",
            },
        )
    assert status == 200
    assert "warnings" not in body["meta"] and len(body["data"]) == 1
    rates = {plan: read["data"][plan]["2026-11-21"]["rate"] for plan in read["data"]}
    written = {v["rate_plan_id"]: f"{v['rate'] / 100:.2f}" for v in values}
    kept = {plan: rate for plan, rate in written.items() if rates[plan] == rate}
    assert len(kept) == 2  # exactly one value silently not stored
    assert emu.fault_counts == {"partial": 1}


def test_a_plan_without_partial_draws_the_same_sequence_as_before() -> None:
    """Adding `p_partial` must not shift the faults an older seed produces."""
    plain = FaultInjector(FaultPlan(3, p_warning=0.5))
    asked = FaultInjector(FaultPlan(3, p_warning=0.5))
    first = [plain.rejection_index(4) for _ in range(20)]
    second = []
    for _ in range(20):
        second.append(asked.rejection_index(4))
        assert asked.silent_drop_index(4) is None
    assert first == second
