"""Days that recur every year: inclusive month-day ranges and ranges around Easter.

A hotel's seasons and restriction rules are written as `DaySpan`s so the same data file
serves any year: `["12-15", "03-05"]` wraps the new year, `[-51, -46]` (days from Easter
Sunday) is Carnaval from the Friday to Ash Wednesday, wherever Easter falls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MonthDay = tuple[int, int]


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def parse_month_day(text: str) -> MonthDay:
    """`"12-31"` → `(12, 31)`; raises ValueError on anything that is not a calendar day."""
    month_s, sep, day_s = text.partition("-")
    if not sep or len(month_s) != 2 or len(day_s) != 2:
        raise ValueError(f"expected MM-DD, got {text!r}")
    month, day = int(month_s), int(day_s)
    date(2024, month, day)  # a leap year, so 02-29 is valid
    return month, day


@dataclass(frozen=True, slots=True, kw_only=True)
class DaySpan:
    """Days of any year: inclusive month-day ranges plus ranges of days from Easter Sunday."""

    month_days: tuple[tuple[MonthDay, MonthDay], ...] = ()
    easter_days: tuple[tuple[int, int], ...] = ()

    def contains(self, day: date) -> bool:
        md = (day.month, day.day)
        for start, end in self.month_days:
            inside = start <= md <= end if start <= end else (md >= start or md <= end)
            if inside:
                return True
        if self.easter_days:
            offset = (day - easter_sunday(day.year)).days
            return any(lo <= offset <= hi for lo, hi in self.easter_days)
        return False


def nights(checkin: date, checkout: date) -> list[date]:
    """The nights of a stay: checkin ≤ night < checkout."""
    return [checkin + timedelta(days=i) for i in range((checkout - checkin).days)]


def days_between(date_from: date, date_to: date) -> list[date]:
    """Every date of an inclusive range."""
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
