"""The durable outbox of ARI field changes, and the pushes that carry them to Channex.

One row per pending cell field (property, kind, entity, day, field); a lane (property, kind)
is pushed as one batch. Writing a field that is already pending replaces its value (last write
wins, `enqueued_at` kept). A field written back to what Channex already holds (ari_state) is
removed instead: change-then-revert sends nothing.

A claim marks every unclaimed pending row of a lane with a push id and snapshots the values
into `push_cells`. A write to a field in flight replaces the value and clears the push id, so
the field goes out again in a later push; completion deletes only rows still carrying the push
id and records into ari_state the values the push actually carried. One claim per lane at a
time, so two pushes of a lane never race each other to Channex.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from middleware.domain.models import CellKey, Cells, Kind, Lane
from middleware.ratelimit import WINDOW_S

REJECTED_FIELD_ERROR = "dropped by Channex with a warning"


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    push_id: int
    lane: Lane
    idempotency_key: str
    cells: Cells
    full_sync: bool
    claimed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """What an accepted push carried and got back (`complete`'s arguments), for a backend's
    completion."""

    task_ids: Sequence[str]
    warnings: Sequence[dict[str, Any]]
    rejected: Collection[tuple[CellKey, str]]  # fields Channex dropped with a warning
    values_count: int
    bytes_sent: int
    calls: int
    payload_sha256: str
    duration_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsRead:
    """What one PMS read of a property produced, written in one transaction (`enqueue_read`):
    the mapped categorias the answer lacked (`pms_rooms.record`'s `categorias`, `covered`,
    `mapped`), each lane's desired cells over the days (`enqueue_diffs`; none while the
    property is not live) and the sync requests the read answers (`sync_requests.finish`)."""

    property_id: str
    unserved: Sequence[str]
    covered: Collection[str] | None
    mapped: Collection[tuple[str, str]] | None
    changes: Sequence[tuple[Lane, Cells]]
    day_from: date
    day_to: date
    full_sync: bool = False  # forced too: every value is sent
    answers: Sequence[int] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneBacklog:
    lane: Lane
    pending: int  # waiting for a push
    in_flight: int  # carried by a claimed push
    dead: int  # dead letters, until retried or rewritten
    oldest_enqueued_at: datetime | None  # of the pending and in-flight rows


@dataclass(frozen=True, slots=True, kw_only=True)
class PushRecord:
    """One outbound push (a claim and its outcome), for /status and the audit trail."""

    id: int
    lane: Lane
    idempotency_key: str
    status: str  # claimed | sent | partial | failed | rejected | released
    attempts: int
    cells: int
    full_sync: bool
    values_count: int | None
    bytes_sent: int | None
    calls: int | None
    payload_sha256: str | None
    task_ids: tuple[str, ...]
    warnings: tuple[dict[str, Any], ...]
    error: str | None
    duration_ms: int | None
    claimed_at: datetime
    finished_at: datetime | None


class Outbox(Protocol):
    """The outbox operations a store backend provides."""

    async def enqueue(
        self, lane: Lane, changes: Cells, now: datetime, *, full_sync: bool = False
    ) -> int:
        """Make `changes` pending for the lane; returns outbox rows inserted, changed or removed.

        A dead row rewritten with a new value is pending again with attempts 0. A value equal to
        the acked one removes its pending row (unless `full_sync`: then everything is sent).
        """

    async def enqueue_diff(
        self,
        lane: Lane,
        desired: Cells,
        now: datetime,
        *,
        day_from: date,
        day_to: date,
        force: bool = False,
        full_sync: bool = False,
    ) -> int:
        """Enqueue the fields of `desired` (within the days) that differ from the effective state:
        the pending or in-flight outbox value where a row exists (dead rows too, so a refused value
        is not resent until it changes), else the acked one. `force` keeps every field (full sync).
        Read and write share one transaction, so two concurrent syncs cannot interleave."""

    async def enqueue_diffs(
        self,
        changes: Sequence[tuple[Lane, Cells]],
        now: datetime,
        *,
        day_from: date,
        day_to: date,
        force: bool = False,
        full_sync: bool = False,
    ) -> int:
        """`enqueue_diff` for several lanes (a property's availability and restrictions after one
        PMS read) in one transaction; returns the rows inserted, changed or removed."""

    async def enqueue_read(self, read: PmsRead, now: datetime) -> int:
        """Everything one PMS read produced, and the finishing of the sync requests it answers,
        in one transaction (one store turn for the read's every write: with a hundred hotels
        changing, the store is the worker's narrowest point); returns the outbox rows inserted,
        changed or removed."""

    async def effective_state(
        self, lane: Lane, entity_ids: Collection[str], day_from: date, day_to: date
    ) -> Cells:
        """What Channex will hold once the outbox drains: outbox values over acked ones."""

    async def due_lanes(
        self, now: datetime, *, debounce_s: float, max_delay_s: float
    ) -> list[Lane]:
        """Lanes with unclaimed pending rows that are settled (no write for `debounce_s`) or
        have waited `max_delay_s`, not paused or backing off, and with no push in flight;
        oldest first."""

    async def release_expired_then_due(
        self, now: datetime, *, debounce_s: float, max_delay_s: float
    ) -> list[Lane]:
        """The pump's tick in one transaction (one turn of the store, not two):
        `release_expired`, then `due_lanes`."""

    async def claim(self, lane: Lane, now: datetime, *, lease_s: float) -> Claim | None:
        """Take every unclaimed pending row of the lane into a new push; None if there is nothing
        to send or the lane already has a push in flight."""

    async def claim_within_limit(
        self,
        lane: Lane,
        now: datetime,
        *,
        today: date,
        limit: int,
        window_s: float = WINDOW_S,
        lease_s: float,
    ) -> Claim | datetime | None:
        """The start of a push in one transaction: drop the lane's rows for days before `today`
        (`drop_past`, this lane's only), then, if the lane has rows to send and no push in
        flight, take a call slot (`lanes.reserve_call`, `limit` per `window_s`) and claim them
        (`claim`). None: nothing to send (no slot taken); a datetime: the lane's rate window is
        full until then (nothing claimed)."""

    async def complete(
        self,
        claim: Claim,
        now: datetime,
        *,
        task_ids: Sequence[str],
        warnings: Sequence[dict[str, Any]],
        rejected: Collection[tuple[CellKey, str]],
        values_count: int,
        bytes_sent: int,
        calls: int,
        payload_sha256: str,
        duration_ms: int,
    ) -> None:
        """Channex accepted the push: what it carried becomes acked, except the fields it dropped
        with a warning (`rejected`), which are dead-lettered so they are not resent unchanged."""

    async def complete_answered(
        self,
        claim: Claim,
        now: datetime,
        *,
        reserved_at: datetime,
        task_ids: Sequence[str],
        warnings: Sequence[dict[str, Any]],
        rejected: Collection[tuple[CellKey, str]],
        values_count: int,
        bytes_sent: int,
        calls: int,
        payload_sha256: str,
        duration_ms: int,
    ) -> None:
        """The end of an accepted push in one transaction: its last call, reserved at
        `reserved_at`, logged at its answer `now` (`lanes.call_answered`), `complete`, and the
        lane's 429 pause ladder reset (`lanes.clean_push`)."""

    async def fail(
        self,
        claim: Claim,
        now: datetime,
        *,
        error: str,
        retry_at: datetime,
        max_attempts: int,
        outcome_unknown: bool = False,
    ) -> int:
        """A transient failure: the rows wait for `retry_at`; those that reached `max_attempts` are
        dead-lettered. Returns the number of rows dead-lettered.

        `outcome_unknown` (a timeout, a dropped connection, a 5xx: Channex may have applied the
        push, or part of it, anyway): what Channex holds for the carried fields is forgotten, so
        a later sync that finds the PMS back at the old value still sends it."""

    async def reject(self, claim: Claim, now: datetime, *, error: str) -> int:
        """Channex refused the whole push (a 4xx): its rows are dead-lettered; returns how many."""

    async def release(self, claim: Claim, now: datetime) -> None:
        """The push was not finished (shutdown, cancellation): its rows are pending again,
        untouched; what Channex holds for them is unknown (it may have been sent)."""

    async def release_expired(self, now: datetime) -> int:
        """Release the claims of crashed workers (lease expired; like `release`); returns how
        many."""

    async def retry_dead(
        self, now: datetime, *, property_id: str | None = None, kind: Kind | None = None
    ) -> int:
        """Dead letters (all, or one property's, or one lane's) back to pending with attempts 0."""

    async def drop_past(self, property_id: str, today: date) -> int:
        """Remove rows (pending or dead, not in flight) for days Channex no longer accepts."""

    async def backlog(self, now: datetime) -> list[LaneBacklog]:
        """Per lane with rows: counts by state and the oldest wait (for /status and metrics)."""

    async def recent_pushes(
        self, *, limit: int = 20, property_id: str | None = None
    ) -> list[PushRecord]:
        """The latest pushes, newest first."""
