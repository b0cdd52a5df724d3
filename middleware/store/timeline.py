"""Reads behind the console's booking pages: recent bookings with their revisions, when each
revision's webhook arrived, the revisions closed by hand whose Channex ack is still owed, and a
cheap fingerprint of everything the pages show (the live refresh compares it)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from middleware.domain.attention import ParkNote


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionLine:
    revision_id: str
    booking_id: str | None
    property_id: str | None
    status: str
    revision_status: str | None
    received_at: datetime
    updated_at: datetime
    reason: str | None  # plain text (a park note's technical text)
    park: ParkNote | None = None  # why it was parked, in hotel words


class Timeline(Protocol):
    """The timeline operations a store backend provides."""

    async def recent_booking_ids(self, *, limit: int = 20) -> list[str]:
        """Bookings whose latest revision arrived most recently, newest first."""

    async def revisions_of(self, booking_ids: Collection[str]) -> list[RevisionLine]:
        """Every revision of these bookings, oldest first."""

    async def webhooks_of(
        self, revision_ids: Collection[str]
    ) -> dict[str, list[tuple[datetime, str]]]:
        """(received at, event) of the webhooks naming each revision, oldest first."""

    async def handled_owing_ack(self, *, limit: int = 100) -> list[str]:
        """Revisions closed by hand whose ack Channex has not taken (it failed, or the process
        stopped before sending it), oldest first: Channex's non-ack alarm still rings for them."""

    async def fingerprint(self) -> str:
        """Changes whenever a call, webhook, revision, queued change, push, notice, the Channex
        ack of a revision closed by hand or work the worker was asked for (a read-back) does."""
