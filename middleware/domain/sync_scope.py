"""What an operator may ask an incremental sync for (`POST /sync/incremental`, the CLI's
`sync incremental`): mapped categorias only, and dates from today to the end of the sync
horizon at the hotel — the same rules as the manual test pushes (`web/manual_body.py`).

A typo in a categoria would otherwise be ignored and the request become a sync of every
categoria over the whole horizon; a past date or one beyond the horizon would silently be
clipped. Each is refused with one message naming the value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from middleware import clock as clocks
from middleware.errors import PayloadError
from middleware.mapping import Mapping

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
) -> None:
    """Raise `PayloadError` for an unmapped categoria or a date outside today .. the end of
    the horizon at the hotels concerned (those of the categorias asked for, or all)."""
    mapped = mapping.room_codes()
    unknown = [code for code in dict.fromkeys(room_codes or ()) if code not in mapped]
    if unknown:
        raise PayloadError(
            f"categorias not in the mapping: {', '.join(unknown)}; mapped: {', '.join(mapped)}"
        )
    if room_codes:
        refs = [mapping.by_room_code(code) for code in room_codes]
        zones = {ref.property.timezone for ref in refs if ref is not None}
    else:
        zones = {prop.timezone for prop in mapping}
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
