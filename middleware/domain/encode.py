"""A lane's cells as Channex `values`: range compression and the weekday `days` filter.

Exactness first: expanding the output gives back exactly the input cells, so no value ever
writes a date or a field the input does not hold. Within that, as few values as we can find:

- per entity and field, runs of consecutive dates with equal values become one range;
- for restrictions, a "season" (a gap-free span in which each weekday keeps one value) becomes
  a base value plus one `days` overlay per other value, when that beats plain runs; the dates an
  overlay rewrites are free for the base layer, so base ranges run straight through them;
- pieces with the same (range, days) across fields merge into one value;
- per entity, if plain runs of whole cells need fewer values, those win (so the output never
  has more values than one per cell).

Channex applies the values of a message in order, later wins: every value without `days` comes
first, then every overlay. Availability never gets `days` (unconfirmed on Channex).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import orjson

from middleware.domain import money
from middleware.domain.models import (
    AVAILABILITY_FIELD,
    BOOL_FIELDS,
    RESTRICTION_FIELDS,
    CellKey,
    Cells,
    FieldValue,
    Kind,
)

WEEKDAY_CODES = ("mo", "tu", "we", "th", "fr", "sa", "su")
ENTITY_KEYS: dict[Kind, str] = {"availability": "room_type_id", "restrictions": "rate_plan_id"}
LANE_FIELDS: dict[Kind, tuple[str, ...]] = {
    "availability": (AVAILABILITY_FIELD,),
    "restrictions": RESTRICTION_FIELDS,
}
ENVELOPE_BYTES = len(orjson.dumps({"values": []}))
ONE_DAY = timedelta(days=1)

Wire = int | bool | str
# Where a value applies: (date_from, date_to, weekdays); weekdays () = every day of the range.
Layer = tuple[date, date, tuple[int, ...]]
Point = tuple[date, Wire]
_T = TypeVar("_T")


def encode_values(
    lane_kind: Kind,
    property_id: str,
    cells: Cells,
    *,
    currency: str,
    rate_format: money.RateFormat,
) -> list[dict[str, Any]]:
    """Channex `values` for one POST carrying exactly `cells`, in a deterministic order."""
    names = LANE_FIELDS[lane_kind]
    by_entity: dict[str, dict[date, dict[str, Wire]]] = {}
    for key, fields in cells.items():
        unknown = set(fields) - set(names)
        if unknown:
            raise ValueError(f"{lane_kind} cell {key} has unknown fields {sorted(unknown)}")
        if fields:
            wire = {n: _to_wire(n, fields[n], currency, rate_format) for n in names if n in fields}
            by_entity.setdefault(key.entity_id, {})[key.day] = wire
    use_days = lane_kind == "restrictions"
    layered = [
        (entity, layer, fields)
        for entity, days in by_entity.items()
        for layer, fields in _entity_layers(days, names, use_days=use_days).items()
    ]
    layered.sort(key=lambda item: (bool(item[1][2]), item[0], item[1]))
    entity_key = ENTITY_KEYS[lane_kind]
    return [
        _value(property_id, entity_key, entity, layer, fields) for entity, layer, fields in layered
    ]


def expand_values(lane_kind: Kind, values: Sequence[Mapping[str, Any]], *, currency: str) -> Cells:
    """The cells `values` write when applied in order (later wins per field); rates as Decimal."""
    entity_key = ENTITY_KEYS[lane_kind]
    names = LANE_FIELDS[lane_kind]
    allowed = {"property_id", entity_key, "date", "date_from", "date_to", "days", *names}
    cells: Cells = {}
    for value in values:
        unknown = set(value) - allowed
        entity = value.get(entity_key)
        if unknown or not isinstance(entity, str) or not entity:
            raise ValueError(f"not a {lane_kind} value: {dict(value)}")
        if lane_kind == "availability" and "days" in value:
            raise ValueError(f"availability value with days: {dict(value)}")
        fields = {n: _from_wire(n, value[n], currency) for n in names if n in value}
        if not fields:
            raise ValueError(f"value carries no field: {dict(value)}")
        for day in value_dates(value):
            cells.setdefault(CellKey(entity, day), {}).update(fields)
    return cells


def value_dates(value: Mapping[str, Any]) -> list[date]:
    """The dates one value writes: its `date` or range, filtered by `days`."""
    if "date" in value:
        if "date_from" in value or "date_to" in value:
            raise ValueError(f"value has both date and a range: {dict(value)}")
        start = end = _iso_day(value["date"])
    else:
        start, end = _iso_day(value.get("date_from")), _iso_day(value.get("date_to"))
        if end < start:
            raise ValueError(f"range ends before it starts: {dict(value)}")
    weekdays = set(range(7))
    if "days" in value:
        days = value["days"]
        if not isinstance(days, list) or not days or not all(d in WEEKDAY_CODES for d in days):
            raise ValueError(f"bad days filter: {days!r}")
        weekdays = {WEEKDAY_CODES.index(code) for code in days}
    span = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [day for day in span if day.weekday() in weekdays]


def split_values(values: Sequence[dict[str, Any]], max_bytes: int) -> list[list[dict[str, Any]]]:
    """Consecutive chunks, each `{"values": chunk}` at most `max_bytes` as orjson writes it.

    Order is kept, so overlays still follow their base values (Channex runs messages FIFO).
    """
    chunks: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = ENVELOPE_BYTES
    for value in values:
        value_bytes = len(orjson.dumps(value))
        if ENVELOPE_BYTES + value_bytes > max_bytes:
            raise ValueError(f"one value takes {value_bytes} bytes, over the {max_bytes} limit")
        extra = value_bytes + (1 if current else 0)  # the comma
        if size + extra > max_bytes:
            chunks.append(current)
            current, size, extra = [], ENVELOPE_BYTES, value_bytes
        current.append(value)
        size += extra
    if current:
        chunks.append(current)
    return chunks


# --------------------------------------------------------------------------- wire values


def _to_wire(name: str, value: FieldValue, currency: str, rate_format: money.RateFormat) -> Wire:
    if name == "rate":
        return money.format_rate(Decimal(value), currency, rate_format)
    if name in BOOL_FIELDS:
        return bool(value)
    return int(value)


def _from_wire(name: str, wire: Any, currency: str) -> FieldValue:
    if name == "rate":
        return money.parse_rate(wire, currency)
    if name in BOOL_FIELDS and (isinstance(wire, bool) or wire in (0, 1)):
        return bool(wire)
    if name not in BOOL_FIELDS and isinstance(wire, int) and not isinstance(wire, bool):
        return wire
    raise ValueError(f"bad {name}: {wire!r}")


def _iso_day(text: Any) -> date:
    if not isinstance(text, str):
        raise ValueError(f"not a date: {text!r}")
    return date.fromisoformat(text)


def _value(
    property_id: str, entity_key: str, entity: str, layer: Layer, fields: dict[str, Wire]
) -> dict[str, Any]:
    date_from, date_to, weekdays = layer
    value: dict[str, Any] = {"property_id": property_id, entity_key: entity}
    if date_from == date_to and not weekdays:
        value["date"] = date_from.isoformat()
    else:
        value["date_from"] = date_from.isoformat()
        value["date_to"] = date_to.isoformat()
    if weekdays:
        value["days"] = [WEEKDAY_CODES[w] for w in weekdays]
    value.update(fields)
    return value


# --------------------------------------------------------------------------- compression


def _entity_layers(
    days: dict[date, dict[str, Wire]], names: tuple[str, ...], *, use_days: bool
) -> dict[Layer, dict[str, Wire]]:
    """One entity's values: per-field pieces merged by layer, or whole-cell runs if fewer."""
    ordered = sorted(days.items())
    per_field: dict[Layer, dict[str, Wire]] = {}
    for name in names:
        points = [(day, fields[name]) for day, fields in ordered if name in fields]
        for layer, wire in compress_field(points, use_days=use_days):
            per_field.setdefault(layer, {})[name] = wire
    whole: dict[Layer, dict[str, Wire]] = {}
    for segment in _segments(ordered):
        run_start = 0
        for i in range(1, len(segment) + 1):
            if i == len(segment) or segment[i][1] != segment[run_start][1]:
                whole[(segment[run_start][0], segment[i - 1][0], ())] = segment[run_start][1]
                run_start = i
    return whole if len(whole) <= len(per_field) else per_field


def compress_field(points: Sequence[Point], *, use_days: bool) -> list[tuple[Layer, Wire]]:
    """The pieces writing exactly `points` (one field of one entity, dates ascending, unique)."""
    pieces: list[tuple[Layer, Wire]] = []
    for segment in _segments(points):
        free = [False] * len(segment)  # rewritten by an overlay: any base value may cover it
        overlays: list[tuple[Layer, Wire]] = []
        start = 0
        while use_days and start < len(segment):
            end = _season_end(segment, start)
            overlays.extend(_season_overlays(segment, start, end, free))
            start = end
        pieces.extend(_base_runs(segment, free))
        pieces.extend(overlays)
    return pieces


def _segments(points: Sequence[tuple[date, _T]]) -> Iterator[Sequence[tuple[date, _T]]]:
    """Maximal gap-free stretches of consecutive dates."""
    start = 0
    for i in range(1, len(points) + 1):
        if i == len(points) or points[i][0] != points[i - 1][0] + ONE_DAY:
            yield points[start:i]
            start = i


def _season_end(segment: Sequence[Point], start: int) -> int:
    """End (exclusive) of the longest span from `start` where each weekday keeps one value."""
    seen: dict[int, Wire] = {}
    end = start
    while end < len(segment):
        day, wire = segment[end]
        if seen.setdefault(day.weekday(), wire) != wire:
            break
        end += 1
    return end


def _season_overlays(
    segment: Sequence[Point], start: int, end: int, free: list[bool]
) -> list[tuple[Layer, Wire]]:
    """`days` overlays for a season, when base + overlays beat plain runs; marks their dates."""
    by_value: dict[Wire, list[int]] = {}
    for i in range(start, end):
        by_value.setdefault(segment[i][1], []).append(i)
    runs = 1 + sum(segment[i][1] != segment[i - 1][1] for i in range(start + 1, end))
    if len(by_value) >= runs:
        return []
    base = max(by_value, key=lambda wire: len(by_value[wire]))  # first seen wins a tie
    overlays: list[tuple[Layer, Wire]] = []
    for wire, indices in by_value.items():
        if wire == base:
            continue
        for i in indices:
            free[i] = True
        weekdays = tuple(sorted({segment[i][0].weekday() for i in indices}))
        overlays.append(((segment[indices[0]][0], segment[indices[-1]][0], weekdays), wire))
    return overlays


def _base_runs(segment: Sequence[Point], free: list[bool]) -> list[tuple[Layer, Wire]]:
    """Fewest plain ranges giving every non-free date its value (free dates join any range)."""
    runs: list[tuple[Layer, Wire]] = []
    run_start = 0
    run_wire: Wire | None = None
    for i, (_, wire) in enumerate(segment):
        if free[i]:
            continue
        if run_wire is not None and wire != run_wire:
            runs.append(((segment[run_start][0], segment[i - 1][0], ()), run_wire))
            run_start = i
        if run_wire is None or wire != run_wire:
            run_wire = wire
    if run_wire is not None:
        runs.append(((segment[run_start][0], segment[-1][0], ()), run_wire))
    return runs
