"""Reconcile Channex content with a hotel plan: find-or-create, map, write the mapping.

The engine behind `scripts/setup_channex_duke.py`, used by the sandbox and tests too. Entities
that already exist are matched first by the id the current mapping file gives them (so one
renamed in Channex stays mapped, never duplicated), then by title (property by title; room
type by title within the property; rate plan by room type and title); a room type whose unit
count or occupancy differs is updated. The mapping file it replaces is kept as
`<file>.bak-<UTC time>`, and ids that changed are reported old → new. The webhook is the
property's own (`setup_webhook`). A dry run reads only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from middleware.channex import content, events, property_settings, setup_mapping, setup_webhook
from middleware.channex.client import ChannexClient
from middleware.channex.setup_report import (
    Action,
    BasePathError,
    IdChange,
    SetupError,
    SetupReport,
    Verb,
)
from middleware.domain import money
from middleware.domain.mapping import PropertyMap, RatePlanMap, RoomTypeMap
from middleware.errors import RejectedUpstreamError

__all__ = [
    "Action",
    "BasePathError",
    "HotelPlan",
    "IdChange",
    "SetupError",
    "SetupReport",
    "run_setup",
]

EVENT_MASK = ";".join(
    (
        events.BOOKING,
        events.BOOKING_NEW,
        events.BOOKING_MODIFICATION,
        events.BOOKING_CANCELLATION,
        events.BOOKING_UNMAPPED_ROOM,
        events.BOOKING_UNMAPPED_RATE,
        events.NON_ACKED_BOOKING,
        events.ARI,
        *events.CHANNEL_PROBLEMS,
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


# --------------------------------------------------------------------------- the setup


@dataclass(slots=True)
class _Run:
    client: ChannexClient
    plan: HotelPlan
    dry_run: bool
    mapped: PropertyMap | None = None  # this hotel's entry in the mapping file before the run
    actions: list[Action] = field(default_factory=list)

    def note(self, verb: Verb, kind: str, name: str, entity_id: str | None = None) -> None:
        self.actions.append(Action(verb=verb, kind=kind, name=name, entity_id=entity_id))

    def mapped_room(self, code: str) -> RoomTypeMap | None:
        rooms = self.mapped.room_types if self.mapped else ()
        return next((r for r in rooms if r.room_code == code), None)


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
    now: datetime | None = None,
) -> SetupReport:
    """Reconcile Channex with `plan`, write the mapping file, optionally register the webhook.
    The property's settings are brought to what parity needs (`property_settings`) for a
    horizon of `sync_days`. `now` stamps the mapping file's backup (default: the clock)."""
    run = _Run(client=client, plan=plan, dry_run=dry_run)
    run.mapped = setup_mapping.previous_entry(mapping_path, plan.title)
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
                room_code=room.code,
                room_type_id=room_type_id or "",
                rate_plans=tuple(plans),
                title=room.title,
            )
        )
    mapping = None
    changes: list[IdChange] = []
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
        changes = setup_mapping.id_changes(run.mapped, own)
        mapping = setup_mapping.write(
            mapping_path, own, dry_run=dry_run, now=now or datetime.now(UTC), note=run.note
        )
    else:  # a dry run with entities still to create
        run.note("write", "mapping file", str(mapping_path))
    if webhook_url is not None:
        wanted: dict[str, Any] = {
            "callback_url": webhook_url,
            "event_mask": EVENT_MASK,
            "property_id": property_id,
            "is_active": True,
            "send_data": True,
            "headers": {secret_header: webhook_secret} if webhook_secret else {},
        }
        changes += await setup_webhook.reconcile(
            client, property_id, wanted, dry_run=dry_run, note=run.note
        )
    return SetupReport(
        actions=tuple(run.actions), dry_run=dry_run, mapping=mapping, changes=tuple(changes)
    )


async def _property(run: _Run, sync_days: int) -> str | None:
    plan = run.plan
    try:
        options = await run.client.properties_options()
    except RejectedUpstreamError as exc:
        if exc.status == 404:
            raise BasePathError(f"no Channex API here: {exc}") from exc
        raise
    mapped_id = run.mapped.property_id if run.mapped else None
    found = [p for p in options if str(p.get("id")) == mapped_id]
    found = found or [p for p in options if content.title_of(p) == plan.title]
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
    mapped = run.mapped_room(room.code)
    found = [r for r in existing if mapped is not None and str(r["id"]) == mapped.room_type_id]
    found = found or [r for r in existing if content.title_of(r) == room.title]
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
    mapped = run.mapped_room(room.code)
    mapped_id = next(
        (p.rate_plan_id for p in (mapped.rate_plans if mapped else ()) if p.plan_code == spec.code),
        None,
    )
    for plan in existing:
        same_room = content.related_id(plan, "room_type") == room_type_id
        if room_type_id is not None and same_room and str(plan["id"]) == mapped_id:
            run.note("match", "rate plan", name, str(plan["id"]))
            return str(plan["id"])
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
