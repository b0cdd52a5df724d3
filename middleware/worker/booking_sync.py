"""The booking processor: Channex booking revisions → PMS bookings, exactly once, latest state.

For each claimed revision: fetch it by id, plan it against the booking map
(`domain.booking_plan.plan_revision`), then
- stale (older than what was applied): ack, mark stale;
- unmapped room type or another blocker: park with a notice, do NOT ack (fix, then replay, or
  mark it handled);
- an id Channex does not know (404): `unknown`, final, with a notice;
- else apply cancels, modifies, then creates to the PMS one room at a time, writing each room's
  result in its own transaction right after the PMS answers (a crash in between is healed on
  the retry by the PMS's Idempotency-Key); then, in one transaction, record the booking's new
  revision and mark the revision `applied`; ack; mark `acked`; ask for an ARI resync of the
  touched nights.
A revision of a booking already forgotten (`store.retention`: its map and revisions removed
after its stay) is parked, never planned: with no map the plan would create it again.
A row already `applied` (its ack failed) is only acked again: the PMS is never called twice.
Properties are worked on concurrently in a bounded `KeyedPool`, one task per property
processing its revisions in order, each room with that property's own PMS: one hotel's slow
or failing PMS delays only its own bookings, and a booking never reaches another's PMS.
Log lines carry ids and counts, never guest names or contact data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal, Protocol

import orjson
import structlog

from middleware import alerts, metrics, ratelimit
from middleware import clock as clocks
from middleware.channex import events
from middleware.domain import attention
from middleware.domain import booking_plan as planning
from middleware.domain import retention as forgetting
from middleware.domain.attention import BookingFacts, ParkNote, ParkReason
from middleware.domain.mapping import Mapping as ChannexMapping
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
from middleware.pms.directory import PmsDirectory
from middleware.store import booking_map, revisions
from middleware.store.port import Store
from middleware.store.revisions import RevisionRow
from middleware.worker import keyed_pool
from middleware.worker.keyed_pool import KeyedPool

log = structlog.get_logger(__name__)

LEASE_S = 600.0
MAX_ATTEMPTS = 20
# A revision stamped later than now + this would make every real revision after it "stale".
MAX_CLOCK_SKEW = timedelta(days=1)
UNMAPPED_NOTICE = events.BOOKING_UNMAPPED_ROOM  # the kind the webhook's notice has too
ATTENTION_NOTICE = "booking_needs_attention"
RESOLVED_ALERT = "booking_resolved"

Result = Literal["acked", "stale", "parked", "unknown", "retry", "ack_pending", "skipped", "error"]
UNKNOWN_REASON = (
    "Channex does not know revision {revision_id} (HTTP 404): not a booking of this account,"
    " nothing to apply or acknowledge"
)
# (the revision's property, the rooms of that property it touched) → an ARI re-sync asked
Resync = Callable[[str, Sequence[planning.Touched]], Awaitable[None]]


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
    facts: BookingFacts | None = None  # once the revision is fetched


def _plain_pms_detail(exc: UpstreamError) -> str:
    """What sistema-os said in its own words, or that it said nothing but a status."""
    try:
        body = orjson.loads(exc.body or "")
    except orjson.JSONDecodeError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    return f"“{detail}”" if detail else f"nothing but HTTP {exc.status}"


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
        pms: BookingPms | PmsDirectory,
        store: Store,
        mapping: ChannexMapping,
        *,
        resync: Resync,
        clock: clocks.Clock = clocks.utc_now,
        alert: alerts.Alert = alerts.no_alert,
        max_attempts: int = MAX_ATTEMPTS,
        lease_s: float = LEASE_S,
        pool: KeyedPool | None = None,
    ) -> None:
        self.pool = pool or KeyedPool(name="bookings")
        self._channex = channex
        self._pms = pms
        self._store = store
        self._mapping = mapping
        self._resync = resync
        self._clock = clock
        self._alert = alert
        self._max_attempts = max_attempts
        self._lease_s = lease_s

    async def run_once(self, *, limit: int = 50) -> ProcessReport:
        """One pass, waiting for it: up to `limit` due revisions of each property ("process
        now"). A property whose work is already running (the loop's) is not skipped: the pass
        waits for that work, then runs its own, so every revision due when it was asked is
        processed; the report has what the work it waited for did too."""
        due = await self._store.revisions.due_properties(self._clock())
        found = await asyncio.gather(*(self._run_behind(p, limit) for p in due))
        return ProcessReport(
            outcomes=tuple(o for reports in found for report in reports for o in report.outcomes)
        )

    async def _run_behind(self, property_id: str | None, limit: int) -> list[ProcessReport]:
        """Run the property's work now, or once the work running for it has ended."""
        reports: list[ProcessReport] = []
        while True:
            task = self._start(property_id, limit)
            if task is not None:
                return reports + await keyed_pool.results_of([task])
            running = self.pool.task_of(property_id)
            if running is not None:
                reports += await keyed_pool.outcome_of(running)

    async def dispatch(self, *, limit: int = 50) -> list[asyncio.Task[ProcessReport] | None]:
        """Start a task for every property with due revisions and none running; no wait."""
        due = await self._store.revisions.due_properties(self._clock())
        return [self._start(property_id, limit) for property_id in due]

    def _start(self, property_id: str | None, limit: int) -> asyncio.Task[ProcessReport] | None:
        return self.pool.start(property_id, lambda: self._run_property(property_id, limit))

    async def _run_property(self, property_id: str | None, limit: int) -> ProcessReport:
        """Up to `limit` due revisions of one property, oldest first. Each is claimed just
        before it is processed, so its lease never runs out while it waits behind the others.
        (Rows whose property is not known yet are one more "property" of their own.)"""
        outcomes: list[Outcome] = []
        for _ in range(limit):
            row = await self._store.revisions.claim_next(
                self._clock(), property_id=property_id, lease_s=self._lease_s
            )
            if row is None:
                break
            outcomes.append(await self._guarded(_Run(row)))
        return ProcessReport(outcomes=tuple(outcomes))

    def _pms_of(self, property_id: str) -> BookingPms:
        pms = self._pms
        return pms.for_property(property_id) if isinstance(pms, PmsDirectory) else pms

    async def process(self, revision_id: str) -> Outcome:
        """Process one revision now, due or not ("skipped" if finished, parked or leased)."""
        row = await self._store.revisions.claim_one(
            revision_id, self._clock(), lease_s=self._lease_s
        )
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
        elif outcome.result in ("retry", "unknown"):
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
            return await self._retry(
                run, f"fetching the revision: {exc}", exc.retry_after_s, cause="channex_unreachable"
            )
        except RejectedUpstreamError as exc:
            if exc.status == 404:
                return await self._unknown(run)
            text = f"cannot fetch the revision: {exc}"
            details = {"status": str(exc.status)}
            return await self._park(run, ParkReason.REVISION_REFUSED, text, details=details)
        except PayloadError as exc:
            text = f"cannot fetch the revision: {exc}"
            details = {"problem": str(exc)}
            return await self._park(run, ParkReason.REVISION_UNREADABLE, text, details=details)
        if (problem := self._implausible(row, revision)) is not None:
            return await self._park(
                run, problem.reason, problem.text, details=dict(problem.details)
            )
        run.booking_id, run.property_id, run.status = (
            revision.booking_id,
            revision.property_id,
            revision.status,
        )
        run.facts = self._facts(revision)
        await self._store.revisions.record_fetched(
            row.revision_id,
            booking_id=revision.booking_id,
            property_id=revision.property_id,
            revision_status=revision.status,
            inserted_at=revision.inserted_at,
            now=self._clock(),
        )
        await self._store.fetched_facts.save(row.revision_id, facts_of(revision), self._clock())
        if (gone := await self._store.retention.tombstone(revision.booking_id)) is not None:
            late = forgetting.late_revision(gone, revision.id)  # never planned: it would create
            return await self._park(run, late.reason, late.text, details=dict(late.details))
        plan = self._plan(revision, await self._store.booking_map.load(revision.booking_id))
        if plan.stale:
            outcome = await self._ack(run, "stale")
            await self._resync_after(revision, ())
            return outcome
        if plan.needs_attention:
            kind = UNMAPPED_NOTICE if plan.unmapped else ATTENTION_NOTICE
            outcome = await self._park_plan(run, plan, kind)
            await self._resync_after(revision, ())
            return outcome
        try:
            if await self._settle_lost_creates(run, revision):
                plan = self._plan(revision, await self._store.booking_map.load(revision.booking_id))
                if plan.stale or plan.needs_attention:
                    return await self._park_plan(run, plan, ATTENTION_NOTICE)
            for note in plan.notes:
                log.warning("booking_revision_note", revision_id=revision.id, note=note)
            await self._apply(run, revision, plan)
        except TransientUpstreamError as exc:
            return await self._retry(run, f"PMS: {exc}", exc.retry_after_s, cause="pms_unreachable")
        except PayloadError as exc:
            return await self._retry(
                run, f"PMS answer unreadable: {exc}", None, cause="pms_unreadable"
            )
        except (ConflictUpstreamError, RejectedUpstreamError) as exc:
            full = isinstance(exc, ConflictUpstreamError)
            reason = (
                f"PMS has no free apartment: {_pms_detail(exc)}"
                if full
                else f"PMS refused: {_pms_detail(exc)}"
            )
            code = ParkReason.PMS_NO_VACANCY if full else ParkReason.PMS_REFUSED
            details = {"pms_detail": _plain_pms_detail(exc)}
            outcome = await self._park(run, code, reason, details=details)
            await self._resync_after(revision, plan.touched)  # rooms applied before the refusal
            return outcome
        # `revision.id` is `row.revision_id` (`_implausible` parks any other answer)
        await self._store.booking_map.record_applied(
            channex_booking_id=revision.booking_id,
            property_id=revision.property_id,
            ota_code=revision.unique_id or revision.ota_reservation_code,
            status=revision.status,
            revision_id=revision.id,
            inserted_at=revision.inserted_at,
            now=self._clock(),
        )
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
                await self._store.ari_state.forget(lane, [room_type_id], stay.date_from, last_night)
            wanted = tuple(dict.fromkeys([*touched, *(stay for _, stay in took)]))
            if wanted:
                await self._resync(revision.property_id, wanted)
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

    def _implausible(self, row: RevisionRow, revision: BookingRevision) -> planning.Problem | None:
        """A fetched revision that cannot be trusted to order or identify the booking."""
        if revision.id != row.revision_id:
            text = f"Channex answered revision {revision.id[:80]!r} when asked for this one"
            return planning.Problem(reason=ParkReason.REVISION_MISMATCH, text=text)
        if revision.inserted_at > self._clock() + MAX_CLOCK_SKEW:
            stamp = revision.inserted_at.isoformat()
            return planning.Problem(
                reason=ParkReason.REVISION_FROM_FUTURE,
                text=f"inserted_at {stamp} is in the future",
                details=(("problem", stamp),),
            )
        return None

    def _facts(self, revision: BookingRevision) -> BookingFacts:
        prop = self._mapping.property(revision.property_id)

        def room_title(room_type_id: str) -> str | None:
            ref = self._mapping.by_room_type(room_type_id)
            if ref is None or ref.property.property_id != revision.property_id:
                return None
            return ref.room.title or ref.room.room_code

        hotel = prop.name if prop else None
        return attention.booking_facts(revision, hotel=hotel, room_title=room_title)

    def _plan(
        self, revision: BookingRevision, record: booking_map.BookingRecord | None
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
        pms = self._pms_of(revision.property_id)
        for cancel in plan.cancels:
            await pms.cancel_booking(
                cancel.pms_id, cancel.reason, fee=cancel.fee, currency=cancel.currency
            )
            await self._save_room(revision, cancel.room_index, cancel.pms_id, None, active=False)
            run.cancelled += 1
        for modify in plan.modifies:
            ref = await pms.modify_booking(modify.pms_id, modify.request, modify.changed)
            await self._save_room(revision, modify.room_index, ref.pms_id, modify.request)
            run.modified += 1
        for record in plan.records:  # only the room's Channex ids changed: nothing to send
            await self._save_room(revision, record.room_index, record.pms_id, record.request)
        for request in plan.creates:
            # What this create asks for is stored before it is sent: if its answer is lost,
            # `_settle_lost_creates` finds out what the PMS made of it before anything else.
            await self._save_room(revision, request.room_index, None, request)
            ref = await pms.create_booking(request)
            await self._save_room(revision, request.room_index, ref.pms_id, request)
            run.created += 1

    async def _settle_lost_creates(self, run: _Run, revision: BookingRevision) -> bool:
        """Rooms whose create was sent but never answered (timeout, 5xx, a crash) may exist in
        the PMS as that create asked. Sending the same create again (same Idempotency-Key)
        gives that booking back, or makes it; it is recorded as applied, so the revision is
        then planned against what the PMS holds: a later revision's different dates become
        a modification (a create would only get the old booking back, unchanged), and a
        cancellation cancels it. True if there was any (the plan must be made again)."""
        record = await self._store.booking_map.load(revision.booking_id)
        lost = [
            (index, room.request)
            for index, room in sorted((record.rooms if record else {}).items())
            if room.pms_id is None and room.request is not None
        ]
        for index, request in lost:
            ref = await self._pms_of(revision.property_id).create_booking(request)
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
        await self._store.booking_map.save_room(
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
            return await self._retry(
                run, f"ack: {exc}", exc.retry_after_s, waiting, cause="ack_unreachable"
            )
        except RejectedUpstreamError as exc:
            text = f"Channex refused the ack: {exc}"
            details = {"status": str(exc.status)}
            return await self._park(run, ParkReason.ACK_REFUSED, text, details=details)
        now = self._clock()
        if final == "stale":
            await self._store.revisions.mark_stale(revision_id, now)
        else:
            await self._store.revisions.mark_acked(revision_id, now)
            latency = (now - run.row.received_at).total_seconds()
            metrics.BOOKING_LATENCY.observe(max(latency, 0.0))
            if run.row.park is not None:  # a replay after a park: say it is over
                await self._resolved(run, run.row.park)
        return self._outcome(run, final)

    async def _resolved(self, run: _Run, note: ParkNote) -> None:
        log.info("booking_attention_resolved", revision_id=run.row.revision_id)
        try:
            await self._alert(RESOLVED_ALERT, attention.resolved_message(run.facts or note.facts))
        except Exception:
            log.exception("booking_alert_failed", revision_id=run.row.revision_id)

    async def _retry(
        self,
        run: _Run,
        reason: str,
        retry_after_s: float | None,
        result: Result = "retry",
        *,
        cause: str = "internal",
    ) -> Outcome:
        attempts = run.row.attempts + 1
        if attempts >= self._max_attempts:
            reason = f"gave up after {attempts} attempts: {reason}"
            details = {"attempts": str(attempts), "cause": cause}
            return await self._park(run, ParkReason.RETRIES_EXHAUSTED, reason, details=details)
        now = self._clock()
        delay_s = max(ratelimit.retry_delay_s(attempts), retry_after_s or 0.0)
        await self._store.revisions.retry_later(
            run.row.revision_id,
            attempts=attempts,
            next_attempt_at=now + timedelta(seconds=delay_s),
            reason=reason,
            now=now,
        )
        return self._outcome(run, result, reason)

    async def _park_plan(self, run: _Run, plan: planning.RevisionPlan, notice_kind: str) -> Outcome:
        """Park a revision its plan cannot apply, under its first problem's reason."""
        problems = plan.unmapped + plan.blocked
        text = "needs attention: " + "; ".join(p.text for p in problems)
        details: dict[str, str] = {}
        for problem in reversed(problems):  # the first problem's details win
            details.update(problem.details)
        code = problems[0].reason if problems else ParkReason.LEGACY
        return await self._park(run, code, text, notice_kind=notice_kind, details=details)

    async def _park(
        self,
        run: _Run,
        reason: ParkReason,
        text: str,
        *,
        notice_kind: str = ATTENTION_NOTICE,
        details: Mapping[str, str] | None = None,
    ) -> Outcome:
        """Park with a reason code; the notice and the alert say it in hotel words."""
        revision_id = run.row.revision_id
        note = ParkNote(
            reason=reason, text=text, details=dict(details or {}), facts=self._known_facts(run)
        )
        message = attention.alert_text(note.facts, note.attention)
        await self._store.revisions.park(
            revision_id,
            text,
            self._clock(),
            notice_kind=notice_kind,
            property_id=run.property_id,
            note=note,
            notice_detail=message,
        )
        try:
            await self._alert(notice_kind, f"{message} (revision {revision_id})")
        except Exception:
            log.exception("booking_alert_failed", revision_id=revision_id)
        return self._outcome(run, "parked", text)

    def _known_facts(self, run: _Run) -> BookingFacts:
        """The fetched revision's facts; else what an earlier park kept; else the hotel."""
        if run.facts is not None:
            return run.facts
        if run.row.park is not None:
            return run.row.park.facts
        prop = self._mapping.property(run.property_id) if run.property_id else None
        return BookingFacts(hotel=prop.name if prop else None)

    async def _unknown(self, run: _Run) -> Outcome:
        """A 404 for the id: final (retrying or parking would hold /health red for good)."""
        revision_id = run.row.revision_id
        reason = UNKNOWN_REASON.format(revision_id=revision_id)
        await self._store.revisions.mark_unknown(
            revision_id, reason, self._clock(), property_id=run.property_id
        )
        try:
            await self._alert(revisions.UNKNOWN_NOTICE, reason)
        except Exception:
            log.exception("booking_alert_failed", revision_id=revision_id)
        return self._outcome(run, "unknown", reason)

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
