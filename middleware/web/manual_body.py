"""The body of a manual test push (`middleware.web.manual`): defaults, checks, the Channex value.

`parse_manual_push` turns the optional JSON body into a `ManualPush` — the lane, the mapped
entity and the one Channex value to send — or raises `PayloadError` saying what is wrong
(unknown categoria or plano, bad or past dates, a range beyond the sync horizon, a bad
availability or rate). Numbers are read as `Decimal`, never float.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware import clock as clocks
from middleware.config import Settings
from middleware.domain import money
from middleware.domain.mapping import Mapping, RoomRef
from middleware.domain.models import Kind, Lane
from middleware.errors import PayloadError

MAX_BODY_BYTES = 16_000
DEFAULT_DAYS = 7
DEFAULT_AVAILABILITY = 1
DEFAULT_RATE = Decimal("100.00")
KEYS: dict[Kind, frozenset[str]] = {
    "availability": frozenset({"property", "categoria", "date_from", "date_to", "availability"}),
    "restrictions": frozenset({"property", "categoria", "plano", "date_from", "date_to", "rate"}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ManualPush:
    lane: Lane
    room_code: str
    entity_id: str  # the room type (availability) or rate plan (rate)
    date_from: date
    date_to: date
    value: dict[str, Any]  # one Channex value, ready to send


def _document(raw: bytes, kind: Kind) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadError(f"body larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw, parse_float=Decimal)
    except ValueError as exc:
        raise PayloadError("body is not valid JSON") from exc
    if not isinstance(doc, dict):
        raise PayloadError("body must be a JSON object")
    unknown = sorted(set(doc) - KEYS[kind])
    if unknown:
        raise PayloadError(f"unknown keys {unknown}; allowed: {sorted(KEYS[kind])}")
    return doc


def _room(doc: dict[str, Any], mapping: Mapping) -> RoomRef:
    """The categoria's room type in the property named (`property`: a Channex id or the
    mapping name), else in the one property that maps it. Codes are unique per property only:
    a categoria two hotels share needs `property`, never a guess at which hotel to push to."""
    ref_text = doc.get("property")
    if ref_text is not None and not isinstance(ref_text, str):
        raise PayloadError("'property' must be a string (a Channex property id or mapping name)")
    prop = None if ref_text is None else mapping.find(ref_text)
    if ref_text is not None and prop is None:
        raise PayloadError(f"'property' {ref_text[:80]!r} is not mapped")
    codes = mapping.room_codes() if prop is None else prop.room_codes()
    code = doc.get("categoria", codes[0] if codes else None)
    if not isinstance(code, str):
        raise PayloadError(f"categoria {code!r} is not mapped; mapped: {', '.join(codes)}")
    owners = (prop,) if prop else mapping.properties_with(code)
    if len(owners) > 1:
        names = ", ".join(owner.name or owner.property_id for owner in owners)
        raise PayloadError(f"categoria {code!r} is mapped in {names}: name one with 'property'")
    ref = mapping.by_room_code(owners[0].property_id, code) if owners else None
    if ref is None:
        raise PayloadError(f"categoria {code!r} is not mapped; mapped: {', '.join(codes)}")
    return ref


def _day(doc: dict[str, Any], key: str, default: date) -> date:
    value = doc.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise PayloadError(f"'{key}' must be a date string YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PayloadError(f"'{key}' is not a date (YYYY-MM-DD): {value[:40]!r}") from exc


def _dates(doc: dict[str, Any], today: date, horizon_days: int) -> tuple[date, date]:
    first = _day(doc, "date_from", today)
    last = _day(doc, "date_to", first + timedelta(days=DEFAULT_DAYS))
    if first < today:
        raise PayloadError(f"date_from {first} is in the past (today at the hotel is {today})")
    if last < first:
        raise PayloadError("'date_to' is before 'date_from'")
    end = today + timedelta(days=horizon_days - 1)
    if last > end:
        raise PayloadError(f"date_to {last} is beyond the sync horizon (CHANNEX_SYNC_DAYS: {end})")
    return first, last


def _availability(doc: dict[str, Any]) -> int:
    value = doc.get("availability", DEFAULT_AVAILABILITY)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PayloadError("'availability' must be an integer >= 0")
    return value


def _rate(doc: dict[str, Any], currency: str, rate_format: money.RateFormat) -> int | str:
    value = doc.get("rate", DEFAULT_RATE)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise PayloadError("'rate' must be a decimal string such as \"150.00\"")
    try:
        return money.format_rate(Decimal(value), currency, rate_format)
    except (InvalidOperation, ValueError) as exc:
        raise PayloadError(f"'rate' must be an amount > 0, got {str(value)[:40]!r}") from exc


def parse_manual_push(
    raw: bytes, kind: Kind, mapping: Mapping, settings: Settings, now: datetime
) -> ManualPush:
    doc = _document(raw, kind)
    ref = _room(doc, mapping)
    prop = ref.property
    first, last = _dates(doc, clocks.hotel_today(prop.timezone, now), settings.channex_sync_days)
    where = {
        "property_id": prop.property_id,
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
    }
    if kind == "availability":
        entity_id = ref.room.room_type_id
        value = {**where, "room_type_id": entity_id, "availability": _availability(doc)}
    else:
        plans = {p.plan_code: p for p in ref.room.rate_plans}
        code = doc.get("plano", ref.room.rate_plans[0].plan_code if plans else None)
        plan = plans.get(code) if isinstance(code, str) else None
        if plan is None:
            raise PayloadError(
                f"plano {code!r} is not mapped for {ref.room.room_code}; mapped: {', '.join(plans)}"
            )
        entity_id = plan.rate_plan_id
        rate = _rate(doc, prop.currency, settings.channex_rate_format)
        value = {**where, "rate_plan_id": entity_id, "rate": rate}
    return ManualPush(
        lane=Lane(prop.property_id, kind),
        room_code=ref.room.room_code,
        entity_id=entity_id,
        date_from=first,
        date_to=last,
        value=value,
    )
