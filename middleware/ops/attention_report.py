"""Booking revisions as people read them: the hotel words of `/status`, the CLI and
`GET /admin/revisions?q=` (JSON-ready dicts).

A parked revision is described by its park note (`domain.attention`); any other by the PMS
bookings it made (guest, dates, OTA code as applied). Times are in the hotel's timezone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from middleware.domain import attention
from middleware.domain.attention import BookingFacts, ParkReason
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.store.port import Store
from middleware.store.revisions import RevisionRow

SEARCH_LIMIT = 50


def _zone(mapping: ChannexMapping, property_id: str | None) -> str | None:
    prop = mapping.property(property_id) if property_id else None
    return prop.timezone if prop else None


def local_iso(moment: datetime, timezone: str | None) -> str:
    """An instant as ISO-8601 in the hotel's timezone (UTC when the hotel is unknown)."""
    return moment.astimezone(ZoneInfo(timezone or "UTC")).isoformat()


def _facts_fields(facts: BookingFacts) -> dict[str, Any]:
    return {"headline": attention.headline(facts), **attention.facts_json(facts)}


def attention_item(row: RevisionRow, mapping: ChannexMapping) -> dict[str, Any]:
    """A parked revision: what it is, why it stopped and what to do, in hotel words."""
    zone = _zone(mapping, row.property_id)
    note = row.park
    if note is not None:
        code, facts, words = note.reason, note.facts, note.attention
    else:
        prop = mapping.property(row.property_id) if row.property_id else None
        code, facts = ParkReason.LEGACY, BookingFacts(hotel=prop.name if prop else None)
        words = attention.describe_park(code, {"text": row.reason or ""})
    return {
        "revision_id": row.revision_id,
        "booking_id": row.booking_id,
        "reason": row.reason,
        "reason_code": str(code),
        "title": words.title,
        "explanation": words.explanation,
        "next_step": words.next_step,
        **_facts_fields(facts),
        "timezone": zone or "UTC",
        "since": local_iso(row.received_at, zone),
    }


async def applied_facts(store: Store, mapping: ChannexMapping, row: RevisionRow) -> BookingFacts:
    """What the PMS bookings of the revision's booking say (nothing when none was made)."""
    prop = mapping.property(row.property_id) if row.property_id else None
    hotel = prop.name if prop else None
    record = await store.booking_map.load(row.booking_id) if row.booking_id else None
    requests = [r.request for r in (record.rooms.values() if record else ()) if r.request]
    if not requests:
        return BookingFacts(hotel=hotel, ota_code=record.ota_code if record else None)
    titles: list[str] = []
    for request in requests:
        ref = mapping.by_room_code(row.property_id, request.room_code) if row.property_id else None
        title = (ref.room.title or ref.room.room_code) if ref else request.room_code
        if title not in titles:
            titles.append(title)
    first = requests[0]
    return BookingFacts(
        hotel=hotel,
        ota=first.channel,
        ota_code=first.ota_code or (record.ota_code if record else None),
        guest=first.guest_name or None,
        arrival=min(r.checkin for r in requests),
        departure=max(r.checkout for r in requests),
        room_types=tuple(titles),
    )


async def search(
    store: Store, mapping: ChannexMapping, text: str, *, limit: int = SEARCH_LIMIT
) -> list[dict[str, Any]]:
    """Stored revisions whose OTA code or guest name holds `text`, newest first."""
    found = []
    for row in await store.revisions.search(text, limit=limit):
        zone = _zone(mapping, row.property_id)
        item: dict[str, Any] = {
            "revision_id": row.revision_id,
            "booking_id": row.booking_id,
            "status": row.status,
            "revision_status": row.revision_status,
            "received_at": local_iso(row.received_at, zone),
            "timezone": zone or "UTC",
        }
        if row.status == "parked":
            item["attention"] = attention_item(row, mapping)
            facts = row.park.facts if row.park else BookingFacts()
        else:
            facts = await applied_facts(store, mapping, row)
        item.update(_facts_fields(facts))
        found.append(item)
    return found
