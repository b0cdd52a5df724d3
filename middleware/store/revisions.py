"""The booking-revision work queue: one row per Channex revision id (the dedup key).

Life of a row: `pending` (enqueued by the webhook intake or the feed poll) → `applied` (in
the PMS, not yet acked at Channex) → `acked`. Superseded revisions end `stale` (acked too);
ones a person must look at are `parked` until `replay` puts them back to `pending`, or until
`mark_handled` closes them (`handled`: the hotel dealt with the booking by hand; who, when and
why are kept in `revision_handling`, with whether Channex took the ack). An id Channex does not
know (404 when fetched) ends `unknown`. Claims are leases (`claimed_until`), taken inside
`BEGIN IMMEDIATE`, so two workers never take one row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from middleware.channex import events
from middleware.domain.attention import ParkNote

QueueStatus = Literal["pending", "applied", "acked", "stale", "parked", "handled", "unknown"]


STATUSES: tuple[QueueStatus, ...] = (
    "pending",
    "applied",
    "acked",
    "stale",
    "parked",
    "handled",
    "unknown",
)


UNKNOWN_NOTICE = "booking_revision_unknown"


NOTICE_KINDS = (events.BOOKING_UNMAPPED_ROOM, "booking_needs_attention", UNKNOWN_NOTICE)


STALE_REASON = "superseded by a newer revision of the booking"


AckState = Literal["pending", "acked", "failed", "not_needed", "not_sent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionRow:
    revision_id: str
    booking_id: str | None
    property_id: str | None
    source: str
    status: QueueStatus
    revision_status: str | None
    inserted_at: datetime | None
    received_at: datetime
    attempts: int
    next_attempt_at: datetime
    reason: str | None  # plain text (a park's technical text)
    park: ParkNote | None = None  # why it was parked, in hotel words (kept until it is done)


@dataclass(frozen=True, slots=True, kw_only=True)
class Handling:
    """Who closed a revision by hand, when and why, and what Channex made of its ack."""

    revision_id: str
    by: str
    reason: str
    at: datetime
    prior_status: str
    prior_reason: str | None
    channex_ack: AckState
    ack_detail: str | None
    ack_at: datetime | None


class Revisions(Protocol):
    """The revisions operations a store backend provides."""

    async def enqueue_many(
        self,
        items: Iterable[tuple[str, str | None, str | None]],
        now: datetime,
        *,
        source: str,
    ) -> int:
        """Queue `(revision_id, booking_id, property_id)` items in one transaction; returns how
        many were new."""

    async def get(self, revision_id: str) -> RevisionRow | None: ...

    async def claim_due(self, now: datetime, *, limit: int, lease_s: float) -> list[RevisionRow]:
        """Atomically lease up to `limit` due rows (pending or applied-but-unacked), oldest
        first."""

    async def due_properties(self, now: datetime) -> list[str | None]:
        """The properties (None: not known yet) with a due row, the longest waiting first."""

    async def claim_next(
        self, now: datetime, *, property_id: str | None, lease_s: float
    ) -> RevisionRow | None:
        """Lease the oldest due row of one property (None: of the rows whose property is not
        known yet); None when it has none."""

    async def claim_one(
        self, revision_id: str, now: datetime, *, lease_s: float
    ) -> RevisionRow | None:
        """Lease one row now, due or not ("do it now"); None if it is finished, parked or leased."""

    async def record_fetched(
        self,
        revision_id: str,
        *,
        booking_id: str,
        property_id: str,
        revision_status: str,
        inserted_at: datetime,
        now: datetime,
    ) -> None:
        """Keep what the fetched revision says about itself (for /status and ordering)."""

    async def mark_acked(self, revision_id: str, now: datetime) -> None: ...

    async def mark_stale(self, revision_id: str, now: datetime) -> None: ...

    async def park(
        self,
        revision_id: str,
        reason: str,
        now: datetime,
        *,
        notice_kind: str | None = None,
        property_id: str | None = None,
        note: ParkNote | None = None,
        notice_detail: str | None = None,
    ) -> None:
        """Stop retrying until a person replays it; with `notice_kind`, raise a notice (ref = the
        revision id, detail `notice_detail` or `reason`) in the same transaction. With `note`,
        the reason is kept in hotel words (`park`), `reason` reads back as `note.text`."""

    async def retry_later(
        self,
        revision_id: str,
        *,
        attempts: int,
        next_attempt_at: datetime,
        reason: str,
        now: datetime,
    ) -> None:
        """Release the lease and come back at `next_attempt_at`; the status is kept (an `applied`
        row stays applied: its retry only acks)."""

    async def replay(self, revision_id: str, now: datetime) -> bool:
        """Put a parked revision back in the queue, due now; False if it was not parked."""

    async def mark_unknown(
        self, revision_id: str, reason: str, now: datetime, *, property_id: str | None = None
    ) -> None:
        """Channex does not know the id (404): final, with a notice a person can read (and close
        with `mark_handled`); nothing to retry, nothing to ack."""

    async def mark_handled(self, revision_id: str, *, by: str, reason: str, at: datetime) -> bool:
        """Close a `parked` (or `unknown`) revision: the hotel dealt with it by hand. Records who,
        when and why, resolves its notices; False if it was neither. Its ack at Channex is the
        caller's (`record_handled_ack`), outside this transaction."""

    async def record_handled_ack(
        self, revision_id: str, state: AckState, detail: str | None, at: datetime
    ) -> None: ...

    async def handling(self, revision_id: str) -> Handling | None: ...

    async def list_by_status(
        self, statuses: Collection[QueueStatus], limit: int = 100
    ) -> list[RevisionRow]: ...

    async def search(self, text: str, *, limit: int = 50) -> list[RevisionRow]:
        """Revisions whose OTA reservation code or guest name contains `text` (case-insensitive
        for ASCII letters), or whose revision or booking id is `text`; newest first."""

    async def oldest_unacked(self) -> datetime | None:
        """When the oldest revision still owed an ack at Channex arrived (for /health); a handled
        or unknown one is finished here, whatever Channex made of its ack."""

    async def counts(self) -> dict[str, int]:
        """Rows per status, every status present (0 when none)."""
