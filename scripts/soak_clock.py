"""The soak's time: real-speed UTC time plus an offset that jumps, shared by two processes.

The soak driver (emulators, traffic) holds a `SteppedClock` and moves it forward a few hours
at a time, always after the system has settled; the middleware child reads the same offset
through a `FileClock` on the file the driver writes (atomically: a new file each time, so a
change of inode is a change of offset). Between jumps time runs at real speed, so leases,
debounces and rate-limit windows behave as in production within a slot; nothing is in flight
when a jump happens.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path


def _write_offset(path: Path, offset: timedelta) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(repr(offset.total_seconds()))
    os.replace(tmp, path)


class SteppedClock:
    """The driver's clock: `set(instant)` moves time (for both processes) to `instant`."""

    def __init__(self, path: Path, start: datetime) -> None:
        self.path = path
        self._offset = timedelta(0)
        self.set(start)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, instant: datetime) -> None:
        self._offset = instant - datetime.now(UTC)
        _write_offset(self.path, self._offset)

    def timestamp(self) -> float:
        return self().timestamp()


class FileClock:
    """The middleware child's clock: the offset the driver last wrote to `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        stat = os.stat(self.path)
        key = (stat.st_ino, stat.st_mtime_ns)
        if key != self._seen:
            self._offset = timedelta(seconds=float(self.path.read_text()))
            self._seen = key
        return datetime.now(UTC) + self._offset
