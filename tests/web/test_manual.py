"""Manual test routes (`/admin/channex/validate-ids`, `/admin/channex/test/*`): who may call
them, what they refuse, what reaches the Channex emulator, the rate limit, and that the PMS
values are pushed again afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from middleware.domain.models import Lane
from middleware.sandbox.faults import FaultPlan
from middleware.store.sqlite import ari_state as sqlite_ari_state
from middleware.store.sqlite.store import SqliteStore
from tests.flow.harness import System, start_system
from tests.flow.oracle import ari_differences
from tests.web.test_sync_routes import ADMIN, serve

D = date.fromisoformat
TODAY = D("2026-10-31")  # the flow harness clock's hotel date
ROUTES = [
    ("GET", "/admin/channex/validate-ids"),
    ("POST", "/admin/channex/test/availability"),
    ("POST", "/admin/channex/test/rate"),
]


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_manual_routes_need_the_admin_token(tmp_path: Path, method: str, path: str) -> None:
    async with serve(tmp_path, ADMIN_TOKEN=None) as off:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        async with off.session.request(method, off.url + path, headers=headers) as response:
            assert response.status == 403
    async with serve(tmp_path) as app:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            async with app.session.request(method, app.url + path, headers=headers) as response:
                assert response.status == 401
                assert await response.json() == {
                    "error": "a valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required"
                }


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_manual_routes_answer_503_while_the_integration_is_disabled(
    tmp_path: Path, method: str, path: str
) -> None:
    async with serve(tmp_path, CHANNEX_ENABLED="false", CHANNEX_API_KEY=None) as app:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        async with app.session.request(method, app.url + path, headers=headers) as response:
            assert response.status == 503
            assert await response.json() == {"error": "Channex integration is disabled"}


# --------------------------------------------------------------------------- refusals

REFUSALS = [
    (
        "availability",
        b'{"date_from": "2000-01-01", "date_to": "2000-01-03"}',
        "date_from 2000-01-01 is in the past (today at the hotel is {today})",
    ),
    (
        "rate",
        b'{"date_from": "2000-01-01"}',
        "date_from 2000-01-01 is in the past (today at the hotel is {today})",
    ),
    (
        "availability",
        b'{"date_from": "{plus3}", "date_to": "{plus1}"}',
        "'date_to' is before 'date_from'",
    ),
    ("availability", b'{"date_to": "{far}"}', "date_to {far} is beyond the sync horizon"),
    ("availability", b'{"categoria": "xyz"}', "categoria 'xyz' is not mapped; mapped: lvu, ov"),
    ("rate", b'{"plano": "vip"}', "plano 'vip' is not mapped for lvu; mapped: padrao"),
    ("availability", b'{"availability": -1}', "'availability' must be an integer >= 0"),
    ("availability", b'{"availability": 1.5}', "'availability' must be an integer >= 0"),
    ("rate", b'{"rate": "0"}', "'rate' must be an amount > 0, got '0'"),
    ("rate", b'{"rate": "abc"}', "'rate' must be an amount > 0, got 'abc'"),
    ("rate", b'{"rate": true}', "'rate' must be a decimal string such as \"150.00\""),
    ("rate", b'{"date_from": 20261231}', "'date_from' must be a date string YYYY-MM-DD"),
    ("rate", b"[1]", "body must be a JSON object"),
    ("rate", b"{", "body is not valid JSON"),
    (
        "availability",
        b'{"rate": "1.00"}',
        "unknown keys ['rate']; allowed: ['availability', 'categoria', 'date_from', 'date_to',"
        " 'property']",
    ),
]


@pytest.mark.parametrize(("route", "body", "error"), REFUSALS)
async def test_bad_test_pushes_are_refused_with_the_reason(
    tmp_path: Path, route: str, body: bytes, error: str
) -> None:
    async with serve(tmp_path) as app:
        today = datetime.now(UTC).astimezone(app.context.runtime.mapping.properties[0].zone).date()
        horizon_end = today + timedelta(days=499)
        far = (today + timedelta(days=500)).isoformat()
        fill = {
            "{today}": today.isoformat(),
            "{plus1}": (today + timedelta(days=1)).isoformat(),
            "{plus3}": (today + timedelta(days=3)).isoformat(),
            "{far}": far,
        }
        for key, value in fill.items():
            body = body.replace(key.encode(), value.encode())
            error = error.replace(key, value)
        if "sync horizon" in error:
            error += f" (CHANNEX_SYNC_DAYS: {horizon_end})"
        status, answer, _ = await app.post(f"/admin/channex/test/{route}", body, token=ADMIN)
        assert (status, answer) == (422, {"error": error})
        assert await app.store.sync_requests.pending_count() == 0


# --------------------------------------------------------------------------- pushes


def _ids(system: System) -> tuple[str, str, str]:
    return system.property_id, system.room_type_id("lvu"), system.rate_plan_id("lvu", "padrao")


async def _go_live(system: System) -> None:
    await system.full_sync()
    system.channex.reset_requests()


async def test_availability_push_with_defaults_reaches_channex_then_the_pms_value_returns(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path) as system:
        await _go_live(system)
        property_id, room_type_id, _ = _ids(system)
        status, body = await system.admin("POST", "/admin/channex/test/availability")
        sent = {
            "property_id": property_id,
            "date_from": "2026-10-31",
            "date_to": "2026-11-07",
            "room_type_id": room_type_id,
            "availability": 1,
        }
        assert status == 200
        task_ids = body["channex"]["task_ids"]
        assert len(task_ids) == 1
        assert body == {
            "sent": {"endpoint": "/availability", "values": [sent]},
            "channex": {"status": 200, "task_ids": task_ids, "warnings": []},
            "restore": {
                "sync_request_id": body["restore"]["sync_request_id"],
                "note": "the PMS values for these dates are pushed again on the next sync pass",
            },
        }
        assert system.posts("availability")[0] == {"values": [sent]}
        assert system.channex.availability(property_id, TODAY, D("2026-11-07"))[room_type_id] == {
            TODAY + timedelta(days=n): 1 for n in range(8)
        }
        await system.settle()
        restored = system.posts("availability")[1:]
        assert len(restored) == 1
        assert {v["room_type_id"] for v in restored[0]["values"]} == {room_type_id}
        assert ari_differences(system, days=30) == []


async def test_rate_push_sends_the_given_values_then_the_pms_rates_return(tmp_path: Path) -> None:
    async with start_system(tmp_path) as system:
        await _go_live(system)
        body = {
            "categoria": "ov",
            "plano": "padrao",
            "date_from": "2026-11-10",
            "date_to": "2026-11-12",
            "rate": "150.00",
        }
        status, answer = await system.admin("POST", "/admin/channex/test/rate", body)
        rate_plan_id = system.rate_plan_id("ov", "padrao")
        sent: dict[str, Any] = {
            "property_id": system.property_id,
            "date_from": "2026-11-10",
            "date_to": "2026-11-12",
            "rate_plan_id": rate_plan_id,
            "rate": 15000,
        }
        assert status == 200
        assert answer["sent"] == {"endpoint": "/restrictions", "values": [sent]}
        assert system.posts("restrictions") == [{"values": [sent]}]
        held = system.channex.restrictions(system.property_id, D("2026-11-10"), D("2026-11-12"))
        assert {d: c["rate"] for d, c in held[rate_plan_id].items()} == {
            D("2026-11-10"): 150,
            D("2026-11-11"): 150,
            D("2026-11-12"): 150,
        }
        await system.settle()
        assert len(system.posts("restrictions")) == 2
        assert system.posts("availability") == []
        assert ari_differences(system, days=30) == []


async def test_a_full_lane_window_answers_429_with_the_time_it_frees(tmp_path: Path) -> None:
    async with start_system(tmp_path) as system:
        await _go_live(system)
        store = system.context.runtime.store
        lane = Lane(system.property_id, "restrictions")
        system.clock.advance(61)  # the full sync's call leaves the window
        first = system.clock()
        for n in range(10):
            moment = first + timedelta(seconds=n)
            assert await store.lanes.reserve_call(lane, moment, limit=10) is None
        system.clock.advance(10)
        status, body = await system.admin("POST", "/admin/channex/test/rate")
        frees = first + timedelta(seconds=60)
        assert status == 429
        assert body == {
            "error": "the restrictions rate limit (10 calls a minute) is used up",
            "retry_at": frees.isoformat(),
            "retry_after_s": body["retry_after_s"],
        }
        assert 49 <= body["retry_after_s"] <= 51
        assert system.posts("restrictions") == []
        assert await store.sync_requests.pending_count() == 0
        status, _ = await system.admin("POST", "/admin/channex/test/availability")
        assert status == 200  # the other lane has its own window


async def test_a_429_from_channex_pauses_the_lane(tmp_path: Path) -> None:
    async with start_system(tmp_path) as system:
        await _go_live(system)
        system.channex.faults = FaultPlan(1, p_429=1.0)
        status, body = await system.admin("POST", "/admin/channex/test/availability")
        assert status == 429
        assert body["error"] == "Channex answered 429 Too Many Requests"
        assert body["retry_after_s"] == 60
        system.channex.faults = None
        status, again = await system.admin("POST", "/admin/channex/test/availability")
        assert status == 429
        assert again["error"] == "Channex paused the availability lane (429)"
        assert again["retry_at"] == body["retry_at"]


# --------------------------------------------------------------------------- validate ids


def _expected_report(system: System, missing: str | None = None) -> dict[str, Any]:
    prop = system.mapping.properties[0]
    return {
        "property_id": prop.property_id,
        "name": prop.name,
        "found": True,
        "room_types": [
            {
                "categoria": r.room_code,
                "room_type_id": r.room_type_id,
                "found": r.room_type_id != missing,
            }
            for r in prop.room_types
        ],
        "rate_plans": [
            {
                "categoria": r.room_code,
                "plano": p.plan_code,
                "rate_plan_id": p.rate_plan_id,
                "found": True,
            }
            for r in prop.room_types
            for p in r.rate_plans
        ],
    }


async def test_validate_ids_names_every_id_found_or_missing(tmp_path: Path) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        status, body = await system.admin("GET", "/admin/channex/validate-ids")
        assert (status, body) == (200, {"ok": True, "properties": [_expected_report(system)]})
        gone = system.room_type_id("double")
        del system.channex.state.room_types[gone]
        status, body = await system.admin("GET", "/admin/channex/validate-ids")
        assert (status, body) == (
            200,
            {"ok": False, "properties": [_expected_report(system, missing=gone)]},
        )
        system.channex.revoke_key()
        status, body = await system.admin("GET", "/admin/channex/validate-ids")
        assert (status, body) == (
            502,
            {"error": "Channex rejected the API key", "channex_status": 401},
        )


# --------------------------------------------------------------------------- ari_state.forget


async def test_forget_drops_only_the_given_entities_and_days(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "m.db")
    try:
        lane = Lane("p1", "availability")
        now = datetime(2026, 10, 31, tzinfo=UTC)
        texts = {
            (entity, day, "availability"): "3"
            for entity in ("rt-a", "rt-b")
            for day in ("2026-11-01", "2026-11-02", "2026-11-03")
        }
        async with store.db.transaction() as conn:
            await sqlite_ari_state.write_in(conn, lane, texts, now)
            await sqlite_ari_state.write_in(conn, Lane("p2", "availability"), texts, now)
        removed = await store.ari_state.forget(lane, ["rt-a"], D("2026-11-02"), D("2026-11-03"))
        assert removed == 2
        left = await store.ari_state.acked(lane, None, D("2026-11-01"), D("2026-11-03"))
        assert sorted((k.entity_id, k.day.isoformat()) for k in left) == [
            ("rt-a", "2026-11-01"),
            ("rt-b", "2026-11-01"),
            ("rt-b", "2026-11-02"),
            ("rt-b", "2026-11-03"),
        ]
        other = await store.ari_state.acked(
            Lane("p2", "availability"), None, D("2026-11-01"), D("2026-11-03")
        )
        assert len(other) == 6
        assert await store.ari_state.forget(lane, [], D("2026-11-01"), D("2026-11-03")) == 0
    finally:
        await store.close()
