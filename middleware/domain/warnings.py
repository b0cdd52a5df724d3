"""Which cells a Channex `meta.warnings` entry rejected.

Channex answers 200 to an ARI push even when it drops values; each dropped value is echoed
in `meta.warnings` with a `warning` object naming the offending fields. The echoed value is
dropped whole, so every field it carries on every date it covers was not applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from middleware.domain.models import AVAILABILITY_FIELD, RESTRICTION_FIELDS, CellKey, Kind

WEEKDAY_CODES = ("mo", "tu", "we", "th", "fr", "sa", "su")
MAX_SPAN_DAYS = 1500


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def warning_dates(value: Mapping[str, Any]) -> list[date]:
    """The dates an echoed value covers (honouring a `days` filter); [] when unreadable."""
    single = _day(value.get("date"))
    if single is not None:
        return [single]
    start, end = _day(value.get("date_from")), _day(value.get("date_to"))
    if start is None or end is None or end < start or (end - start).days > MAX_SPAN_DAYS:
        return []
    days = value.get("days")
    allowed = (
        {WEEKDAY_CODES.index(d) for d in days if d in WEEKDAY_CODES}
        if isinstance(days, list)
        else set(range(7))
    )
    span = (end - start).days + 1
    every = (start + timedelta(days=n) for n in range(span))
    return [d for d in every if d.weekday() in allowed]


def rejected_fields(kind: Kind, warning: Mapping[str, Any]) -> set[tuple[CellKey, str]]:
    """The (cell, field) pairs a warning entry says were not applied."""
    entity_key = "room_type_id" if kind == "availability" else "rate_plan_id"
    entity = warning.get(entity_key)
    if not isinstance(entity, str):
        return set()
    names = (AVAILABILITY_FIELD,) if kind == "availability" else RESTRICTION_FIELDS
    fields = [name for name in names if name in warning]
    return {(CellKey(entity, day), name) for day in warning_dates(warning) for name in fields}
