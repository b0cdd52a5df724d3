"""Time at the edges: the UTC clock type and the hotel's local date.

The pure core never reads a clock; entry points pass `utc_now` (tests pass a fake).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def hotel_today(timezone: str, now: datetime) -> date:
    """The calendar date at the hotel at instant `now` (never send Channex a date before it)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def horizon(timezone: str, now: datetime, days: int) -> tuple[date, date]:
    """First and last hotel-local date of a `days`-long sync horizon starting today."""
    today = hotel_today(timezone, now)
    return today, today + timedelta(days=days - 1)
