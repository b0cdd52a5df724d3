"""The PMS port: what the middleware needs from a property-management system.

Everything here speaks PMS-neutral values (`middleware.domain.models`); an adapter
(`pms/sistemaos.py` is the default) owns one PMS's URLs and field names and translates its
failures into the project's error tree at its own boundary:

- `TransientUpstreamError`: timeout, connection failure, 5xx, 429 — retry with backoff;
- `ConflictUpstreamError` (a `RejectedUpstreamError`): no unit free for a booking (HTTP 409);
- `RejectedUpstreamError`: the PMS refused the request — retrying it as-is won't help;
- `PayloadError`: the PMS answered with a document that cannot be read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from middleware.domain.models import PmsAri
from middleware.domain.pms_booking import PmsBookingRef, PmsBookingRequest


class PmsPort(Protocol):
    async def read_ari(self, date_from: date, date_to: date) -> PmsAri:
        """Availability, rates and restrictions for the inclusive range, already clamped."""
        ...

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef:
        """Create one booking, idempotently per `request.idempotency_key`.

        Raises `ConflictUpstreamError` when the PMS has no free unit of the room category.
        """
        ...

    async def modify_booking(
        self, pms_id: str, request: PmsBookingRequest, changed: tuple[str, ...]
    ) -> PmsBookingRef:
        """Bring the PMS booking `pms_id` to `request`, sending the `changed` fields only."""
        ...

    async def cancel_booking(
        self, pms_id: str, reason: str, *, fee: Decimal | None = None, currency: str | None = None
    ) -> PmsBookingRef:
        """Cancel the PMS booking `pms_id`, with what is still due (`fee` in `currency`) when
        something is; cancelling twice is not an error."""
        ...

    async def ping(self) -> None:
        """A cheap reachability check (for `/health`); raises `UpstreamError` when unreachable."""
        ...
