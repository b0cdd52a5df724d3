"""Channex parity, pure: what Channex holds (read back) against what the PMS says, field by field.

`cells_from_availability` / `cells_from_restrictions` turn Channex's read-back documents (already
parsed by the client) into `Cells`; `find_drift` keeps every field the PMS manages whose value
Channex does not hold. `cells_named_by_ari_event` reads the cells an `ari` webhook names, and
`is_echo` says whether they only repeat what the middleware believes Channex holds (its own
push coming back), in which case no read is needed. `read_window` decides the days a pass
compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.domain.models import (
    AVAILABILITY_FIELD,
    BOOL_FIELDS,
    INT_FIELDS,
    RESTRICTION_FIELDS,
    CellKey,
    Cells,
    FieldValue,
    Kind,
    value_to_text,
)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Drift:
    """One field of one cell where Channex disagrees with the PMS (`channex` None: absent)."""

    kind: Kind
    entity_id: str
    day: date
    field: str
    channex: FieldValue | None
    pms: FieldValue


@dataclass(frozen=True, slots=True, kw_only=True)
class AriTouch:
    """The cells of one lane an `ari` webhook names, with the values it reports."""

    kind: Kind
    cells: Cells


def _field(name: str, raw: Any) -> FieldValue | None:
    """A read-back value in our types; None when it is missing or unreadable."""
    if raw is None:
        return None
    if name in BOOL_FIELDS:
        return bool(raw) if isinstance(raw, bool | int) else None
    if name in INT_FIELDS:
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def cells_from_availability(document: Mapping[str, Mapping[date, int]]) -> Cells:
    return {
        CellKey(room_type_id, day): {AVAILABILITY_FIELD: units}
        for room_type_id, days in document.items()
        for day, units in days.items()
    }


def cells_from_restrictions(document: Mapping[str, Mapping[date, Mapping[str, Any]]]) -> Cells:
    cells: Cells = {}
    for rate_plan_id, days in document.items():
        for day, raw in days.items():
            fields = {
                name: value
                for name in RESTRICTION_FIELDS
                if (value := _field(name, raw.get(name))) is not None
            }
            cells[CellKey(rate_plan_id, day)] = fields
    return cells


def find_drift(kind: Kind, pms: Cells, channex: Cells) -> list[Drift]:
    """Every field the PMS manages (present in `pms`) that Channex holds otherwise, sorted.

    A cell Channex did not return at all counts as drift on every field (the read covered it).
    """
    drift: list[Drift] = []
    for key, fields in pms.items():
        held = channex.get(key, {})
        for name, value in fields.items():
            got = held.get(name)
            if got is None or value_to_text(name, got) != value_to_text(name, value):
                drift.append(
                    Drift(
                        kind=kind,
                        entity_id=key.entity_id,
                        day=key.day,
                        field=name,
                        channex=got,
                        pms=value,
                    )
                )
    return sorted(drift)


def split_for_bookings_in_flight(drift: list[Drift]) -> tuple[list[Drift], list[Drift]]:
    """(heal now, wait) while bookings Channex has are not in the PMS yet: Channex holding
    fewer units than the PMS may be its own decrement for such a booking, and healing it
    would reopen a sold unit until the booking lands. More units at Channex than at the PMS
    (the overbooking side) and every restriction are healed at once."""
    wait = [
        d
        for d in drift
        if d.field == AVAILABILITY_FIELD
        and isinstance(d.channex, int)
        and isinstance(d.pms, int)
        and d.channex < d.pms
    ]
    return [d for d in drift if d not in wait], wait


def drift_cells(drift: list[Drift]) -> Cells:
    """The PMS values of the drifted fields, as cells to queue."""
    cells: Cells = {}
    for item in drift:
        cells.setdefault(CellKey(item.entity_id, item.day), {})[item.field] = item.pms
    return cells


def cells_named_by_ari_event(payload: Any) -> list[AriTouch]:
    """The cells an `ari` webhook payload names (`[{"date", "room_type_id", "rate_plan_id",
    "availability", "rate", "stop_sell", ...}]`): availability per room type, the restriction
    fields per rate plan. Items without a date or id are skipped."""
    items = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else []
    avail: Cells = {}
    restr: Cells = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            day = date.fromisoformat(str(item.get("date")))
        except ValueError:
            continue
        room_type_id, rate_plan_id = item.get("room_type_id"), item.get("rate_plan_id")
        if isinstance(rate_plan_id, str) and rate_plan_id:
            fields = {
                name: value
                for name in RESTRICTION_FIELDS
                if (value := _field(name, item.get(name))) is not None
            }
            restr.setdefault(CellKey(rate_plan_id, day), {}).update(fields)
        elif isinstance(room_type_id, str) and room_type_id:
            units = _field(AVAILABILITY_FIELD, item.get(AVAILABILITY_FIELD))
            avail.setdefault(CellKey(room_type_id, day), {})
            if units is not None:
                avail[CellKey(room_type_id, day)][AVAILABILITY_FIELD] = units
    touched = [
        AriTouch(kind="availability", cells=avail),
        AriTouch(kind="restrictions", cells=restr),
    ]
    return [t for t in touched if t.cells]


def is_echo(touch: AriTouch, believed: Cells) -> bool:
    """True when every value the event reports is what the middleware believes Channex holds
    (or is about to: `believed` may include values in flight). A cell named without values
    is never an echo: there is nothing to compare, so it must be read."""
    for key, fields in touch.cells.items():
        held = believed.get(key, {})
        if not fields:
            return False
        for name, value in fields.items():
            if name not in held or value_to_text(name, held[name]) != value_to_text(name, value):
                return False
    return True


def read_window(today: date, horizon_end: date, days: int, *, full: bool) -> tuple[date, date]:
    """The days a pass compares: the next `days` from today, or the whole horizon."""
    if full:
        return today, horizon_end
    return today, min(horizon_end, today + timedelta(days=days - 1))
