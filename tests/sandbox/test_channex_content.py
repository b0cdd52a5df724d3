"""Channex emulator: auth, content routes (properties, room types, rate plans) and webhooks CRUD."""

from __future__ import annotations

from middleware.sandbox.channex import ChannexEmulator
from tests.sandbox.channex_harness import running

UNAUTHORIZED = {"errors": {"code": "unauthorized", "title": "Unauthorized"}}
NOT_FOUND = {"errors": {"code": "resource_not_found", "title": "Resource Not Found"}}


def room_type(pid: str, title: str, **extra: object) -> dict[str, object]:
    return {
        "property_id": pid,
        "title": title,
        "count_of_rooms": 3,
        "occ_adults": 2,
        "occ_children": 1,
        "occ_infants": 1,
        "default_occupancy": 2,
        **extra,
    }


def validation(details: dict[str, list[str]]) -> dict[str, object]:
    return {"errors": {"code": "validation_error", "title": "Validation Error", "details": details}}


async def test_api_key_missing_wrong_revoked_and_rotated() -> None:
    emulator = ChannexEmulator(api_key="k1")
    async with running(emulator) as api:
        assert await api.call("GET", "/properties", key="") == (401, UNAUTHORIZED)
        assert await api.call("GET", "/properties", key="nope") == (401, UNAUTHORIZED)
        assert (await api.call("GET", "/properties", key="k1"))[0] == 200
        emulator.revoke_key()
        assert await api.call("GET", "/properties", key="k1") == (401, UNAUTHORIZED)
        status, _ = await api.call("POST", "/_control/api_key", {"api_key": "k2"})
        assert status == 200
        assert await api.call("GET", "/properties", key="k1") == (401, UNAUTHORIZED)
        assert (await api.call("GET", "/properties", key="k2"))[0] == 200
    assert [r.status for r in emulator.calls("GET", "/properties")] == [
        401,
        401,
        200,
        401,
        401,
        200,
    ]


async def test_property_create_read_update_and_not_found() -> None:
    emulator = ChannexEmulator()
    async with running(emulator) as api:
        status, created = await api.post(
            "/properties",
            {
                "property": {
                    "title": "Duke Beach",
                    "currency": "BRL",
                    "timezone": "America/Sao_Paulo",
                    "settings": {"min_stay_type": "arrival"},
                }
            },
        )
        assert status == 201
        data = created["data"]
        pid = data["id"]
        assert data["type"] == "property"
        attrs = data["attributes"]
        assert attrs["id"] == pid
        assert (attrs["title"], attrs["currency"], attrs["timezone"]) == (
            "Duke Beach",
            "BRL",
            "America/Sao_Paulo",
        )
        assert attrs["settings"]["min_stay_type"] == "arrival"
        assert attrs["settings"]["allow_availability_autoupdate_on_confirmation"] is True
        assert await api.get(f"/properties/{pid}") == (200, {"data": data})
        status, updated = await api.call(
            "PUT", f"/properties/{pid}", {"property": {"title": "Duke"}}
        )
        assert status == 200
        assert updated["data"]["attributes"] == {**attrs, "title": "Duke"}
        assert await api.get("/properties/00000000-0000-0000-0000-000000000000") == (404, NOT_FOUND)
        status, options = await api.get("/properties/options")
        assert options == {
            "data": [
                {
                    "type": "property",
                    "id": pid,
                    "attributes": {"id": pid, "title": "Duke", "currency": "BRL"},
                }
            ]
        }


async def test_missing_and_invalid_fields_answer_422_naming_each_field() -> None:
    async with running(ChannexEmulator()) as api:
        assert await api.post("/properties", {"property": {}}) == (
            422,
            validation({"title": ["can't be blank"], "currency": ["can't be blank"]}),
        )
        assert await api.post(
            "/properties", {"property": {"title": "x", "currency": "usd", "timezone": "Mars/Base"}}
        ) == (
            422,
            validation({"currency": ["is invalid"], "timezone": ["is invalid"]}),
        )
        assert await api.post("/properties", {"title": "unwrapped"}) == (
            400,
            {
                "errors": {
                    "code": "bad_request",
                    "title": "Bad Request",
                    "details": ["property is required"],
                }
            },
        )
        pid = await api.created("/properties", "property", {"title": "H", "currency": "USD"})
        status, body = await api.post("/room_types", {"room_type": {"property_id": pid}})
        assert (status, body) == (
            422,
            validation(
                {
                    "title": ["can't be blank"],
                    "count_of_rooms": ["can't be blank"],
                    "occ_adults": ["can't be blank"],
                    "occ_children": ["can't be blank"],
                    "occ_infants": ["can't be blank"],
                    "default_occupancy": ["can't be blank"],
                }
            ),
        )
        bad = room_type(pid, "Twin", count_of_rooms=0, default_occupancy=3)
        assert await api.post("/room_types", {"room_type": bad}) == (
            422,
            validation(
                {
                    "count_of_rooms": ["must be greater than or equal to 1"],
                    "default_occupancy": ["must be less than or equal to 2"],
                }
            ),
        )


async def test_rate_plan_rules_title_unique_room_type_in_property_occupancy() -> None:
    async with running(ChannexEmulator()) as api:
        pid = await api.created("/properties", "property", {"title": "H", "currency": "EUR"})
        other = await api.created("/properties", "property", {"title": "O", "currency": "EUR"})
        twin = await api.created("/room_types", "room_type", room_type(pid, "Twin"))
        foreign = await api.created("/room_types", "room_type", room_type(other, "Twin"))
        plan = {
            "title": "BAR",
            "property_id": pid,
            "room_type_id": twin,
            "options": [{"occupancy": 2, "is_primary": True, "rate": 9950}],
        }
        status, created = await api.post("/rate_plans", {"rate_plan": plan})
        assert status == 201
        attrs = created["data"]["attributes"]
        assert attrs["currency"] == "EUR"
        assert attrs["options"] == [
            {"occupancy": 2, "is_primary": True, "rate": "99.50", "derived_option": None}
        ]
        assert (attrs["sell_mode"], attrs["rate_mode"]) == ("per_room", "manual")
        assert created["data"]["relationships"]["room_type"] == {
            "data": {"type": "room_type", "id": twin}
        }
        assert await api.post("/rate_plans", {"rate_plan": plan}) == (
            422,
            validation({"title": ["has already been taken"]}),
        )
        assert await api.post(
            "/rate_plans", {"rate_plan": {**plan, "title": "B", "room_type_id": foreign}}
        ) == (
            422,
            validation({"room_type_id": ["not found"]}),
        )
        too_big = {**plan, "title": "C", "options": [{"occupancy": 3, "is_primary": True}]}
        assert await api.post("/rate_plans", {"rate_plan": too_big}) == (
            422,
            validation({"options": ["occupancy can't be greater than room type occupancy (2)"]}),
        )
        assert await api.post("/rate_plans", {"rate_plan": {"title": "D", "property_id": pid}}) == (
            422,
            validation({"room_type_id": ["can't be blank"], "options": ["can't be blank"]}),
        )
        # the same title in another property is fine
        again = {**plan, "property_id": other, "room_type_id": foreign}
        assert (await api.post("/rate_plans", {"rate_plan": again}))[0] == 201


async def test_lists_paginate_filter_by_property_and_options_return_all() -> None:
    async with running(ChannexEmulator()) as api:
        pid = await api.created("/properties", "property", {"title": "H", "currency": "USD"})
        other = await api.created("/properties", "property", {"title": "O", "currency": "USD"})
        ids = [
            await api.created("/room_types", "room_type", room_type(pid, f"Room {n:02d}"))
            for n in range(12)
        ]
        await api.created("/room_types", "room_type", room_type(other, "Elsewhere"))
        status, first = await api.get(
            "/room_types", **{"filter[property_id]": pid, "pagination[limit]": "5"}
        )
        assert status == 200
        assert first["meta"] == {"page": 1, "limit": 5, "total": 12}
        assert [item["id"] for item in first["data"]] == ids[:5]
        status, last = await api.get(
            "/room_types",
            **{"filter[property_id]": pid, "pagination[limit]": "5", "pagination[page]": "3"},
        )
        assert [item["id"] for item in last["data"]] == ids[10:]
        status, default = await api.get("/room_types")
        assert default["meta"] == {"page": 1, "limit": 10, "total": 13}
        status, capped = await api.get("/room_types", **{"pagination[limit]": "500"})
        assert capped["meta"] == {"page": 1, "limit": 100, "total": 13}
        status, options = await api.get("/room_types/options", **{"filter[property_id]": pid})
        assert "meta" not in options
        assert [o["attributes"] for o in options["data"]] == [
            {"id": rid, "property_id": pid, "title": f"Room {n:02d}", "default_occupancy": 2}
            for n, rid in enumerate(ids)
        ]
        assert await api.get("/room_types", **{"pagination[page]": "x"}) == (
            422,
            validation({"pagination[page]": ["is invalid"]}),
        )


async def test_rate_plan_options_endpoint_and_delete() -> None:
    async with running(ChannexEmulator()) as api:
        pid = await api.created("/properties", "property", {"title": "H", "currency": "USD"})
        twin = await api.created("/room_types", "room_type", room_type(pid, "Twin"))
        plan_id = await api.created(
            "/rate_plans",
            "rate_plan",
            {
                "title": "Per person",
                "property_id": pid,
                "room_type_id": twin,
                "sell_mode": "per_person",
                "options": [
                    {"occupancy": 1, "is_primary": False, "rate": 8000},
                    {"occupancy": 2, "is_primary": True, "rate": 10000},
                ],
            },
        )
        _, options = await api.get("/rate_plans/options", **{"filter[property_id]": pid})
        assert options["data"] == [
            {
                "type": "rate_plan",
                "id": plan_id,
                "attributes": {
                    "id": plan_id,
                    "parent_rate_plan_id": None,
                    "property_id": pid,
                    "room_type_id": twin,
                    "occupancy": 2,
                    "rate_category_id": None,
                    "sell_mode": "per_person",
                    "title": "Per person",
                },
            }
        ]
        assert await api.call("DELETE", f"/rate_plans/{plan_id}") == (
            200,
            {"meta": {"message": "Success"}},
        )
        assert await api.get(f"/rate_plans/{plan_id}") == (404, NOT_FOUND)


async def test_webhook_crud_defaults_and_event_mask_validation() -> None:
    async with running(ChannexEmulator()) as api:
        pid = await api.created("/properties", "property", {"title": "H", "currency": "USD"})
        hook = {
            "callback_url": "https://pms.example/hook",
            "event_mask": "booking;nope;ari",
            "property_id": pid,
        }
        assert await api.post("/webhooks", {"webhook": hook}) == (
            422,
            validation({"event_mask": ["contains unknown events: nope"]}),
        )
        assert await api.post("/webhooks", {"webhook": {"property_id": None}}) == (
            422,
            validation({"callback_url": ["can't be blank"], "event_mask": ["can't be blank"]}),
        )
        hook["event_mask"] = "booking_new;booking"
        status, created = await api.post("/webhooks", {"webhook": hook})
        assert status == 201
        wid = created["data"]["id"]
        assert created["data"]["attributes"] == {
            "id": wid,
            "callback_url": "https://pms.example/hook",
            "event_mask": "booking_new;booking",
            "property_id": pid,
            "is_global": False,
            "headers": {},
            "request_params": {},
            "is_active": False,
            "send_data": False,
            "protected": False,
        }
        status, updated = await api.call(
            "PUT", f"/webhooks/{wid}", {"webhook": {"is_active": True, "headers": {"X-S": "1"}}}
        )
        assert updated["data"]["attributes"]["is_active"] is True
        assert updated["data"]["attributes"]["headers"] == {"X-S": "1"}
        status, listed = await api.get("/webhooks")
        assert [w["id"] for w in listed["data"]] == [wid]
        assert listed["meta"] == {"page": 1, "limit": 10, "total": 1}
        assert (await api.call("DELETE", f"/webhooks/{wid}"))[0] == 200
        assert await api.get(f"/webhooks/{wid}") == (404, NOT_FOUND)
