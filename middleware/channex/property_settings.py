"""The Channex property settings parity depends on, what is wrong with them and the fix.

- `state_length` (days of inventory Channex keeps open, 100…730) at least `CHANNEX_SYNC_DAYS`:
  shorter, Channex silently cuts the tail of every full sync;
- `min_stay_type` `both`: the middleware sends `min_stay_arrival` and `min_stay_through`
  apart (never the `min_stay` alias);
- availability auto-update on modification and on cancellation off: the PMS recomputes
  availability after a booking changes and pushes it; Channex adjusting by itself as well
  would count the change twice until the next push. (Auto-update on a new booking is
  read-only at Channex; parity reconciles it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MIN_STAY_TYPE = "both"
STATE_LENGTH_MIN = 100
STATE_LENGTH_MAX = 730
FLAGS_OFF = (
    "allow_availability_autoupdate_on_modification",
    "allow_availability_autoupdate_on_cancellation",
)


def settings_of(attributes: Mapping[str, Any]) -> Mapping[str, Any]:
    """The `settings` object of a property resource (or its attributes)."""
    inner = attributes.get("attributes")
    source = inner if isinstance(inner, Mapping) else attributes
    settings = source.get("settings")
    return settings if isinstance(settings, Mapping) else {}


def wanted_state_length(sync_days: int) -> int:
    return min(STATE_LENGTH_MAX, max(STATE_LENGTH_MIN, sync_days))


def problems(settings: Mapping[str, Any], sync_days: int) -> list[str]:
    """What is wrong, one line each, naming the setting and its value."""
    found: list[str] = []
    length = settings.get("state_length")
    if not isinstance(length, int) or length < sync_days:
        found.append(f"state_length {length} is shorter than CHANNEX_SYNC_DAYS ({sync_days})")
    if settings.get("min_stay_type") != MIN_STAY_TYPE:
        found.append(
            f"min_stay_type is {settings.get('min_stay_type')!r}, the mapping sends both"
            " min_stay_arrival and min_stay_through"
        )
    found.extend(f"{flag} is on" for flag in FLAGS_OFF if settings.get(flag) is not False)
    return found


def fixes(settings: Mapping[str, Any], sync_days: int) -> dict[str, Any]:
    """The settings to PUT so that `problems` is empty (nothing when it already is)."""
    change: dict[str, Any] = {}
    length = settings.get("state_length")
    if not isinstance(length, int) or length < sync_days:
        change["state_length"] = wanted_state_length(sync_days)
    if settings.get("min_stay_type") != MIN_STAY_TYPE:
        change["min_stay_type"] = MIN_STAY_TYPE
    change.update({flag: False for flag in FLAGS_OFF if settings.get(flag) is not False})
    return change
