"""When the optional nightly full sync is due (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MIN_GAP = timedelta(hours=20)


def full_sync_due(now: datetime, timezone: str, hour: int, last: datetime | None) -> bool:
    """True during hotel-local hour `hour` when no full sync ran in the last 20 hours.

    At most one full sync per day, off-peak, as Channex asks (never on a short timer).
    """
    local = now.astimezone(ZoneInfo(timezone))
    if local.hour != hour:
        return False
    return last is None or now - last >= MIN_GAP
