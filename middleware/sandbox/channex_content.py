"""Emulated content routes: properties and room types (rate plans live in channex_rate_plans)."""

from __future__ import annotations

import uuid
from typing import Any

from middleware.sandbox import channex_http as http
from middleware.sandbox.channex_checks import INVALID, Checks
from middleware.sandbox.channex_state import ChannexState, JsonObject, is_timezone

MIN_STAY_TYPES = ("both", "arrival", "through")
ROOM_KINDS = ("room", "dorm")
PROPERTY_SETTINGS: JsonObject = {
    "min_stay_type": "both",
    "allow_availability_autoupdate_on_confirmation": True,
    "allow_availability_autoupdate_on_modification": False,
    "allow_availability_autoupdate_on_cancellation": False,
    "state_length": 500,
    "min_price": None,
    "max_price": None,
    "cut_off_time": "00:00:00",
    "cut_off_days": 0,
    "max_day_advance": None,
}
PROPERTY_DEFAULTS: JsonObject = {
    "email": None,
    "phone": None,
    "zip_code": None,
    "country": None,
    "state": None,
    "city": None,
    "address": None,
    "longitude": None,
    "latitude": None,
    "timezone": "UTC",
    "facilities": [],
    "property_type": "hotel",
    "group_id": None,
    "content": {"description": None, "important_information": None, "photos": []},
    "logo_url": None,
    "website": None,
    "is_active": True,
}
ROOM_TYPE_DEFAULTS: JsonObject = {
    "facilities": [],
    "room_kind": "room",
    "capacity": None,
    "content": {"description": None, "photos": []},
}
ROOM_TYPE_FIELDS = (
    "title",
    "count_of_rooms",
    "occ_adults",
    "occ_children",
    "occ_infants",
    "default_occupancy",
    *ROOM_TYPE_DEFAULTS,
)
PROPERTY_FIELDS = ("title", "currency", "settings", *PROPERTY_DEFAULTS)


def property_resource(row: JsonObject) -> JsonObject:
    return http.resource("property", dict(row))


def room_type_resource(row: JsonObject) -> JsonObject:
    attrs = {k: v for k, v in row.items() if k != "property_id"}
    return http.resource("room_type", attrs, {"property": ("property", row["property_id"])})


def _check_property(attrs: JsonObject, *, partial: bool) -> None:
    checks = Checks(attrs, partial=partial)
    checks.title()
    checks.currency()
    checks.string("country")
    if isinstance(attrs.get("timezone"), str) and not is_timezone(attrs["timezone"]):
        checks.add("timezone", INVALID)
    else:
        checks.string("timezone")
    checks.mapping("settings")
    settings = attrs.get("settings")
    if isinstance(settings, dict) and settings.get("min_stay_type", "both") not in MIN_STAY_TYPES:
        checks.add("settings.min_stay_type", "is not included in the list")
    checks.raise_if_any()


def _merge_property(row: JsonObject, attrs: JsonObject) -> None:
    for name in PROPERTY_FIELDS:
        if name == "settings" and isinstance(attrs.get("settings"), dict):
            row["settings"] = {**row["settings"], **attrs["settings"]}
        elif name in attrs:
            row[name] = attrs[name]


def _check_room_type(state: ChannexState, attrs: JsonObject, *, partial: bool) -> None:
    checks = Checks(attrs, partial=partial)
    if not partial:
        checks.string("property_id", required=True)
        if isinstance(attrs.get("property_id"), str) and attrs["property_id"] not in (
            state.properties
        ):
            checks.add("property_id", "not found")
    checks.title()
    checks.integer("count_of_rooms", minimum=1)
    adults = checks.integer("occ_adults", minimum=1)
    checks.integer("occ_children", minimum=0)
    checks.integer("occ_infants", minimum=0)
    default = checks.integer("default_occupancy", minimum=1)
    if adults is not None and default is not None and default > adults:
        checks.add("default_occupancy", f"must be less than or equal to {adults}")
    checks.one_of("room_kind", ROOM_KINDS)
    checks.raise_if_any()


def endpoints(state: ChannexState) -> list[http.Endpoint]:
    async def list_properties(call: http.Call) -> http.Reply:
        rows = list(state.properties.values())
        for name in ("id", "title", "is_active"):
            wanted = http.filter_values(call, name)
            if wanted is not None:
                rows = [r for r in rows if str(r[name]).lower() in {w.lower() for w in wanted}]
        page, meta = http.paginate(call, http.ordered(rows, call, "title"))
        return http.reply([property_resource(r) for r in page], meta=meta)

    async def property_options(call: http.Call) -> http.Reply:
        rows = http.ordered(list(state.properties.values()), call, "title")
        keys = ("id", "title", "currency")
        return http.reply([http.resource("property", {k: r[k] for k in keys}) for r in rows])

    async def get_property(call: http.Call) -> http.Reply:
        row = state.find(state.properties, call.params["id"])
        return http.reply(property_resource(row), property_ids=(row["id"],))

    async def create_property(call: http.Call) -> http.Reply:
        attrs = http.write_body(call, "property")
        _check_property(attrs, partial=False)
        row: JsonObject = {"id": str(uuid.uuid4()), **PROPERTY_DEFAULTS}
        row["settings"] = dict(PROPERTY_SETTINGS)
        _merge_property(row, attrs)
        state.properties[row["id"]] = row
        return http.reply(property_resource(row), status=201, property_ids=(row["id"],))

    async def update_property(call: http.Call) -> http.Reply:
        row = state.find(state.properties, call.params["id"])
        attrs = http.write_body(call, "property")
        _check_property(attrs, partial=True)
        _merge_property(row, attrs)
        return http.reply(property_resource(row), property_ids=(row["id"],))

    async def delete_property(call: http.Call) -> http.Reply:
        row = state.find(state.properties, call.params["id"])
        for room_type_id in [
            k for k, v in state.room_types.items() if v["property_id"] == row["id"]
        ]:
            _drop_room_type(state, room_type_id)
        del state.properties[row["id"]]
        return http.success((row["id"],))

    async def list_room_types(call: http.Call) -> http.Reply:
        rows = _filtered(state.room_types.values(), call)
        page, meta = http.paginate(call, http.ordered(rows, call, "title"))
        return http.reply([room_type_resource(r) for r in page], meta=meta)

    async def room_type_options(call: http.Call) -> http.Reply:
        rows = http.ordered(_filtered(state.room_types.values(), call), call, "title")
        keys = ("id", "property_id", "title", "default_occupancy")
        return http.reply([http.resource("room_type", {k: r[k] for k in keys}) for r in rows])

    async def get_room_type(call: http.Call) -> http.Reply:
        row = state.find(state.room_types, call.params["id"])
        return http.reply(room_type_resource(row), property_ids=(row["property_id"],))

    async def create_room_type(call: http.Call) -> http.Reply:
        attrs = http.write_body(call, "room_type")
        _check_room_type(state, attrs, partial=False)
        row: JsonObject = {"id": str(uuid.uuid4()), "property_id": attrs["property_id"]}
        row.update(ROOM_TYPE_DEFAULTS)
        row.update({k: attrs[k] for k in ROOM_TYPE_FIELDS if k in attrs})
        state.room_types[row["id"]] = row
        state.availability[row["id"]] = {}
        return http.reply(room_type_resource(row), status=201, property_ids=(row["property_id"],))

    async def update_room_type(call: http.Call) -> http.Reply:
        row = state.find(state.room_types, call.params["id"])
        attrs = http.write_body(call, "room_type")
        _check_room_type(state, {**row, **attrs}, partial=True)
        row.update({k: attrs[k] for k in ROOM_TYPE_FIELDS if k in attrs})
        return http.reply(room_type_resource(row), property_ids=(row["property_id"],))

    async def delete_room_type(call: http.Call) -> http.Reply:
        row = state.find(state.room_types, call.params["id"])
        _drop_room_type(state, row["id"])
        return http.success((row["property_id"],))

    E = http.Endpoint
    return [
        E(method="GET", path="/properties", handler=list_properties),
        E(method="GET", path="/properties/options", handler=property_options),
        E(method="POST", path="/properties", handler=create_property),
        E(method="GET", path="/properties/{id}", handler=get_property),
        E(method="PUT", path="/properties/{id}", handler=update_property),
        E(method="DELETE", path="/properties/{id}", handler=delete_property),
        E(method="GET", path="/room_types", handler=list_room_types),
        E(method="GET", path="/room_types/options", handler=room_type_options),
        E(method="POST", path="/room_types", handler=create_room_type),
        E(method="GET", path="/room_types/{id}", handler=get_room_type),
        E(method="PUT", path="/room_types/{id}", handler=update_room_type),
        E(method="DELETE", path="/room_types/{id}", handler=delete_room_type),
    ]


def _filtered(rows: Any, call: http.Call) -> list[JsonObject]:
    out = list(rows)
    wanted = http.filter_values(call, "property_id")
    if wanted is not None:
        out = [r for r in out if r["property_id"] in wanted]
    return out


def _drop_room_type(state: ChannexState, room_type_id: str) -> None:
    for plan_id in [k for k, v in state.rate_plans.items() if v["room_type_id"] == room_type_id]:
        del state.rate_plans[plan_id]
        state.cells.pop(plan_id, None)
    del state.room_types[room_type_id]
    state.availability.pop(room_type_id, None)
