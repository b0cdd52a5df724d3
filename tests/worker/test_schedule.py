"""The nightly full sync runs once a day, in the hotel's hour, DST days included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from middleware.worker.schedule import full_sync_due

SP = "America/Sao_Paulo"  # UTC-3 all year
NY = "America/New_York"  # 2027: clocks spring forward 14 Mar 02:00, fall back 7 Nov 02:00


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "timezone", "hour", "last", "due"),
    [
        # the hour is the hotel's: 03:00 in São Paulo is 06:00 UTC
        ("2026-11-21T06:00:00", SP, 3, None, True),
        ("2026-11-21T06:59:59", SP, 3, None, True),
        ("2026-11-21T05:59:59", SP, 3, None, False),
        ("2026-11-21T07:00:00", SP, 3, None, False),
        ("2026-11-21T03:30:00", SP, 3, None, False),  # 03:30 UTC is 00:30 at the hotel
        # midnight hotel time is 03:00 UTC
        ("2026-11-21T03:00:00", SP, 0, None, True),
        ("2026-11-21T02:59:59", SP, 0, None, False),
        # the 20-hour gap
        ("2026-11-21T06:30:00", SP, 3, "2026-11-20T06:30:00", True),
        ("2026-11-21T06:30:00", SP, 3, "2026-11-20T10:30:00", True),
        ("2026-11-21T06:30:00", SP, 3, "2026-11-20T10:30:01", False),
        ("2026-11-21T06:30:00", SP, 3, "2026-11-21T06:01:00", False),
        # spring forward: 02:00 does not exist, the hour starts when the gap ends (03:00 EDT)
        ("2027-03-14T06:59:59", NY, 2, None, False),  # 01:59:59 EST
        ("2027-03-14T07:00:00", NY, 2, None, True),  # 03:00 EDT
        ("2027-03-14T07:59:59", NY, 2, None, True),
        ("2027-03-14T08:00:00", NY, 2, None, False),
        ("2027-03-14T07:30:00", NY, 3, None, True),  # 03:30 EDT: hour 3 as usual
        # fall back: 01:00 happens twice, only the first counts
        ("2027-11-07T05:30:00", NY, 1, None, True),  # 01:30 EDT
        ("2027-11-07T06:30:00", NY, 1, None, False),  # 01:30 EST, the repeat
        ("2027-11-07T06:30:00", NY, 1, "2027-11-07T05:30:00", False),
        ("2027-11-07T07:30:00", NY, 2, None, True),  # 02:30 EST
        # an ordinary summer and winter day in New York
        ("2027-07-01T06:15:00", NY, 2, None, True),  # 02:15 EDT
        ("2027-01-15T07:15:00", NY, 2, None, True),  # 02:15 EST
        ("2027-01-15T06:15:00", NY, 2, None, False),  # 01:15 EST
    ],
)
def test_full_sync_due(now: str, timezone: str, hour: int, last: str | None, due: bool) -> None:
    assert full_sync_due(utc(now), timezone, hour, None if last is None else utc(last)) is due


def test_one_sync_a_day_over_a_fortnight_across_a_dst_change() -> None:
    """Checked every minute for 14 days around the spring change, with the sync recorded when
    due: exactly one per local day, each in the configured hour (or just after the gap)."""
    start = utc("2027-03-07T00:00:00")
    last: datetime | None = None
    runs: list[datetime] = []
    for minute in range(14 * 24 * 60):
        now = start + timedelta(minutes=minute)
        if full_sync_due(now, NY, 2, last):
            runs.append(now)
            last = now
    local = [r.astimezone(ZoneInfo(NY)) for r in runs]
    assert [t.date().day for t in local] == list(range(7, 21))
    assert [(t.hour, t.minute) for t in local] == [(2, 0)] * 7 + [(3, 0)] + [(2, 0)] * 6
