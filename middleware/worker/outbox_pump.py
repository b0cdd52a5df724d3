"""The outbox pump: send each due lane's coalesced changes to Channex, within the rate limit.

One pass (`dispatch`, one store transaction): release claims whose lease expired (a crashed
worker), then start a push for every lane that is due (debounced, not paused, not backing
off) and not pushing already. Lanes push concurrently in a bounded `KeyedPool` (at most one
push per lane), so a lane whose Channex answers slowly, or that is paused, holds no other
lane. A push reserves a rate-limit slot and claims every pending row of the lane (one
transaction; an empty lane takes no slot), encodes them as range-compressed values, and
sends. `run_once` is a pass that waits for its pushes (tests, admin). The outcome is recorded
by the lane's own task: accepted (ari_state updated, rows removed, the last call's answer
time logged and the pause ladder reset, in one transaction; values Channex dropped with a
warning are recorded, counted and raised as a notice), transient (rows back to pending with
backoff; a 429 also pauses the lane 60 s, 120 s, ... 600 s), or rejected (rows dead-lettered
for a person to look at).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import orjson
import structlog

from middleware import alerts, metrics
from middleware import clock as clocks
from middleware.channex.client import PushResult
from middleware.config import Settings
from middleware.domain import encode, warnings
from middleware.domain.mapping import Mapping
from middleware.domain.models import CellKey, Kind, Lane
from middleware.errors import RejectedUpstreamError, TransientUpstreamError
from middleware.ratelimit import retry_delay_s
from middleware.store import outbox
from middleware.store.port import Store
from middleware.worker import keyed_pool
from middleware.worker.keyed_pool import KeyedPool

log = structlog.get_logger(__name__)


class AriPusher(Protocol):
    async def push(self, kind: Kind, values: list[dict[str, Any]]) -> PushResult: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneResult:
    lane: Lane
    outcome: str  # sent | partial | failed | rate_limited | rejected | waiting | empty
    calls: int = 0
    values: int = 0
    task_ids: tuple[str, ...] = ()


class OutboxPump:
    def __init__(
        self,
        store: Store,
        channex: AriPusher,
        mapping: Mapping,
        settings: Settings,
        *,
        clock: clocks.Clock = clocks.utc_now,
        alert: alerts.Alert = alerts.no_alert,
        pool: KeyedPool | None = None,
    ) -> None:
        self.pool = pool or KeyedPool(settings.worker_concurrency, name="pump")
        self._store = store
        self._channex = channex
        self._mapping = mapping
        self._settings = settings
        self._clock = clock
        self._alert = alert
        self._lease_s = settings.worker_lease_s
        self._window_s = settings.channex_rate_window_s
        # lanes whose rate window is full, and when their next call slot opens: not started
        # again before then (with hundreds of saturated lanes, each start costs a write)
        self._waiting_until: dict[Lane, datetime] = {}

    def _limit(self, kind: Kind) -> int:
        s = self._settings
        return s.channex_avail_rate_limit if kind == "availability" else s.channex_price_rate_limit

    async def run_once(self) -> list[LaneResult]:
        """One pass, waiting for its pushes; the results of the lanes it started, in order."""
        return await keyed_pool.results_of(await self.dispatch())

    async def dispatch(self) -> list[asyncio.Task[LaneResult] | None]:
        """Start a push for every due lane not pushing already (None for those); no wait."""
        now = self._clock()
        due = await self._store.outbox.release_expired_then_due(
            now,
            debounce_s=self._settings.ari_debounce_s,
            max_delay_s=self._settings.ari_max_delay_s,
        )
        for lane, until in list(self._waiting_until.items()):
            if until <= now:
                del self._waiting_until[lane]
        return [self._start(lane) for lane in due if lane not in self._waiting_until]

    def _start(self, lane: Lane) -> asyncio.Task[LaneResult] | None:
        return self.pool.start(lane, lambda: self.push_lane(lane))

    async def push_lane(self, lane: Lane) -> LaneResult:
        prop = self._mapping.property(lane.property_id)
        now = self._clock()
        if prop is None:
            log.error("outbox_lane_unmapped", property_id=lane.property_id, kind=lane.kind)
            return LaneResult(lane=lane, outcome="rejected")
        # one transaction: past days dropped, a rate slot taken, the rows claimed
        claim = await self._store.outbox.claim_within_limit(
            lane,
            now,
            today=clocks.hotel_today(prop.timezone, now),
            limit=self._limit(lane.kind),
            window_s=self._window_s,
            lease_s=self._lease_s,
        )
        if claim is None:
            return LaneResult(lane=lane, outcome="empty")
        if isinstance(claim, datetime):
            self._waiting_until[lane] = claim
            return LaneResult(lane=lane, outcome="waiting")
        try:
            values = encode.encode_values(
                lane.kind,
                lane.property_id,
                claim.cells,
                currency=prop.currency,
                rate_format=self._settings.channex_rate_format,
            )
            chunks = encode.split_values(values, self._settings.channex_max_payload_bytes)
        except ValueError as exc:  # a cell Channex would refuse: dead-letter it, say why
            error = RejectedUpstreamError("middleware", str(exc))
            return await self._rejected(claim, error, calls=0)
        started = time.monotonic()
        results: list[PushResult] = []
        reserved_at = now
        try:
            for index, chunk in enumerate(chunks):
                if index > 0:
                    reserved_at = await self._wait_for_slot(lane)
                try:
                    results.append(await self._channex.push(lane.kind, chunk))
                except BaseException:  # the rate-limit log keeps the call at its answer time
                    answered = self._store.lanes.call_answered(lane, reserved_at, self._clock())
                    await asyncio.shield(answered)
                    raise
                if index < len(chunks) - 1:  # the last one's is logged with the outcome
                    answered = self._store.lanes.call_answered(lane, reserved_at, self._clock())
                    await asyncio.shield(answered)
        except TransientUpstreamError as exc:
            return await self._transient(claim, exc, calls=len(results) + 1)
        except RejectedUpstreamError as exc:
            return await self._rejected(claim, exc, calls=len(results) + 1)
        except BaseException:
            await asyncio.shield(self._store.outbox.release(claim, self._clock()))
            raise
        return await self._accepted(claim, values, chunks, results, started, reserved_at)

    async def _wait_for_slot(self, lane: Lane) -> datetime:
        """Wait for and take a call slot; returns the time it was reserved at."""
        while True:
            now = self._clock()
            slot = await self._store.lanes.reserve_call(
                lane, now, limit=self._limit(lane.kind), window_s=self._window_s
            )
            if slot is None:
                return now
            await asyncio.sleep(max(0.05, (slot - now).total_seconds()))

    async def _accepted(
        self,
        claim: outbox.Claim,
        values: Sequence[dict[str, Any]],
        chunks: Sequence[Sequence[dict[str, Any]]],
        results: Sequence[PushResult],
        started: float,
        reserved_at: datetime,
    ) -> LaneResult:
        lane = claim.lane
        now = self._clock()
        task_ids = tuple(t for r in results for t in r.task_ids)
        found = [w for r in results for w in r.warnings]
        rejected: set[tuple[CellKey, str]] = set()
        for warning in found:
            rejected |= warnings.rejected_fields(lane.kind, warning)
        body_bytes = sum(len(orjson.dumps({"values": list(c)})) for c in chunks)
        # one transaction: the last call logged at its answer, the push completed, the lane's
        # pause ladder reset; shielded like the call's log it carries
        completed = self._store.outbox.complete_answered(
            claim,
            now,
            reserved_at=reserved_at,
            task_ids=task_ids,
            warnings=found,
            rejected=rejected,
            values_count=len(values),
            bytes_sent=body_bytes,
            calls=len(chunks),
            payload_sha256=hashlib.sha256(orjson.dumps(list(values))).hexdigest(),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        await asyncio.shield(completed)
        outcome = "partial" if found else "sent"
        metrics.PUSHES.labels(lane.kind, outcome).inc()
        metrics.PUSH_VALUES.labels(lane.kind).inc(len(values))
        log.info(
            "outbox_pushed",
            property_id=lane.property_id,
            kind=lane.kind,
            cells=len(claim.cells),
            values=len(values),
            calls=len(chunks),
            task_ids=list(task_ids),
            warnings=len(found),
            full_sync=claim.full_sync,
        )
        if found:
            detail = f"Channex dropped {len(found)} value(s) of a {lane.kind} push: " + "; ".join(
                orjson.dumps(w).decode()[:300] for w in found[:5]
            )
            log.warning("channex_push_warnings", property_id=lane.property_id, detail=detail)
            await self._store.notices.add(
                "channex_warning", detail, now, property_id=lane.property_id
            )
            await self._alert("channex_warning", detail)
        return LaneResult(
            lane=lane, outcome=outcome, calls=len(chunks), values=len(values), task_ids=task_ids
        )

    async def _transient(
        self, claim: outbox.Claim, exc: TransientUpstreamError, *, calls: int
    ) -> LaneResult:
        lane = claim.lane
        now = self._clock()
        state = await self._store.lanes.get(lane, now, window_s=self._window_s)
        failures = (state.failures if state else 0) + 1
        if exc.rate_limited:
            retry_at: datetime = await self._store.lanes.pause(
                lane, now, retry_after_s=exc.retry_after_s, window_s=self._window_s
            )
            metrics.CHANNEX_429.labels(lane.kind).inc()
            outcome = "rate_limited"
        else:
            retry_at = now + timedelta(seconds=retry_delay_s(failures))
            outcome = "failed"
        dead = await self._store.outbox.fail(
            claim,
            now,
            error=str(exc),
            retry_at=retry_at,
            max_attempts=self._settings.outbox_max_attempts,
            outcome_unknown=not exc.rate_limited,  # a 429 was refused; the rest may have landed
        )
        metrics.PUSHES.labels(lane.kind, outcome).inc()
        log.warning(
            "outbox_push_failed",
            property_id=lane.property_id,
            kind=lane.kind,
            error=str(exc),
            status=exc.status,
            retry_at=retry_at.isoformat(),
            dead_lettered=dead,
        )
        if dead:
            await self._dead_letter_notice(lane, dead, str(exc), now)
        return LaneResult(lane=lane, outcome=outcome, calls=calls)

    async def _rejected(
        self, claim: outbox.Claim, exc: RejectedUpstreamError, *, calls: int
    ) -> LaneResult:
        lane = claim.lane
        now = self._clock()
        dead = await self._store.outbox.reject(claim, now, error=str(exc))
        metrics.PUSHES.labels(lane.kind, "rejected").inc()
        log.error(
            "outbox_push_rejected",
            property_id=lane.property_id,
            kind=lane.kind,
            error=str(exc),
            status=exc.status,
            dead_lettered=dead,
        )
        await self._dead_letter_notice(lane, dead, str(exc), now)
        return LaneResult(lane=lane, outcome="rejected", calls=calls)

    async def _dead_letter_notice(self, lane: Lane, rows: int, error: str, now: datetime) -> None:
        detail = f"{rows} {lane.kind} change(s) dead-lettered: {error}"
        await self._store.notices.add("dead_letter", detail, now, property_id=lane.property_id)
        await self._alert("dead_letter", detail)
