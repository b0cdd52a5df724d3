"""Channex parity, stored: read-backs wanted, drift queued to heal, drift still open.

`heal` is the one write a read-back makes: in one transaction it drops what the middleware
believed Channex held for each drifted field and queues the PMS value in the outbox, so the
normal pump sends it. A field that is busy — an outbox row exists (pending, in flight or dead)
or a push was accepted after the read began — is left alone: the read may predate that push.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from middleware.domain.models import Kind, Lane
from middleware.domain.readback import Drift


@dataclass(frozen=True, slots=True, kw_only=True)
class ParityRequest:
    property_id: str
    kind: Kind
    date_from: date
    date_to: date
    requested_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    """What a pass learnt about drift it had found before."""

    healed: tuple[tuple[str, float], ...]  # (field, seconds from found to healed)
    persisting: tuple[Drift, ...]  # found again after a heal went out


class ParityDrift(Protocol):
    """The parity drift operations a store backend provides."""

    async def requests(self) -> list[ParityRequest]: ...

    async def finish_request(self, request: ParityRequest) -> None:
        """Done, unless a newer event asked again meanwhile (then it stays for the next pass)."""

    async def heal(
        self, lane: Lane, drift: Sequence[Drift], now: datetime, *, read_at: datetime
    ) -> list[Drift]:
        """Forget the believed value of each drifted field and queue the PMS value; returns the
        drift queued (busy fields are skipped) and records it as open drift."""

    async def settle(
        self, lane: Lane, date_from: date, date_to: date, drift: Sequence[Drift], now: datetime
    ) -> Settled:
        """After a comparison of these days: open drift no longer found is healed (removed, with
        its age); open drift found again is persisting (it had been queued and went out)."""

    async def bookings_in_flight(self, property_id: str) -> int:
        """Booking revisions of the property (or of no known property yet) still on their way
        to the PMS."""

    async def open_drift(self, property_id: str) -> int: ...
