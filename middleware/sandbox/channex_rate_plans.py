"""Emulated rate plan routes: title unique per property, occupancy options, default restrictions."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from middleware.sandbox import channex_http as http
from middleware.sandbox.channex_checks import INVALID, Checks
from middleware.sandbox.channex_state import (
    ChannexState,
    JsonObject,
    format_money,
    parse_money,
    primary_occupancy,
)

SELL_MODES = ("per_room", "per_person")
RATE_MODES = ("manual", "derived", "auto", "cascade")
MAX_PER_PERSON_OCCUPANCY = 18
DAYS_PER_WEEK = 7
INT_DEFAULTS = {"min_stay_arrival": 1, "min_stay_through": 1, "max_stay": 0}
BOOL_DEFAULTS = ("closed_to_arrival", "closed_to_departure", "stop_sell")
PLAN_DEFAULTS: JsonObject = {
    "sell_mode": "per_room",
    "rate_mode": "manual",
    "meal_type": "none",
    "parent_rate_plan_id": None,
    "tax_set_id": None,
    "auto_rate_settings": None,
    "children_fee": "0.00",
    "infant_fee": "0.00",
    **INT_DEFAULTS,
    **dict.fromkeys(BOOL_DEFAULTS, False),
}
WRITABLE: tuple[str, ...] = (
    "title",
    "sell_mode",
    "rate_mode",
    "meal_type",
    "parent_rate_plan_id",
    "tax_set_id",
    "auto_rate_settings",
    "children_fee",
    "infant_fee",
    *INT_DEFAULTS,
    *BOOL_DEFAULTS,
)
HIDDEN = ("property_id", "room_type_id")


def rate_plan_resource(row: JsonObject) -> JsonObject:
    attrs = {k: v for k, v in row.items() if k not in HIDDEN}
    relationships = {
        "property": ("property", row["property_id"]),
        "room_type": ("room_type", row["room_type_id"]),
        "parent_rate_plan": ("rate_plan", row["parent_rate_plan_id"]),
    }
    return http.resource("rate_plan", attrs, relationships)


def options_row(row: JsonObject) -> JsonObject:
    attrs = {k: row[k] for k in ("id", "parent_rate_plan_id", "property_id", "room_type_id")}
    attrs.update(
        occupancy=primary_occupancy(row),
        rate_category_id=None,
        sell_mode=row["sell_mode"],
        title=row["title"],
    )
    return http.resource("rate_plan", attrs)


def _check(state: ChannexState, attrs: JsonObject, *, own: JsonObject | None) -> list[JsonObject]:
    """Validate a create (own None) or update; returns the normalised options."""
    checks = Checks(attrs, partial=own is not None)
    property_id = own["property_id"] if own else attrs.get("property_id")
    if own is None:
        checks.string("property_id", required=True)
        if isinstance(property_id, str) and property_id not in state.properties:
            checks.add("property_id", "not found")
        checks.currency(required=False)
    checks.title()
    title = attrs.get("title")
    if isinstance(title, str) and any(
        p["property_id"] == property_id and p["title"] == title and p is not own
        for p in state.rate_plans.values()
    ):
        checks.add("title", "has already been taken")
    checks.string("room_type_id", required=True)
    room_type = state.room_types.get(attrs.get("room_type_id") or "")
    if isinstance(attrs.get("room_type_id"), str) and (
        room_type is None or room_type["property_id"] != property_id
    ):
        checks.add("room_type_id", "not found")
        room_type = None
    checks.one_of("sell_mode", SELL_MODES)
    checks.one_of("rate_mode", RATE_MODES)
    checks.string("meal_type")
    for name, minimum in INT_DEFAULTS.items():
        _check_default(checks, name, lambda v, m=minimum: _is_int(v) and v >= m)
    for name in BOOL_DEFAULTS:
        _check_default(checks, name, lambda v: isinstance(v, bool))
    currency = str(
        (own or attrs).get("currency")
        or state.properties.get(property_id or "", {}).get("currency")
        or "USD"
    )
    options: list[JsonObject] = []
    if own is None or "options" in attrs:
        occ_adults = int(room_type["occ_adults"]) if room_type else None
        sell_mode = str(attrs.get("sell_mode", own["sell_mode"] if own else "per_room"))
        options = _check_options(checks, attrs.get("options"), currency, occ_adults, sell_mode)
    checks.raise_if_any()
    return options


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_default(checks: Checks, name: str, ok: Any) -> None:
    if name not in checks.attrs:
        return
    value = checks.attrs[name]
    values = value if isinstance(value, list) and len(value) == DAYS_PER_WEEK else [value]
    if not all(ok(v) for v in values):
        checks.add(name, INVALID)


def _check_options(
    checks: Checks, raw: Any, currency: str, occ_adults: int | None, sell_mode: str
) -> list[JsonObject]:
    if not isinstance(raw, list) or not raw:
        checks.add("options", "can't be blank")
        return []
    options: list[JsonObject] = []
    for item in raw:
        if not isinstance(item, dict) or not _is_int(item.get("occupancy")):
            checks.add("options", "occupancy is invalid")
            continue
        occupancy: int = item["occupancy"]
        rate = parse_money(item.get("rate", 0), currency)
        if occupancy < 1:
            checks.add("options", "occupancy must be greater than 0")
        elif occ_adults is not None and occupancy > occ_adults:
            checks.add(
                "options", f"occupancy can't be greater than room type occupancy ({occ_adults})"
            )
        elif sell_mode == "per_person" and occupancy > MAX_PER_PERSON_OCCUPANCY:
            checks.add("options", f"occupancy can't be greater than {MAX_PER_PERSON_OCCUPANCY}")
        if rate is None:
            checks.add("options", "rate is invalid")
            rate = Decimal(0)
        is_primary = item.get("is_primary", len(raw) == 1)
        if not isinstance(is_primary, bool):
            checks.add("options", "is_primary is invalid")
        options.append(
            {
                "occupancy": occupancy,
                "is_primary": is_primary is True,
                "rate": format_money(rate, currency),
                "derived_option": item.get("derived_option"),
            }
        )
    if len({o["occupancy"] for o in options}) != len(options):
        checks.add("options", "occupancy should be unique")
    if options and sum(o["is_primary"] for o in options) != 1:
        checks.add("options", "should have exactly one primary option")
    return options


def endpoints(state: ChannexState) -> list[http.Endpoint]:
    def rows_for(call: http.Call) -> list[JsonObject]:
        rows = list(state.rate_plans.values())
        for name in ("property_id", "room_type_id"):
            wanted = http.filter_values(call, name)
            if wanted is not None:
                rows = [r for r in rows if r[name] in wanted]
        return http.ordered(rows, call, "title")

    async def list_plans(call: http.Call) -> http.Reply:
        page, meta = http.paginate(call, rows_for(call))
        return http.reply([rate_plan_resource(r) for r in page], meta=meta)

    async def plan_options(call: http.Call) -> http.Reply:
        return http.reply([options_row(r) for r in rows_for(call)])

    async def get_plan(call: http.Call) -> http.Reply:
        row = state.find(state.rate_plans, call.params["id"])
        return http.reply(rate_plan_resource(row), property_ids=(row["property_id"],))

    async def create_plan(call: http.Call) -> http.Reply:
        attrs = http.write_body(call, "rate_plan")
        options = _check(state, attrs, own=None)
        property_id = attrs["property_id"]
        row: JsonObject = {
            "id": str(uuid.uuid4()),
            "property_id": property_id,
            "room_type_id": attrs["room_type_id"],
            "currency": attrs.get("currency") or state.property_currency(property_id),
            **PLAN_DEFAULTS,
        }
        row.update({k: attrs[k] for k in WRITABLE if k in attrs})
        row["options"] = options
        state.rate_plans[row["id"]] = row
        state.cells[row["id"]] = {}
        return http.reply(rate_plan_resource(row), status=201, property_ids=(property_id,))

    async def update_plan(call: http.Call) -> http.Reply:
        row = state.find(state.rate_plans, call.params["id"])
        attrs = http.write_body(call, "rate_plan")
        merged = {**attrs, "room_type_id": attrs.get("room_type_id", row["room_type_id"])}
        options = _check(state, merged, own=row)
        row.update({k: attrs[k] for k in (*WRITABLE, "room_type_id") if k in attrs})
        if options:
            row["options"] = options  # currency is fixed at creation (PUT ignores it)
        return http.reply(rate_plan_resource(row), property_ids=(row["property_id"],))

    async def delete_plan(call: http.Call) -> http.Reply:
        row = state.find(state.rate_plans, call.params["id"])
        del state.rate_plans[row["id"]]
        state.cells.pop(row["id"], None)
        return http.success((row["property_id"],))

    E = http.Endpoint
    return [
        E(method="GET", path="/rate_plans", handler=list_plans),
        E(method="GET", path="/rate_plans/options", handler=plan_options),
        E(method="POST", path="/rate_plans", handler=create_plan),
        E(method="GET", path="/rate_plans/{id}", handler=get_plan),
        E(method="PUT", path="/rate_plans/{id}", handler=update_plan),
        E(method="DELETE", path="/rate_plans/{id}", handler=delete_plan),
    ]
