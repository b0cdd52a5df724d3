"""The tests' clocks: each is called for "now", as the product's clock is.

`ManualClock` stands still until a test sets `now` or calls `advance` (every age and
timestamp exact); `ShiftedClock` runs at real speed from a fixed start (the emulators and the
middleware's own waits keep moving); `Ticker` is a manual monotonic clock in seconds (rate
windows, throttles, sessions). The fixtures `clock` and `ticker` (tests/conftest.py) hand out
fresh ones at the default starts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

START = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)


class MovableClock(Protocol):
    """A UTC clock a test can move forward."""

    def __call__(self) -> datetime: ...

    def advance(self, seconds: float) -> None: ...


class ManualClock:
    """UTC time that moves only when told."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class ShiftedClock:
    """Real-speed UTC time that started at `start` when the clock was made."""

    def __init__(self, start: datetime = START) -> None:
        self._offset = start - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward (pauses and backoffs expire without waiting for them)."""
        self._offset += timedelta(seconds=seconds)


class Ticker:
    """Monotonic seconds that move only when told."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
