"""Notices: problems a person must see (parked bookings, dead letters, Channex warnings and
events such as `non_acked_booking`). Shown in `/status`; resolved when the cause is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    id: int
    at: datetime
    kind: str
    property_id: str | None
    ref: str | None
    detail: str


class Notices(Protocol):
    """The notices operations a store backend provides."""

    async def add(
        self,
        kind: str,
        detail: str,
        now: datetime,
        *,
        property_id: str | None = None,
        ref: str | None = None,
    ) -> int: ...

    async def resolve(self, now: datetime, *, kind: str, ref: str | None = None) -> int: ...

    async def open_notices(self, *, limit: int = 100) -> list[Notice]: ...
