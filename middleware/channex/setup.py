"""Reconcile Channex content with a hotel plan: find-or-create, map by title, write the mapping.

The engine behind `scripts/setup_channex_duke.py`, used by the sandbox and tests too. Entities
that already exist are matched by title (property by title; room type by title within the
property; rate plan by room type and title) and mapped, never duplicated; a room type whose
unit count or occupancy differs is updated. A dry run reads only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import orjson

from middleware.channex import content, property_settings
from middleware.channex.client import ChannexClient
from middleware.domain import money
from middleware.errors import MiddlewareError
from middleware.mapping import (
    Mapping as ChannexMapping,
)
from middleware.mapping import (
    PropertyMap,
    RatePlanMap,
    RoomTypeMap,
    load_mapping,
    mapping_document,
    parse_mapping,
    write_mapping,
)

EVENT_MASK = ";".join(
    (
        "booking",
        "booking_new",
        "booking_modification",
        "booking_cancellation",
        "booking_unmapped_room",
        "booking_unmapped_rate",
        "non_acked_booking",
        "ari",
        "sync_error",
        "sync_warning",
        "rate_error",
        "disconnect_channel",
        "disconnect_listing",
        "channel_removal_warning",
        "property_removal_warning",
    )
)
ROOM_FIELDS = ("count_of_rooms", "occ_adults", "occ_children", "occ_infants", "default_occupancy")


@dataclass(frozen=True, slots=True, kw_only=True)
class RatePlanSpec:
    code: str  # plano
    title: str  # unique per property
    default_rate: Decimal
    meal_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomSpec:
    code: str  # categoria
    title: str
    units: int
    occ_adults: int
    occ_children: int
    occ_infants: int
    default_occupancy: int
    rate_plans: tuple[RatePlanSpec, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HotelPlan:
    title: str
    currency: str
    timezone: str
    rooms: tuple[RoomSpec, ...]


# --------------------------------------------------------------------------- the report

Verb = Literal["create", "match", "update", "write", "keep"]
PAST = {"create": "created", "match": "matched", "update": "updated", "write": "written"}
PAST |= {"keep": "unchanged"}
CHANGES = frozenset({"create", "update"})


class SetupError(MiddlewareError):
    """Channex holds something the plan cannot be reconciled with (ambiguous titles, currency)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    verb: Verb
    kind: str  # "property" | "room type" | "rate plan" | "webhook" | "mapping file"
    name: str
    entity_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupReport:
    actions: tuple[Action, ...]
    dry_run: bool
    mapping: ChannexMapping | None  # None when entities are still to be created (dry run)

    def count(self, verb: Verb, kind: str | None = None) -> int:
        return sum(1 for a in self.actions if a.verb == verb and kind in (None, a.kind))

    @property
    def up_to_date(self) -> bool:
        """Nothing to create or update in Channex, and the mapping file already current."""
        return not any(a.verb in CHANGES or a.verb == "write" for a in self.actions)

    def lines(self) -> list[str]:
        out = []
        for a in self.actions:
            done = f"would {a.verb}" if self.dry_run and a.verb != "match" else PAST[a.verb]
            suffix = f" ({a.entity_id})" if a.entity_id else ""
            out.append(f"{a.kind} {a.name}: {done}{suffix}")
        created, updated = self.count("create"), self.count("update")
        if self.dry_run:
            out.append(f"dry run: would create {created}, update {updated}; nothing was changed")
        elif self.up_to_date:
            out.append("up to date: nothing to create or update")
        else:
            out.append(f"done: created {created}, updated {updated}")
        return out


# --------------------------------------------------------------------------- the setup


@dataclass(slots=True)
class _Run:
    client: ChannexClient
    plan: HotelPlan
    dry_run: bool
    actions: list[Action] = field(default_factory=list)

    def note(self, verb: Verb, kind: str, name: str, entity_id: str | None = None) -> None:
        self.actions.append(Action(verb=verb, kind=kind, name=name, entity_id=entity_id))


async def run_setup(
    client: ChannexClient,
    plan: HotelPlan,
    *,
    mapping_path: Path,
    webhook_url: str | None,
    webhook_secret: str | None,
    secret_header: str,
    dry_run: bool,
    sync_days: int = 500,
) -> SetupReport:
    """Reconcile Channex with `plan`, write the mapping file, optionally register the webhook.
    The property's settings are brought to what parity needs (`property_settings`) for a
    horizon of `sync_days`."""
    run = _Run(client=client, plan=plan, dry_run=dry_run)
    property_id = await _property(run, sync_days)
    existing_rooms = await client.list_room_types(property_id) if property_id else []
    existing_plans = await client.list_rate_plans(property_id) if property_id else []
    rooms: list[RoomTypeMap] = []
    for room in plan.rooms:
        room_type_id = await _room_type(run, property_id, room, existing_rooms)
        plans = [
            RatePlanMap(
                plan_code=spec.code,
                rate_plan_id=await _rate_plan(
                    run, property_id, room, room_type_id, spec, existing_plans
                ),
            )
            for spec in room.rate_plans
        ]
        rooms.append(
            RoomTypeMap(
                room_code=room.code, room_type_id=room_type_id or "", rate_plans=tuple(plans)
            )
        )
    mapping = None
    complete = property_id is not None and all(
        r.room_type_id and all(p.rate_plan_id for p in r.rate_plans) for r in rooms
    )
    if property_id is not None and complete:
        own = PropertyMap(
            property_id=property_id,
            name=plan.title,
            currency=plan.currency,
            timezone=plan.timezone,
            room_types=tuple(rooms),
        )
        mapping = _write_mapping(run, mapping_path, own)
    else:  # a dry run with entities still to create
        run.note("write", "mapping file", str(mapping_path))
    if webhook_url is not None:
        headers = {secret_header: webhook_secret} if webhook_secret else {}
        await _webhook(run, property_id, webhook_url, headers)
    return SetupReport(actions=tuple(run.actions), dry_run=dry_run, mapping=mapping)


async def _property(run: _Run, sync_days: int) -> str | None:
    plan = run.plan
    found = [p for p in await run.client.properties_options() if content.title_of(p) == plan.title]
    name = repr(plan.title)
    if len(found) > 1:
        ids = ", ".join(str(p.get("id")) for p in found)
        raise SetupError(f"{len(found)} Channex properties are titled {name} ({ids}); keep one")
    if found:
        currency = (found[0].get("attributes") or {}).get("currency")
        if isinstance(currency, str) and currency.upper() != plan.currency:
            raise SetupError(
                f"property {name} exists in {currency}, the plan needs {plan.currency}"
            )
        property_id = str(found[0]["id"])
        run.note("match", "property", name, property_id)
        await _property_settings(run, property_id, sync_days)
        return property_id
    if run.dry_run:
        run.note("create", "property", name)
        return None
    created = await run.client.create_property(
        {
            "title": plan.title,
            "currency": plan.currency,
            "timezone": plan.timezone,
            "property_type": "hotel",
            "settings": property_settings.fixes({}, sync_days),
        }
    )
    run.note("create", "property", name, created["id"])
    return str(created["id"])


async def _property_settings(run: _Run, property_id: str, sync_days: int) -> None:
    current = property_settings.settings_of(await run.client.get_property(property_id))
    change = property_settings.fixes(current, sync_days)
    if not change:
        return
    if not run.dry_run:
        await run.client.update_property(property_id, {"settings": change})
    names = ", ".join(f"{k}={v}" for k, v in sorted(change.items()))
    run.note("update", "property settings", names, property_id)


def _room_attributes(room: RoomSpec) -> dict[str, Any]:
    return {
        "title": room.title,
        "count_of_rooms": room.units,
        "occ_adults": room.occ_adults,
        "occ_children": room.occ_children,
        "occ_infants": room.occ_infants,
        "default_occupancy": room.default_occupancy,
    }


async def _room_type(
    run: _Run, property_id: str | None, room: RoomSpec, existing: list[dict[str, Any]]
) -> str | None:
    name = f"{room.title!r} ({room.code})"
    found = [r for r in existing if content.title_of(r) == room.title]
    if len(found) > 1:
        raise SetupError(f"{len(found)} room types are titled {room.title!r}; keep one")
    wanted = _room_attributes(room)
    if found:
        room_type_id = str(found[0]["id"])
        current = found[0].get("attributes") or {}
        changed = {k: wanted[k] for k in ROOM_FIELDS if k in current and current[k] != wanted[k]}
        if not changed:
            run.note("match", "room type", name, room_type_id)
        elif run.dry_run:
            run.note("update", "room type", f"{name} {sorted(changed)}", room_type_id)
        else:
            await run.client.update_room_type(room_type_id, changed)
            run.note("update", "room type", f"{name} {sorted(changed)}", room_type_id)
        return room_type_id
    if run.dry_run or property_id is None:
        run.note("create", "room type", name)
        return None
    created = await run.client.create_room_type({"property_id": property_id, **wanted})
    run.note("create", "room type", name, created["id"])
    return str(created["id"])


async def _rate_plan(
    run: _Run,
    property_id: str | None,
    room: RoomSpec,
    room_type_id: str | None,
    spec: RatePlanSpec,
    existing: list[dict[str, Any]],
) -> str:
    name = f"{spec.title!r} ({room.code}/{spec.code})"
    for plan in existing:
        same_room = content.related_id(plan, "room_type") == room_type_id
        if room_type_id is not None and same_room and content.title_of(plan) == spec.title:
            run.note("match", "rate plan", name, str(plan["id"]))
            return str(plan["id"])
    if run.dry_run or property_id is None or room_type_id is None:
        run.note("create", "rate plan", name)
        return ""
    rate = money.format_rate(spec.default_rate, run.plan.currency, "minor")
    attributes: dict[str, Any] = {
        "title": spec.title,
        "property_id": property_id,
        "room_type_id": room_type_id,
        "currency": run.plan.currency,
        "sell_mode": "per_room",
        "rate_mode": "manual",
        "options": [{"occupancy": room.occ_adults, "is_primary": True, "rate": rate}],
    }
    if spec.meal_type is not None:
        attributes["meal_type"] = spec.meal_type
    created = await run.client.create_rate_plan(attributes)
    run.note("create", "rate plan", name, created["id"])
    return str(created["id"])


def _write_mapping(run: _Run, path: Path, own: PropertyMap) -> ChannexMapping:
    """Replace this hotel's entry (same id or name) in the file, keeping other properties."""
    others: tuple[PropertyMap, ...] = ()
    current: Any = None
    if path.exists():
        try:
            current = orjson.loads(path.read_bytes())
            others = tuple(
                p
                for p in load_mapping(path).properties
                if p.property_id != own.property_id and p.name != own.name
            )
        except (MiddlewareError, orjson.JSONDecodeError, OSError):
            current = None  # unreadable: replaced by this hotel's mapping
    merged = parse_mapping(mapping_document(ChannexMapping((*others, own))))
    if mapping_document(merged) == current:
        run.note("keep", "mapping file", str(path))
    else:
        if not run.dry_run:
            write_mapping(path, merged)
        run.note("write", "mapping file", str(path))
    return merged


async def _webhook(run: _Run, property_id: str | None, url: str, headers: dict[str, str]) -> None:
    wanted: dict[str, Any] = {
        "callback_url": url,
        "event_mask": EVENT_MASK,
        "property_id": property_id,
        "is_active": True,
        "send_data": True,
        "headers": headers,
    }
    name = repr(url)
    found = [w for w in await run.client.list_webhooks() if _attr(w, "callback_url") == url]
    if found:
        webhook_id = str(found[0]["id"])
        current = found[0].get("attributes") or {}
        if all(current.get(k, v) == v for k, v in wanted.items()):
            run.note("match", "webhook", name, webhook_id)
            return
        if not run.dry_run:
            await run.client.update_webhook(webhook_id, wanted)
        run.note("update", "webhook", name, webhook_id)
        return
    if run.dry_run or property_id is None:
        run.note("create", "webhook", name)
        return
    created = await run.client.create_webhook(wanted)
    run.note("create", "webhook", name, created["id"])


def _attr(resource: dict[str, Any], key: str) -> Any:
    attributes = resource.get("attributes")
    return attributes.get(key) if isinstance(attributes, dict) else None
