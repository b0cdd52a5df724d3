"""Which properties are live: nothing reaches Channex's ARI for a property before it is.

A property is put live once, by the first full sync an operator asks for (`POST /sync/full`,
`python -m middleware sync full`): the live row and the full sync that pushes the whole horizon
commit together, so the worker never sees one without the other. Until then the worker still
reads sistema-os on every trigger, but enqueues nothing for the property and reads nothing back
from Channex; bookings are still taken in (see `worker.booking_sync`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveProperty:
    property_id: str
    since: datetime
    by: str  # who put it live: the route and its caller, or the CLI and its user


class Live(Protocol):
    """The live operations a store backend provides."""

    async def go_live(
        self,
        property_ids: Collection[str],
        now: datetime,
        *,
        by: str,
        source: str,
        only: str | None = None,
    ) -> int:
        """Put the properties live and record the full sync that pushes them, in one
        transaction; returns the sync request's id. `only`: one property goes live (the console's
        per-hotel button), and its full sync reads that property alone."""

    async def put_live(self, property_ids: Collection[str], now: datetime, *, by: str) -> None:
        """Put the properties live without a full sync (test harnesses and benchmarks that start
        from a Channex already in step with sistema-os)."""

    async def is_live(self, property_id: str) -> bool:
        """Whether one property is live (one indexed row: the ARI sync asks this per read)."""

    async def live_properties(self) -> dict[str, LiveProperty]:
        """Every live property by id."""
