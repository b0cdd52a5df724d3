"""Durable ARI sync requests: what triggers write, what the worker's ARI loop claims.

A request names a property (None: every property) and a room scope (None: every room). The
worker first splits each request for every property into one per property (`split_unscoped`),
then claims one property's due requests together (`claim_due_for`) and coalesces them into
one read of that property's PMS, so one hotel's change re-reads only that hotel.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRequest:
    id: int
    source: str
    property_id: str | None
    full_sync: bool
    room_codes: tuple[str, ...] | None
    date_from: date | None
    date_to: date | None
    attempts: int


class SyncRequests(Protocol):
    """The sync requests operations a store backend provides."""

    async def request(
        self,
        *,
        source: str,
        now: datetime,
        full_sync: bool = False,
        property_id: str | None = None,
        room_codes: Collection[str] | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        due_in_s: float = 0.0,
    ) -> int:
        """Record a request (`property_id` None: for every property); returns its id. `due_in_s`:
        how long it waits for others to join its PMS read (a change notice and a booking's re-sync
        of the same nights)."""

    async def claim_due(self, now: datetime, *, lease_s: float) -> list[SyncRequest]:
        """Atomically take every due request (pending, or running with an expired lease) and,
        when there is one, every fresh pending request waiting to coalesce: they share its read
        (a request in retry backoff keeps waiting)."""

    async def split_unscoped(self, property_ids: Sequence[str], now: datetime) -> int:
        """Give each request for every property (due, or waiting to coalesce) to the first
        property and a copy (same scope, attempts and times) to each other one, so each
        property's share is claimed, retried, coalesced and finished on its own; returns how many
        were split. With no property, such a request is done."""

    async def due_properties(self, now: datetime) -> list[str]:
        """The properties with due requests (after `split_unscoped`), the longest waiting first."""

    async def claim_due_for(
        self, property_id: str, now: datetime, *, lease_s: float
    ) -> list[SyncRequest]:
        """Atomically take every due request of one property and, when there is one, its fresh
        pending requests waiting to coalesce: they share the read (one in retry backoff waits)."""

    async def finish(self, ids: Sequence[int], now: datetime) -> None: ...

    async def retry_later(
        self, ids: Sequence[int], now: datetime, *, retry_at: datetime, error: str
    ) -> None: ...

    async def pending_count(self) -> int: ...

    async def last_error(self) -> str | None: ...
