"""The booking processor: Channex booking revisions → PMS bookings, exactly once, latest state.

For each claimed revision: fetch it by id, plan it against the booking map
(`domain.bookings.plan_revision`), then
- stale (older than what was applied): ack, mark stale;
- unmapped room type or another blocker: park with a notice, do NOT ack (fix, then replay);
- else apply cancels, modifies, then creates to the PMS one room at a time, writing each room's
  result in its own transaction right after the PMS answers (a crash in between is healed on
  the retry by the PMS's Idempotency-Key); then, in one transaction, record the booking's new
  revision and mark the revision `applied`; ack; mark `acked`; ask for an ARI resync of the
  touched nights.
A row already `applied` (its ack failed) is only acked again: the PMS is never called twice.
Log lines carry ids and counts, never guest names or contact data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal, Protocol

import orjson
import structlog

from middleware import alerts, metrics, ratelimit
from middleware import clock as clocks
from middleware.domain import bookings as planning
from middleware.domain.models import Lane
from middleware.domain.pms_booking import PmsBookingRef, PmsBookingRequest
from middleware.domain.revision import BookingRevision
from middleware.domain.revision_facts import facts_of
from middleware.errors import (
    ConflictUpstreamError,
    PayloadError,
    RejectedUpstreamError,
    TransientUpstreamError,
    UpstreamError,
)
from middleware.mapping import Mapping
from middleware.store import ari_state, bookings, revision_facts, revisions
from middleware.store.db import Database
from middleware.store.revisions import RevisionRow

log = structlog.get_logger(__name__)

LEASE_S = 600.0
MAX_ATTEMPTS = 20
# A revision stamped later than now + this would make every real revision after it "stale".
MAX_CLOCK_SKEW = timedelta(days=1)
UNMAPPED_NOTICE = "booking_unmapped_room"
ATTENTION_NOTICE = "booking_needs_attention"

Result = Literal["acked", "stale", "parked", "retry", "ack_pending", "skipped", "error"]
Resync = Callable[[Sequence[planning.Touched]], Awaitable[None]]


class RevisionSource(Protocol):
    async def get_revision(self, revision_id: str) -> BookingRevision: ...

    async def ack(self, revision_id: str) -> None: ...


class BookingPms(Protocol):
    """The booking half of `pms.port.PmsPort`."""

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef: ...

    async def modify_booking(
        self, pms_id: str, request: PmsBookingRequest, changed: tuple[str, ...]
    ) -> PmsBookingRef: ...

    async def cancel_booking(
        self, pms_id: str, reason: str, *, fee: Decimal | None = None, currency: str | None = None
    ) -> PmsBookingRef: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    revision_id: str
    result: Result
    booking_id: str | None = None
    status: str | None = None  # the revision's status: new | modified | cancelled
    created: int = 0
    modified: int = 0
    cancelled: int = 0
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessReport:
    outcomes: tuple[Outcome, ...]

    def count(self, result: Result) -> int:
        return sum(1 for outcome in self.outcomes if outcome.result == result)


@dataclass(slots=True)
class _Run:
    """What one revision's processing has learned and done so far."""

    row: RevisionRow
    booking_id: str | None = None
    property_id: str | None = None
    status: str | None = None
    created: int = 0
    modified: int = 0
    cancelled: int = 0


def _pms_detail(exc: UpstreamError) -> str:
    """The PMS's own explanation (`{"detail": ...}`) when it gave one."""
    try:
        body = orjson.loads(exc.body or "")
    except orjson.JSONDecodeError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    return str(detail) if detail else str(exc)


class BookingProcessor:
    def __init__(
        self,
        channex: RevisionSource,
        pms: BookingPms,
        db: Database,
        mapping: Mapping,
        *,
        resync: Resync,
        clock: clocks.Clock = clocks.utc_now,
        alert: alerts.Alert = alerts.no_alert,
        max_attempts: int = MAX_ATTEMPTS,
        lease_s: float = LEASE_S,
    ) -> None:
        self._channex = channex
        self._pms = pms
        self._db = db
        self._mapping = mapping
        self._resync = resync
        self._clock = clock
        self._alert = alert
        self._max_attempts = max_attempts
        self._lease_s = lease_s

    async def run_once(self, *, limit: int = 50) -> ProcessReport:
        """Process up to `limit` due revisions, oldest first. Each is claimed just before it is
        processed, so its lease never runs out while it waits behind the others."""
        outcomes: list[Outcome] = []
        for _ in range(limit):
            rows = await revisions.claim_due(
                self._db, self._clock(), limit=1, lease_s=self._lease_s
            )
            if not rows:
                break
            outcomes.append(await self._guarded(_Run(rows[0])))
        return ProcessReport(outcomes=tuple(outcomes))

    async def process(self, revision_id: str) -> Outcome:
        """Process one revision now, due or not ("skipped" if finished, parked or leased)."""
        row = await revisions.claim_one(self._db, revision_id, self._clock(), lease_s=self._lease_s)
        if row is None:
            return Outcome(revision_id=revision_id, result="skipped")
        return await self._guarded(_Run(row))

    async def _guarded(self, run: _Run) -> Outcome:
        try:
            outcome = await self._handle(run)
        except Exception as exc:
            log.exception("booking_revision_failed", revision_id=run.row.revision_id)
            outcome = await self._retry(run, f"internal error: {type(exc).__name__}", None, "error")
        emit = log.info
        if outcome.result in ("parked", "error"):
            emit = log.error
        elif outcome.result == "retry":
            emit = log.warning
        emit(
            "booking_revision_processed",
            revision_id=outcome.revision_id,
            booking_id=outcome.booking_id,
            status=outcome.status,
            outcome=outcome.result,
            rooms_created=outcome.created,
            rooms_modified=outcome.modified,
            rooms_cancelled=outcome.cancelled,
            reason=outcome.reason,
        )
        metrics.BOOKING_REVISIONS.labels(outcome=outcome.result).inc()
        return outcome

    async def _handle(self, run: _Run) -> Outcome:
        row = run.row
        run.booking_id, run.property_id, run.status = (
            row.booking_id,
            row.property_id,
            row.revision_status,
        )
        if row.status == "applied":
            return await self._ack(run, "acked")
        try:
            revision = await self._channex.get_revision(row.revision_id)
        except TransientUpstreamError as exc:
            return await self._retry(run, f"fetching the revision: {exc}", exc.retry_after_s)
        except (RejectedUpstreamError, PayloadError) as exc:
            return await self._park(run, f"cannot fetch the revision: {exc}", ATTENTION_NOTICE)
        if (problem := self._implausible(row, revision)) is not None:
            return await self._park(run, problem, ATTENTION_NOTICE)
        run.booking_id, run.property_id, run.status = (
            revision.booking_id,
            revision.property_id,
            revision.status,
        )
        await revisions.record_fetched(
            self._db,
            row.revision_id,
            booking_id=revision.booking_id,
            property_id=revision.property_id,
            revision_status=revision.status,
            inserted_at=revision.inserted_at,
            now=self._clock(),
        )
        await revision_facts.save(self._db, row.revision_id, facts_of(revision), self._clock())
        plan = self._plan(revision, await bookings.load(self._db, revision.booking_id))
        if plan.stale:
            outcome = await self._ack(run, "stale")
            await self._resync_after(revision, ())
            return outcome
        if plan.needs_attention:
            kind = UNMAPPED_NOTICE if plan.unmapped else ATTENTION_NOTICE
            reason = "needs attention: " + "; ".join(plan.unmapped + plan.blocked)
            outcome = await self._park(run, reason, kind)
            await self._resync_after(revision, ())
            return outcome
        try:
            if await self._settle_lost_creates(run, revision):
                plan = self._plan(revision, await bookings.load(self._db, revision.booking_id))
                if plan.stale or plan.needs_attention:
                    reason = "needs attention: " + "; ".join(plan.unmapped + plan.blocked)
                    return await self._park(run, reason, ATTENTION_NOTICE)
            for note in plan.notes:
                log.warning("booking_revision_note", revision_id=revision.id, note=note)
            await self._apply(run, revision, plan)
        except TransientUpstreamError as exc:
            return await self._retry(run, f"PMS: {exc}", exc.retry_after_s)
        except PayloadError as exc:
            return await self._retry(run, f"PMS answer unreadable: {exc}", None)
        except (ConflictUpstreamError, RejectedUpstreamError) as exc:
            reason = (
                f"PMS has no free apartment: {_pms_detail(exc)}"
                if isinstance(exc, ConflictUpstreamError)
                else f"PMS refused: {_pms_detail(exc)}"
            )
            outcome = await self._park(run, reason, ATTENTION_NOTICE)
            await self._resync_after(revision, plan.touched)  # rooms applied before the refusal
            return outcome
        async with self._db.transaction() as conn:
            await bookings.save_booking(
                conn,
                channex_booking_id=revision.booking_id,
                property_id=revision.property_id,
                ota_code=revision.unique_id or revision.ota_reservation_code,
                status=revision.status,
                revision_id=revision.id,
                inserted_at=revision.inserted_at,
                now=self._clock(),
            )
            await revisions.mark_applied(conn, row.revision_id, self._clock())
        outcome = await self._ack(run, "acked")
        await self._resync_after(revision, plan.touched)
        return outcome

    async def _resync_after(
        self, revision: BookingRevision, touched: Sequence[planning.Touched]
    ) -> None:
        """Ask for an ARI resync of the nights the PMS changed (`touched`) and, for a new
        booking, of the nights Channex took by itself when it arrived (its read-only
        `allow_availability_autoupdate_on_confirmation`). For those the availability last
        pushed is forgotten first, so the PMS's values go out again even where they equal it:
        a booking stale, parked, or moved or cancelled before it was applied leaves the PMS as
        it was, and Channex one room short, until then."""
        took = self._taken_by_channex(revision)
        try:
            for room_type_id, stay in took:
                lane = Lane(revision.property_id, "availability")
                last_night = stay.date_to - timedelta(days=1)
                await ari_state.forget(self._db, lane, [room_type_id], stay.date_from, last_night)
            wanted = tuple(dict.fromkeys([*touched, *(stay for _, stay in took)]))
            if wanted:
                await self._resync(wanted)
        except Exception:
            log.exception("booking_resync_failed", revision_id=revision.id)

    def _taken_by_channex(self, revision: BookingRevision) -> list[tuple[str, planning.Touched]]:
        """(room type id, stay) of each mapped room of a `new` revision."""
        if revision.status != "new":
            return []
        taken = []
        for room in revision.rooms:
            ref = (
                None if room.room_type_id is None else self._mapping.by_room_type(room.room_type_id)
            )
            if ref is None or ref.property.property_id != revision.property_id:
                continue
            if room.checkout > room.checkin and not room.is_cancelled:
                stay = planning.Touched(
                    room_code=ref.room.room_code, date_from=room.checkin, date_to=room.checkout
                )
                taken.append((ref.room.room_type_id, stay))
        return taken

    def _implausible(self, row: RevisionRow, revision: BookingRevision) -> str | None:
        """A fetched revision that cannot be trusted to order or identify the booking."""
        if revision.id != row.revision_id:
            return f"Channex answered revision {revision.id[:80]!r} when asked for this one"
        if revision.inserted_at > self._clock() + MAX_CLOCK_SKEW:
            return f"inserted_at {revision.inserted_at.isoformat()} is in the future"
        return None

    def _plan(
        self, revision: BookingRevision, record: bookings.BookingRecord | None
    ) -> planning.RevisionPlan:
        def room_code(room_type_id: str) -> str | None:
            ref = self._mapping.by_room_type(room_type_id)
            if ref is None or ref.property.property_id != revision.property_id:
                return None
            return ref.room.room_code

        def plan_code(rate_plan_id: str) -> str | None:
            ref = self._mapping.by_rate_plan(rate_plan_id)
            if ref is None or ref.plan is None or ref.property.property_id != revision.property_id:
                return None
            return ref.plan.plan_code

        prop = self._mapping.property(revision.property_id)
        return planning.plan_revision(
            revision,
            rooms_by_type=room_code,
            plans_by_rate=plan_code,
            applied=record.rooms if record else {},
            last_inserted_at=record.last_inserted_at if record else None,
            last_revision_id=record.last_revision_id if record else None,
            currency=prop.currency if prop else None,
            today=clocks.hotel_today(prop.timezone, self._clock()) if prop else None,
        )

    async def _apply(
        self, run: _Run, revision: BookingRevision, plan: planning.RevisionPlan
    ) -> None:
        """Cancels first (they free apartments), then modifies, then creates; each room's
        result is stored as soon as the PMS has answered."""
        for cancel in plan.cancels:
            await self._pms.cancel_booking(
                cancel.pms_id, cancel.reason, fee=cancel.fee, currency=cancel.currency
            )
            await self._save_room(revision, cancel.room_index, cancel.pms_id, None, active=False)
            run.cancelled += 1
        for modify in plan.modifies:
            ref = await self._pms.modify_booking(modify.pms_id, modify.request, modify.changed)
            await self._save_room(revision, modify.room_index, ref.pms_id, modify.request)
            run.modified += 1
        for record in plan.records:  # only the room's Channex ids changed: nothing to send
            await self._save_room(revision, record.room_index, record.pms_id, record.request)
        for request in plan.creates:
            # What this create asks for is stored before it is sent: if its answer is lost,
            # `_settle_lost_creates` finds out what the PMS made of it before anything else.
            await self._save_room(revision, request.room_index, None, request)
            ref = await self._pms.create_booking(request)
            await self._save_room(revision, request.room_index, ref.pms_id, request)
            run.created += 1

    async def _settle_lost_creates(self, run: _Run, revision: BookingRevision) -> bool:
        """Rooms whose create was sent but never answered (timeout, 5xx, a crash) may exist in
        the PMS as that create asked. Sending the same create again (same Idempotency-Key)
        gives that booking back, or makes it; it is recorded as applied, so the revision is
        then planned against what the PMS holds: a later revision's different dates become
        a modification (a create would only get the old booking back, unchanged), and a
        cancellation cancels it. True if there was any (the plan must be made again)."""
        record = await bookings.load(self._db, revision.booking_id)
        lost = [
            (index, room.request)
            for index, room in sorted((record.rooms if record else {}).items())
            if room.pms_id is None and room.request is not None
        ]
        for index, request in lost:
            ref = await self._pms.create_booking(request)
            await self._save_room(revision, index, ref.pms_id, request)
            run.created += 1
        return bool(lost)

    async def _save_room(
        self,
        revision: BookingRevision,
        room_index: int,
        pms_id: str | None,
        request: PmsBookingRequest | None,
        *,
        active: bool = True,
    ) -> None:
        async with self._db.transaction() as conn:
            await bookings.save_room(
                conn,
                channex_booking_id=revision.booking_id,
                room_index=room_index,
                pms_id=pms_id,
                active=active,
                request=request,
                revision_id=revision.id,
                now=self._clock(),
            )

    async def _ack(self, run: _Run, final: Literal["acked", "stale"]) -> Outcome:
        revision_id = run.row.revision_id
        try:
            await self._channex.ack(revision_id)
        except TransientUpstreamError as exc:
            waiting: Result = "retry" if final == "stale" else "ack_pending"
            return await self._retry(run, f"ack: {exc}", exc.retry_after_s, waiting)
        except RejectedUpstreamError as exc:
            return await self._park(run, f"Channex refused the ack: {exc}", ATTENTION_NOTICE)
        now = self._clock()
        if final == "stale":
            await revisions.mark_stale(self._db, revision_id, now)
        else:
            await revisions.mark_acked(self._db, revision_id, now)
            latency = (now - run.row.received_at).total_seconds()
            metrics.BOOKING_LATENCY.observe(max(latency, 0.0))
        return self._outcome(run, final)

    async def _retry(
        self, run: _Run, reason: str, retry_after_s: float | None, result: Result = "retry"
    ) -> Outcome:
        attempts = run.row.attempts + 1
        if attempts >= self._max_attempts:
            reason = f"gave up after {attempts} attempts: {reason}"
            return await self._park(run, reason, ATTENTION_NOTICE)
        now = self._clock()
        delay_s = max(ratelimit.retry_delay_s(attempts), retry_after_s or 0.0)
        await revisions.retry_later(
            self._db,
            run.row.revision_id,
            attempts=attempts,
            next_attempt_at=now + timedelta(seconds=delay_s),
            reason=reason,
            now=now,
        )
        return self._outcome(run, result, reason)

    async def _park(self, run: _Run, reason: str, notice_kind: str) -> Outcome:
        revision_id = run.row.revision_id
        await revisions.park(
            self._db,
            revision_id,
            reason,
            self._clock(),
            notice_kind=notice_kind,
            property_id=run.property_id,
        )
        try:
            await self._alert(
                notice_kind, f"booking {run.booking_id} revision {revision_id}: {reason}"
            )
        except Exception:
            log.exception("booking_alert_failed", revision_id=revision_id)
        return self._outcome(run, "parked", reason)

    def _outcome(self, run: _Run, result: Result, reason: str | None = None) -> Outcome:
        return Outcome(
            revision_id=run.row.revision_id,
            result=result,
            booking_id=run.booking_id,
            status=run.status,
            created=run.created,
            modified=run.modified,
            cancelled=run.cancelled,
            reason=reason,
        )
