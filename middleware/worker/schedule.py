"""When the optional nightly full sync is due (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MIN_GAP = timedelta(hours=20)
WINDOW = timedelta(hours=1)


def full_sync_due(now: datetime, timezone: str, hour: int, last: datetime | None) -> bool:
    """True during the hour that starts at `hour`:00 hotel time when no full sync ran in the
    last 20 hours.

    At most one full sync per day, off-peak, as Channex asks (never on a short timer). On the
    day clocks spring forward over `hour`:00 the hour starts when the gap ends; on the day they
    fall back it is the first of the two.
    """
    zone = ZoneInfo(timezone)
    start = datetime.combine(now.astimezone(zone).date(), time(hour), tzinfo=zone).astimezone(UTC)
    if not start <= now < start + WINDOW:
        return False
    return last is None or now - last >= MIN_GAP
