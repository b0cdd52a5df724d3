"""The ARI Channex has accepted: one row per field of a cell, as canonical text.

Written only when a push completes (`outbox.complete`), inside that transaction; read to diff
new PMS state against. The `*_in` functions run on a connection inside a caller's transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Protocol

from middleware.domain.models import Cells, Lane


class AriState(Protocol):
    """The ari state operations a store backend provides."""

    async def acked(
        self,
        lane: Lane,
        entity_ids: Collection[str] | None,
        day_from: date,
        day_to: date,
    ) -> Cells:
        """What Channex holds for the lane's entities (all when None) between two days inclusive."""

    async def forget_before(self, today_by_property: Mapping[str, date]) -> int:
        """Housekeeping: drop state for days already past at each property; returns rows removed."""

    async def forget(
        self, lane: Lane, entity_ids: Collection[str], day_from: date, day_to: date
    ) -> int:
        """Drop what Channex is believed to hold for these entities and days (inclusive), so the
        next sync sends the PMS values again (after a manual test push); returns rows removed."""
