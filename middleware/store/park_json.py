"""A park note as the JSON kept in `revisions.reason` of a parked row (no schema change: the
column held a plain text before, and rows parked then still read back as `legacy`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from middleware.domain import attention
from middleware.domain.attention import BookingFacts, ParkNote, ParkReason

MARK = "park"  # the key that tells a note from an older plain-text reason


def encode(note: ParkNote) -> str:
    facts = note.facts
    return orjson.dumps(
        {
            MARK: str(note.reason),
            "text": note.text,
            "details": dict(note.details),
            "facts": attention.facts_json(facts),
        }
    ).decode()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def decode(stored: str | None) -> ParkNote | None:
    """The note in a stored reason; None for a plain text (or nothing)."""
    if not stored or not stored.startswith("{"):
        return None
    try:
        raw = orjson.loads(stored)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get(MARK), str):
        return None
    try:
        reason = ParkReason(raw[MARK])
    except ValueError:
        reason = ParkReason.LEGACY
    facts = raw["facts"] if isinstance(raw.get("facts"), dict) else {}
    details = raw["details"] if isinstance(raw.get("details"), dict) else {}
    rooms = facts.get("room_types")
    return ParkNote(
        reason=reason,
        text=str(raw.get("text") or ""),
        details={str(k): str(v) for k, v in details.items()},
        facts=BookingFacts(
            hotel=_text(facts.get("hotel")),
            ota=_text(facts.get("ota")),
            ota_code=_text(facts.get("ota_code")),
            guest=_text(facts.get("guest")),
            arrival=_day(facts.get("arrival")),
            departure=_day(facts.get("departure")),
            room_types=tuple(r for r in rooms if isinstance(r, str))
            if isinstance(rooms, list)
            else (),
        ),
    )
