"""Channex parity: read Channex's ARI back, compare it with sistema-os, heal the difference.

One pass (`run_once`) looks at each property: a read-back is due for a lane when an `ari`
webhook asked for days of it (`parity_requests`), every `PARITY_INTERVAL` for the next
`PARITY_DAYS`, and once a night at `PARITY_FULL_HOUR` for the whole horizon. A due lane takes a
read slot (`lanes.reserve_read`: pushes first), reads Channex (`GET /availability` or
`GET /restrictions`, one property per request), then reads the PMS through its port — not what
the middleware believes it sent — and compares field by field. Every difference is queued with
the PMS value (`store.parity_drift.heal`), so the normal outbox heals it — except fewer units at
Channex than at the PMS while a booking is on its way to the PMS (Channex's own decrement
for it: healed once the booking has landed, if still there); drift found again after a
heal went out, or new drift found pass after pass, is alerted. A property that is not live
yet (`store.live`) is not read back: nothing of it reaches Channex before go-live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import orjson
import structlog

from middleware import alerts, metrics
from middleware import clock as clocks
from middleware.config import Settings
from middleware.domain import ari, readback
from middleware.domain.mapping import Mapping, PropertyMap
from middleware.domain.models import KINDS, RESTRICTION_FIELDS, Cells, Kind, Lane
from middleware.errors import PayloadError, UpstreamError
from middleware.pms.directory import PmsDirectory
from middleware.pms.port import PmsPort
from middleware.store import keys, parity_drift
from middleware.store.port import Store
from middleware.store.stamps import from_db_time, to_db_time
from middleware.worker.schedule import full_sync_due

log = structlog.get_logger(__name__)

RECURRING_PASSES = 3  # passes finding new drift with no clean pass between: someone keeps editing


class AriReader(Protocol):
    async def get_availability(
        self, property_id: str, date_from: date, date_to: date
    ) -> dict[str, dict[date, int]]: ...

    async def get_restrictions(
        self, property_id: str, date_from: date, date_to: date, fields: Sequence[str]
    ) -> dict[str, dict[date, dict[str, Any]]]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PassResult:
    lane: Lane
    date_from: date
    date_to: date
    source: str  # event | schedule | full
    cells: int  # cells compared
    drift: tuple[readback.Drift, ...]
    queued: int


class ParityCheck:
    def __init__(
        self,
        store: Store,
        channex: AriReader,
        pms: PmsPort | PmsDirectory,
        mapping: Mapping,
        settings: Settings,
        *,
        clock: clocks.Clock = clocks.utc_now,
        alert: alerts.Alert = alerts.no_alert,
    ) -> None:
        self._store = store
        self._channex = channex
        self._pms = pms
        self._mapping = mapping
        self._settings = settings
        self._clock = clock
        self._alert = alert

    async def run_once(self, *, force: bool = False) -> list[PassResult]:
        """Every read-back that is due (all of them, now, with `force`)."""
        results: list[PassResult] = []
        wanted = {(r.property_id, r.kind): r for r in await self._store.parity_drift.requests()}
        live_now = await self._store.live.live_properties()
        for prop in self._mapping:
            if prop.property_id not in live_now:
                continue
            full = await self._full_due(prop)
            done: list[PassResult] = []
            for kind in KINDS:
                lane = Lane(prop.property_id, kind)
                request = wanted.get((prop.property_id, kind))
                scheduled = force or full or await self._scheduled_due(lane)
                if request is None and not scheduled:
                    continue
                result = await self._pass(prop, lane, request, scheduled=scheduled, full=full)
                if result is not None:
                    done.append(result)
            if full and len(done) == len(KINDS):
                await self._record_full(prop, done)
            results.extend(done)
        return results

    async def _full_due(self, prop: PropertyMap) -> bool:
        hour = self._settings.parity_full_hour
        if hour is None:
            return False
        text = await self._store.audit.get_value(
            keys.PARITY_LAST_FULL_KEY.format(property_id=prop.property_id)
        )
        last = None if text is None else from_db_time(orjson.loads(text)["at"])
        return full_sync_due(self._clock(), prop.timezone, hour, last)

    async def _scheduled_due(self, lane: Lane) -> bool:
        interval = self._settings.parity_interval_s
        if interval <= 0:
            return False
        key = keys.PARITY_LAST_PASS_KEY.format(property_id=lane.property_id, kind=lane.kind)
        text = await self._store.audit.get_value(key)
        if text is None:  # first sight: the period starts now (go-live comes first)
            now = self._clock()
            await self._store.audit.set_value(key, to_db_time(now), now)
            return False
        return self._clock() - from_db_time(text) >= timedelta(seconds=interval)

    def _limit(self, kind: Kind) -> int:
        s = self._settings
        return s.channex_avail_rate_limit if kind == "availability" else s.channex_price_rate_limit

    async def _pass(
        self,
        prop: PropertyMap,
        lane: Lane,
        request: parity_drift.ParityRequest | None,
        *,
        scheduled: bool,
        full: bool,
    ) -> PassResult | None:
        now = self._clock()
        today, end = clocks.horizon(prop.timezone, now, self._settings.channex_sync_days)
        if scheduled:
            first, last = readback.read_window(today, end, self._settings.parity_days, full=full)
            if request is not None:
                first, last = min(first, request.date_from), max(last, request.date_to)
        else:
            assert request is not None
            first, last = request.date_from, request.date_to
        first, last = max(first, today), min(last, end)
        source = "full" if full else "schedule" if scheduled else "event"
        if first > last:
            if request is not None:
                await self._store.parity_drift.finish_request(request)
            return None
        s = self._settings
        if not await _reserve(self._store, lane, now, self._limit(lane.kind), s):
            return None
        try:
            channex, pms = await self._read(prop, lane, first, last, today, end)
        except (UpstreamError, PayloadError) as exc:
            metrics.PARITY_READS.labels(lane.kind, "failed").inc()
            log.warning(
                "parity_read_failed", property_id=lane.property_id, kind=lane.kind, error=str(exc)
            )
            return None
        metrics.PARITY_READS.labels(lane.kind, "read").inc()
        drift = readback.find_drift(lane.kind, pms, channex)
        settled = await self._store.parity_drift.settle(lane, first, last, drift, self._clock())
        heal, wait = drift, list[readback.Drift]()
        if lane.kind == "availability" and await self._store.parity_drift.bookings_in_flight(
            prop.property_id
        ):
            heal, wait = readback.split_for_bookings_in_flight(drift)
        queued = await self._store.parity_drift.heal(lane, heal, self._clock(), read_at=now)
        await self._report(prop, lane, drift, queued, settled)
        if request is not None:
            await self._store.parity_drift.finish_request(request)
        if scheduled:
            key = keys.PARITY_LAST_PASS_KEY.format(property_id=lane.property_id, kind=lane.kind)
            await self._store.audit.set_value(key, to_db_time(now), now)
        log.info(
            "parity_pass",
            property_id=lane.property_id,
            kind=lane.kind,
            source=source,
            date_from=first.isoformat(),
            date_to=last.isoformat(),
            cells=len(pms),
            drift=len(drift),
            queued=len(queued),
            waiting_for_bookings=len(wait),
        )
        return PassResult(
            lane=lane,
            date_from=first,
            date_to=last,
            source=source,
            cells=len(pms),
            drift=tuple(drift),
            queued=len(queued),
        )

    async def _read(
        self, prop: PropertyMap, lane: Lane, first: date, last: date, today: date, end: date
    ) -> tuple[Cells, Cells]:
        """(Channex's cells, the PMS's cells) for the lane over the days; Channex first, so a
        push landing between the two reads shows as busy rather than as drift."""
        if lane.kind == "availability":
            got = await self._channex.get_availability(prop.property_id, first, last)
            channex = readback.cells_from_availability(got)
        else:
            read = await self._channex.get_restrictions(
                prop.property_id, first, last, RESTRICTION_FIELDS
            )
            channex = readback.cells_from_restrictions(read)
        pms = self._pms
        reader = pms.for_property(prop.property_id) if isinstance(pms, PmsDirectory) else pms
        pms_ari = await reader.read_ari(first, last)
        avail, restr, _problems = ari.grid_to_cells(
            pms_ari, prop, today=today, horizon_end=min(end, last)
        )
        cells = avail if lane.kind == "availability" else restr
        return channex, {k: v for k, v in cells.items() if first <= k.day <= last}

    async def _report(
        self,
        prop: PropertyMap,
        lane: Lane,
        drift: list[readback.Drift],
        queued: list[readback.Drift],
        settled: parity_drift.Settled,
    ) -> None:
        pid = lane.property_id
        for item in queued:
            metrics.DRIFT_FOUND.labels(pid, item.field).inc()
        for field, seconds in settled.healed:
            metrics.DRIFT_HEALED.labels(pid, field).inc()
            metrics.DRIFT_HEAL_SECONDS.observe(seconds)
        again = set(settled.persisting)
        persisting = [d for d in queued if d in again]
        new = [d for d in queued if d not in again]
        now = self._clock()
        if persisting:
            first = persisting[0]
            detail = (
                f"property {pid}: {len(persisting)} {lane.kind} field(s) still differ from the"
                f" PMS after a heal went out (first: {first.entity_id} {first.day} {first.field}"
                f" channex {first.channex} pms {first.pms})"
            )
            await self._store.notices.add(
                "parity_drift_persists",
                detail,
                now,
                property_id=pid,
                ref=f"{pid}:{lane.kind}",
            )
            await self._alert("parity_drift_persists", detail)
        await self._count_recurring(pid, lane, clean=not drift, new=bool(new), now=now)

    async def _count_recurring(
        self, pid: str, lane: Lane, *, clean: bool, new: bool, now: datetime
    ) -> None:
        """Passes that found new drift (not drift already queued, nor a field that stays
        busy) since the last pass that found none; alert from `RECURRING_PASSES` on."""
        if not clean and not new:
            return
        key = keys.PARITY_RECURRING_KEY.format(property_id=pid) + f":{lane.kind}"
        text = await self._store.audit.get_value(key)
        passes = 0 if clean else (int(text) if text else 0) + 1
        await self._store.audit.set_value(key, str(passes), now)
        if passes >= RECURRING_PASSES:
            detail = (
                f"property {pid}: new {lane.kind} drift found in {passes} read-backs since the"
                " last clean one — someone or something keeps changing Channex"
            )
            await self._store.notices.add(
                "parity_drift_recurring",
                detail,
                now,
                property_id=pid,
                ref=f"{pid}:{lane.kind}",
            )
            await self._alert("parity_drift_recurring", detail)

    async def _record_full(self, prop: PropertyMap, results: list[PassResult]) -> None:
        now = self._clock()
        value = {
            "at": to_db_time(now),
            "date_from": min(r.date_from for r in results).isoformat(),
            "date_to": max(r.date_to for r in results).isoformat(),
            "cells": sum(r.cells for r in results),
            "drift": sum(len(r.drift) for r in results),
            "queued": sum(r.queued for r in results),
        }
        key = keys.PARITY_LAST_FULL_KEY.format(property_id=prop.property_id)
        await self._store.audit.set_value(key, orjson.dumps(value).decode(), now)


async def _reserve(store: Store, lane: Lane, now: datetime, limit: int, s: Settings) -> bool:
    return await store.lanes.reserve_read(
        lane, now, limit=limit, own_limit=s.parity_read_limit, window_s=s.channex_rate_window_s
    )
