"""Emulated ARI routes: `POST|GET /availability` and `POST|GET /restrictions`.

Writes apply the good values in order (later wins), drop the bad ones and echo each with a
`warning` in `meta.warnings` (a key present only when something was dropped, as on real
Channex), and answer one task id — or, for availability when the emulator says so, only
`meta`; reads render rates as major-unit strings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from middleware.sandbox import channex_http as http
from middleware.sandbox.channex_ari_values import Change, Kind, parse_value
from middleware.sandbox.channex_state import (
    ChannexState,
    JsonObject,
    format_money,
    primary_occupancy,
)

READABLE = (
    "availability",
    "rate",
    "min_stay_arrival",
    "min_stay_through",
    "min_stay",
    "closed_to_arrival",
    "closed_to_departure",
    "stop_sell",
    "max_stay",
    "availability_offset",
    "max_availability",
)
INJECTED_REJECTION = {"value": ["rejected by the channel manager (injected fault)"]}

RejectHook = Callable[[int], int | None]  # how many were accepted → index to reject, or None
DropHook = Callable[[int], int | None]  # how many were accepted → index not to store, or None
TaskIdsHook = Callable[[], bool]  # False: an availability success carries only `meta`


def apply(state: ChannexState, kind: Kind, change: Change) -> None:
    if kind == "availability":
        grid = state.availability.setdefault(change.target_id, {})
        for day in change.days:
            grid[day] = int(change.fields["availability"])
        return
    plan = state.rate_plans[change.target_id]
    primary = primary_occupancy(plan)
    cells = state.cells.setdefault(change.target_id, {})
    for day in change.days:
        cell = cells.setdefault(day, {})
        for name, value in change.fields.items():
            if name == "rate":
                cell.setdefault("rates", {})[primary] = value
            elif name == "rates":
                cell.setdefault("rates", {}).update(value)
            else:
                cell[name] = value


def _no_drop(_count: int) -> int | None:
    return None


def write(
    state: ChannexState,
    kind: Kind,
    call: http.Call,
    reject: RejectHook,
    *,
    task_ids: bool = True,
    drop: DropHook = _no_drop,
) -> http.Reply:
    """Apply the good values; `meta.warnings` only when some were dropped (as Channex does),
    and no `data` at all when `task_ids` is false (an availability answer may carry none).
    `drop` names an accepted value to leave unstored without a word (a partly applied push)."""
    values = call.body.get("values") if isinstance(call.body, dict) else None
    if not isinstance(values, list):
        raise http.bad_request("values is required")
    if not values:
        raise http.bad_request("values can't be empty")
    accepted: list[tuple[Any, Change]] = []
    warnings: list[JsonObject] = []
    for raw in values:
        parsed = parse_value(state, kind, raw)
        if isinstance(parsed, Change):
            accepted.append((raw, parsed))
        else:
            warnings.append(_warning(raw, parsed))
    index = reject(len(accepted))
    if index is not None:
        raw, _ = accepted.pop(index)
        warnings.append(_warning(raw, INJECTED_REJECTION))
    silent = drop(len(accepted))
    for position, (_, change) in enumerate(accepted):
        if position != silent:
            apply(state, kind, change)
    meta: JsonObject = {"message": "Success"}
    if warnings:
        meta["warnings"] = warnings
    if not task_ids:
        return http.reply(meta=meta)
    data = []
    if accepted:
        task_id = str(uuid.uuid4())
        state.tasks[task_id] = {"kind": kind, "values": [raw for raw, _ in accepted]}
        data.append({"id": task_id, "type": "task"})
    return http.reply(data, meta=meta)


def edit(state: ChannexState, kind: Kind, values: Any) -> list[JsonObject]:
    """An edit in the Channex UI (or by another system): apply `values` (the API's shape) and
    return the `ari` webhook payload, one item per changed cell. A bad value → ValueError."""
    if not isinstance(values, list) or not values:
        raise ValueError("values must be a non-empty list")
    changes: list[Change] = []
    for raw in values:
        parsed = parse_value(state, kind, raw)
        if not isinstance(parsed, Change):
            raise ValueError(f"value refused: {parsed}")
        changes.append(parsed)
    payload: list[JsonObject] = []
    for change in changes:
        apply(state, kind, change)
        payload.extend(_ari_items(state, kind, change))
    return payload


def _ari_items(state: ChannexState, kind: Kind, change: Change) -> list[JsonObject]:
    """The `ari` webhook items for one applied change: the cell's key and its new values."""
    if kind == "availability":
        return [
            {
                "date": day.isoformat(),
                "room_type_id": change.target_id,
                "availability": state.availability_on(change.target_id, day),
            }
            for day in change.days
        ]
    plan = state.rate_plans[change.target_id]
    items = []
    for day in change.days:
        cell = state.cell_on(change.target_id, day)
        item: JsonObject = {
            "date": day.isoformat(),
            "room_type_id": plan["room_type_id"],
            "rate_plan_id": change.target_id,
        }
        for name in change.fields:
            if name in ("rate", "rates"):
                item["rate"] = format_money(cell["rate"], plan["currency"])
            elif name in cell:
                item[name] = cell[name]
        items.append(item)
    return items


def _warning(raw: Any, problems: dict[str, list[str]]) -> JsonObject:
    echo = dict(raw) if isinstance(raw, dict) else {"value": raw}
    return {**echo, "warning": problems}


def _read_window(call: http.Call) -> tuple[str, list[date]]:
    property_id = call.query.get("filter[property_id]")
    if not property_id:
        raise http.bad_request("property_id is required")
    bounds = {op: call.query.get(f"filter[date][{op}]") for op in ("gte", "gt", "lte", "lt")}
    single = call.query.get("filter[date]") or call.query.get("filter[date][eq]")
    parsed: dict[str, date] = {}
    for op, text in {**bounds, "eq": single}.items():
        if text is not None:
            try:
                parsed[op] = date.fromisoformat(text)
            except ValueError:
                raise http.validation_error({"filter[date]": ["is invalid"]}) from None
    if "eq" in parsed:
        first = last = parsed["eq"]
    else:
        low = parsed.get("gte") or (parsed["gt"] + timedelta(days=1) if "gt" in parsed else None)
        high = parsed.get("lte") or (parsed["lt"] - timedelta(days=1) if "lt" in parsed else None)
        if low is None or high is None:
            raise http.bad_request("date is required")
        first, last = low, high
    return property_id, [first + timedelta(days=n) for n in range((last - first).days + 1)]


def read_availability(state: ChannexState, call: http.Call) -> http.Reply:
    property_id, days = _read_window(call)
    state.find(state.properties, property_id)
    data = {
        rt["id"]: {d.isoformat(): state.availability_on(rt["id"], d) for d in days}
        for rt in state.room_types.values()
        if rt["property_id"] == property_id
    }
    return http.reply(data, property_ids=(property_id,))


def read_restrictions(state: ChannexState, call: http.Call) -> http.Reply:
    names = http.filter_values(call, "restrictions")
    if not names:
        raise http.bad_request("restrictions is required")
    unknown = [name for name in names if name not in READABLE]
    if unknown:
        raise http.bad_request("restrictions has unknown values: " + ", ".join(unknown))
    property_id, days = _read_window(call)
    prop = state.find(state.properties, property_id)
    data = {
        plan["id"]: {
            d.isoformat(): _render(state, prop, plan, state.cell_on(plan["id"], d), names, d)
            for d in days
        }
        for plan in state.rate_plans.values()
        if plan["property_id"] == property_id
    }
    return http.reply(data, property_ids=(property_id,))


def _render(
    state: ChannexState,
    prop: JsonObject,
    plan: JsonObject,
    cell: JsonObject,
    names: list[str],
    day: date,
) -> JsonObject:
    out: JsonObject = {}
    for name in names:
        if name == "rate":
            out[name] = format_money(cell["rate"], plan["currency"])
        elif name == "availability":
            out[name] = state.availability_on(plan["room_type_id"], day)
        elif name == "availability_offset":
            out[name] = 0
        elif name == "max_availability":
            out[name] = None
        elif name == "min_stay":
            kind = prop["settings"]["min_stay_type"]
            out[name] = cell["min_stay_through" if kind == "through" else "min_stay_arrival"]
        else:
            out[name] = cell[name]
    return out


def endpoints(
    state: ChannexState,
    reject: RejectHook,
    task_ids: TaskIdsHook = lambda: True,
    drop: DropHook = _no_drop,
) -> list[http.Endpoint]:
    async def post_availability(call: http.Call) -> http.Reply:
        return write(state, "availability", call, reject, task_ids=task_ids(), drop=drop)

    async def post_restrictions(call: http.Call) -> http.Reply:
        return write(state, "restrictions", call, reject, drop=drop)

    async def get_availability(call: http.Call) -> http.Reply:
        return read_availability(state, call)

    async def get_restrictions(call: http.Call) -> http.Reply:
        return read_restrictions(state, call)

    E = http.Endpoint
    return [
        E(method="POST", path="/availability", handler=post_availability),
        E(method="POST", path="/restrictions", handler=post_restrictions),
        E(method="GET", path="/availability", handler=get_availability),
        E(method="GET", path="/restrictions", handler=get_restrictions),
    ]
