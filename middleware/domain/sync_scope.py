"""What an operator may ask an incremental sync for (`POST /sync/incremental`, the CLI's
`sync incremental`): mapped categorias only, and dates from today to the end of the sync
horizon at the hotel — the same rules as the manual test pushes (`web/manual_body.py`).

A typo in a categoria would otherwise be ignored and the request become a sync of every
categoria over the whole horizon; a past date or one beyond the horizon would silently be
clipped. Each is refused with one message naming the value and what is allowed. Categoria
codes are unique per property only: with a `property` named they must be that property's,
without one each must be mapped by some property (and concerns each that maps it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from middleware import clock as clocks
from middleware.domain.mapping import Mapping, PropertyMap
from middleware.errors import PayloadError

# The keys of a sync-scope body (`web/requests.py`); an operator's request may carry no other.
SCOPE_KEYS = ("property", "categorias", "date_from", "date_to")


def check_scope(
    mapping: Mapping,
    *,
    room_codes: Sequence[str] | None,
    date_from: date | None,
    date_to: date | None,
    now: datetime,
    horizon_days: int,
    property_ref: str | None = None,
) -> None:
    """Raise `PayloadError` for an unknown property, an unmapped categoria (in the property
    named by `property_ref`, a Channex id or mapping name, else in every property) or a date
    outside today .. the end of the horizon at the hotels concerned (the property named, else
    those mapping the categorias asked for, or all)."""
    props: tuple[PropertyMap, ...] = mapping.properties
    if property_ref is not None:
        named = mapping.find(property_ref)
        if named is None:
            raise PayloadError(f"'property' {property_ref[:80]!r} is not mapped")
        props = (named,)
    mapped = tuple(dict.fromkeys(code for prop in props for code in prop.room_codes()))
    unknown = [code for code in dict.fromkeys(room_codes or ()) if code not in mapped]
    if unknown:
        where = "" if property_ref is None else f" of {props[0].name or props[0].property_id}"
        raise PayloadError(
            f"categorias not in the mapping{where}: {', '.join(unknown)};"
            f" mapped: {', '.join(mapped)}"
        )
    if room_codes:
        props = tuple(p for p in props if any(p.room(c) is not None for c in room_codes))
    zones = {prop.timezone for prop in props}
    spans = [clocks.horizon(zone, now, horizon_days) for zone in sorted(zones)]
    today = min(first for first, _ in spans)
    end = max(last for _, last in spans)
    for key, day in (("date_from", date_from), ("date_to", date_to)):
        if day is None:
            continue
        if day < today:
            raise PayloadError(f"{key} {day} is in the past (today at the hotel is {today})")
        if day > end:
            raise PayloadError(
                f"{key} {day} is beyond the sync horizon (CHANNEX_SYNC_DAYS: last day {end})"
            )
