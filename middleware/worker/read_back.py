"""A calendar month read back from Channex, for the console: asked by the web, read by the worker.

The Calendar page's "Read … back from Channex" records a wake-up (`store.wakeups` `read_back`)
about one hotel, kind and month (`subject_of`); the worker reads that month's days (today ..
the end of the horizon, clipped to the month) with one call, in a read slot of the lane's rate
limit (`lanes.reserve_read`, pushes first) like the parity check, and the wake-up's result keeps
what Channex held, as text per field, entity and day (`run`). The page shows the last result.
"""

from __future__ import annotations

import calendar as months
from datetime import date, datetime
from typing import Any

from middleware import clock as clocks
from middleware.domain import readback
from middleware.domain.mapping import PropertyMap
from middleware.domain.models import KINDS, RESTRICTION_FIELDS, Cells, Kind, Lane, value_to_text
from middleware.errors import MiddlewareError
from middleware.ops.runtime import Runtime

Outcome = str  # "read", "busy" (no read slot free), "failed"


def subject_of(property_id: str, kind: Kind, month: date) -> str:
    return f"{property_id}|{kind}|{month:%Y-%m}"


def parse_subject(text: str) -> tuple[str, Kind, date] | None:
    try:
        property_id, kind_text, month_text = text.rsplit("|", 2)
        year, month = (int(part) for part in month_text.split("-"))
        kind = next(k for k in KINDS if k == kind_text)
        return property_id, kind, date(year, month, 1)
    except (ValueError, StopIteration):
        return None


def month_days(prop: PropertyMap, month: date, now: datetime, sync_days: int) -> tuple[date, date]:
    """The month's days Channex holds values for: today .. the end of the horizon at the
    hotel, clipped to the month (empty when the last is before the first)."""
    today, end = clocks.horizon(prop.timezone, now, sync_days)
    last_day = month.replace(day=months.monthrange(month.year, month.month)[1])
    return max(month, today), min(last_day, end)


def texts_of(cells: Cells) -> dict[str, dict[str, dict[str, str]]]:
    """Cells as field -> entity id -> ISO day -> text (a wake-up's JSON result)."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for key, fields in cells.items():
        for name, value in fields.items():
            by_day = found.setdefault(name, {}).setdefault(key.entity_id, {})
            by_day[key.day.isoformat()] = value_to_text(name, value)
    return found


async def read(rt: Runtime, lane: Lane, first: date, last: date) -> tuple[Outcome, Cells]:
    s = rt.settings
    limit = (
        s.channex_avail_rate_limit if lane.kind == "availability" else s.channex_price_rate_limit
    )
    taken = await rt.store.lanes.reserve_read(
        lane,
        rt.clock(),
        limit=limit,
        own_limit=s.parity_read_limit,
        window_s=s.channex_rate_window_s,
    )
    if not taken:
        return "busy", {}
    try:
        if lane.kind == "availability":
            got = await rt.channex.get_availability(lane.property_id, first, last)
            return "read", readback.cells_from_availability(got)
        read = await rt.channex.get_restrictions(lane.property_id, first, last, RESTRICTION_FIELDS)
        return "read", readback.cells_from_restrictions(read)
    except MiddlewareError:
        return "failed", {}


async def run(rt: Runtime, subject: str) -> dict[str, Any]:
    """Read back the month `subject` names; the outcome and, when read, the values."""
    parsed = parse_subject(subject)
    prop = None if parsed is None else rt.mapping.property(parsed[0])
    if parsed is None or prop is None:
        return {"outcome": "failed", "texts": {}, "detail": "not a mapped hotel and month"}
    _, kind, month = parsed
    first, last = month_days(prop, month, rt.clock(), rt.settings.channex_sync_days)
    if last < first:
        return {"outcome": "read", "texts": {}}
    outcome, cells = await read(rt, Lane(prop.property_id, kind), first, last)
    return {
        "outcome": outcome,
        "date_from": first.isoformat(),
        "date_to": last.isoformat(),
        "texts": texts_of(cells),
    }
