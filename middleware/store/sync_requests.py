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

from middleware.store.group_commit import GroupCommit


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


@dataclass(frozen=True, slots=True, kw_only=True)
class NewRequest:
    """A request to record (`SyncRequests.request`'s arguments)."""

    source: str
    now: datetime
    full_sync: bool = False
    property_id: str | None = None
    room_codes: tuple[str, ...] | None = None
    date_from: date | None = None
    date_to: date | None = None
    due_in_s: float = 0.0


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

    async def request_many(self, asks: Sequence[NewRequest]) -> list[int]:
        """Record several requests in one transaction, in order; their ids (`RequestWriter`)."""

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


class RequestWriter:
    """`request` with group commit, for the web's triggers: requests made while an earlier
    write waits for the store go in one transaction together (`GroupCommit` over
    `request_many`), and each caller gets its id once its row is committed (the 202 stays
    durable). A storm of PMS change notices, a hundred a second with a hundred hotels, is then a
    few transactions a second, not a hundred."""

    def __init__(self, requests: SyncRequests) -> None:
        self._writer: GroupCommit[NewRequest, int] = GroupCommit(requests.request_many)

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
        """`SyncRequests.request`, written with the others waiting; returns its id."""
        return await self._writer.submit(
            NewRequest(
                source=source,
                now=now,
                full_sync=full_sync,
                property_id=property_id,
                room_codes=None if room_codes is None else tuple(room_codes),
                date_from=date_from,
                date_to=date_to,
                due_in_s=due_in_s,
            )
        )
