"""ARI sync: read the PMS, turn its grid into Channex cells, enqueue what changed.

Triggers (the PMS webhook, `/sync/*`, the change-detection poll, the nightly full sync, and
bookings) only record durable sync requests, each for one property or every property and for
some rooms or all. `AriSync.dispatch` starts one task per property with due requests, in a
bounded pool: the task claims that property's requests, coalesces them into one read of the
property's own PMS over the union of their ranges, and writes the differences for the rooms
asked (and their plans) to the outbox, with what else the read found and the finishing of the
requests it answers, in one transaction. A slow or failing PMS holds only its own property;
its requests are retried with backoff. A full sync enqueues
every cell of the horizon regardless of what Channex last acknowledged (go-live, recovery,
drift correction).

A property that is not live yet (`store.live`) has its PMS grid read and checked like any
other, but nothing enqueued: the full sync that puts it live pushes the whole horizon as
sistema-os has it then, bookings taken in before included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import structlog

from middleware import clock as clocks
from middleware.config import Settings
from middleware.domain import ari
from middleware.domain.mapping import Mapping, PropertyMap, RoomTypeMap
from middleware.domain.models import Lane, PmsAri
from middleware.errors import PayloadError, TransientUpstreamError, UpstreamError
from middleware.pms.directory import PmsDirectory
from middleware.pms.port import PmsPort
from middleware.ratelimit import retry_delay_s
from middleware.store import keys, sync_requests
from middleware.store.outbox import PmsRead
from middleware.store.port import Store
from middleware.store.stamps import to_db_time
from middleware.worker import keyed_pool
from middleware.worker.keyed_pool import KeyedPool

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncReport:
    requests: int
    full_sync: bool
    rows_enqueued: int
    problems: tuple[str, ...]


class AriSync:
    def __init__(
        self,
        store: Store,
        pms: PmsPort | PmsDirectory,
        mapping: Mapping,
        settings: Settings,
        *,
        clock: clocks.Clock = clocks.utc_now,
        pool: KeyedPool | None = None,
    ) -> None:
        self.pool = pool or KeyedPool(settings.worker_concurrency, name="ari")
        self._store = store
        self._pms = pms
        self._mapping = mapping
        self._settings = settings
        self._clock = clock
        # properties seen live: a property never goes back (`store.live`), so only "not yet"
        # is asked again at each read
        self._live: set[str] = set()

    async def _is_live(self, property_id: str) -> bool:
        if property_id not in self._live and await self._store.live.is_live(property_id):
            self._live.add(property_id)
        return property_id in self._live

    def _pms_of(self, property_id: str) -> PmsPort:
        pms = self._pms
        return pms.for_property(property_id) if isinstance(pms, PmsDirectory) else pms

    async def run_once(self) -> SyncReport | None:
        """One pass, waiting for it: every due request, one coalesced sync per property;
        None when nothing was done."""
        reports = [r for r in await keyed_pool.results_of(await self.dispatch()) if r]
        if not reports:
            return None
        return SyncReport(
            requests=sum(r.requests for r in reports),
            full_sync=any(r.full_sync for r in reports),
            rows_enqueued=sum(r.rows_enqueued for r in reports),
            problems=tuple(p for r in reports for p in r.problems),
        )

    async def dispatch(self) -> list[asyncio.Task[SyncReport | None] | None]:
        """Start a sync for every property with due requests and none running; no wait."""
        now = self._clock()
        await self._store.sync_requests.split_unscoped(
            [prop.property_id for prop in self._mapping], now
        )
        started = []
        for property_id in await self._store.sync_requests.due_properties(now):
            prop = self._mapping.property(property_id)
            if prop is None:  # no longer mapped: nothing to read, nowhere to push
                await self._drop_unmapped(property_id, now)
                continue
            started.append(self._start(prop))
        return started

    def _start(self, prop: PropertyMap) -> asyncio.Task[SyncReport | None] | None:
        return self.pool.start(prop.property_id, lambda: self._run_property(prop))

    async def _drop_unmapped(self, property_id: str, now: datetime) -> None:
        claimed = await self._store.sync_requests.claim_due_for(
            property_id, now, lease_s=self._settings.worker_lease_s
        )
        await self._store.sync_requests.finish([r.id for r in claimed], now)
        log.warning("ari_sync_unmapped_property", property_id=property_id, requests=len(claimed))

    async def _run_property(self, prop: PropertyMap) -> SyncReport | None:
        """Claim the property's due requests and sync their union once."""
        requests = await self._store.sync_requests.claim_due_for(
            prop.property_id, self._clock(), lease_s=self._settings.worker_lease_s
        )
        if not requests:
            return None
        ids = [r.id for r in requests]
        full = any(r.full_sync for r in requests)
        date_from, date_to = _union_range(requests)
        room_codes = None if full else _union_codes(requests)
        try:
            report = await self.sync_property(
                prop,
                full=full,
                date_from=date_from,
                date_to=date_to,
                room_codes=room_codes,
                answers=ids,
            )
        except (UpstreamError, PayloadError) as exc:
            attempts = max(r.attempts for r in requests) + 1
            retry_at = self._clock() + timedelta(seconds=retry_delay_s(attempts))
            await self._store.sync_requests.retry_later(
                ids, self._clock(), retry_at=retry_at, error=str(exc)
            )
            log.warning(
                "ari_sync_failed",
                property_id=prop.property_id,
                error=str(exc),
                transient=isinstance(exc, TransientUpstreamError),
                retry_at=to_db_time(retry_at),
                requests=len(ids),
            )
            return None
        return SyncReport(
            requests=len(ids),
            full_sync=report.full_sync,
            rows_enqueued=report.rows_enqueued,
            problems=report.problems,
        )

    async def sync(
        self, *, full: bool, date_from: date | None = None, date_to: date | None = None
    ) -> SyncReport:
        """Read every property's PMS over the range (clipped to each property's horizon),
        the properties concurrently; the first failure is raised after all have run."""
        outcomes = await asyncio.gather(
            *(
                self.sync_property(prop, full=full, date_from=date_from, date_to=date_to)
                for prop in self._mapping
            ),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        reports = [o for o in outcomes if isinstance(o, SyncReport)]
        return SyncReport(
            requests=1,
            full_sync=full,
            rows_enqueued=sum(r.rows_enqueued for r in reports),
            problems=tuple(p for r in reports for p in r.problems),
        )

    async def sync_property(
        self,
        prop: PropertyMap,
        *,
        full: bool,
        date_from: date | None = None,
        date_to: date | None = None,
        room_codes: Collection[str] | None = None,
        answers: Sequence[int] = (),
    ) -> SyncReport:
        """Read one property's PMS over the range (clipped to its horizon) and enqueue what
        changed, for the rooms of `room_codes` (None: every room) and their plans. `answers`:
        the sync requests this read answers, finished in the transaction that writes what it
        found (`outbox.enqueue_read`: one store turn for the read's every write)."""
        now = self._clock()
        window = self._window(prop, now, date_from, date_to)
        wanted = _rooms_in_scope(prop, room_codes)
        if window is None or not wanted:
            if answers:
                await self._store.sync_requests.finish(answers, self._clock())
            return SyncReport(requests=1, full_sync=full, rows_enqueued=0, problems=())
        start, end = window
        pms_ari = await self._pms_of(prop.property_id).read_ari(start, end)
        served = {room.room_code for room in pms_ari.rooms}
        asked = [room.room_code for room in wanted]
        unserved = [code for code in asked if code not in served]
        if unserved:
            log.warning(
                "pms_categorias_not_served", property_id=prop.property_id, categorias=unserved
            )
        mapped = {(p.property_id, code) for p in self._mapping for code in p.room_codes()}
        avail, restr, grid_problems = ari.grid_to_cells(
            self._rooms_of(pms_ari, prop, wanted),
            replace(prop, room_types=wanted),
            today=clocks.hotel_today(prop.timezone, now),
            horizon_end=end,
        )
        problems = [p.message for p in grid_problems]
        is_live = await self._is_live(prop.property_id)
        changes = [
            (Lane(prop.property_id, "availability"), avail),
            (Lane(prop.property_id, "restrictions"), restr),
        ]
        read = PmsRead(
            property_id=prop.property_id,
            unserved=unserved,
            covered=asked,
            mapped=mapped,
            changes=changes if is_live else [],
            day_from=start,
            day_to=end,
            full_sync=full,
            answers=answers,
        )
        rows = await self._store.outbox.enqueue_read(read, now)  # one transaction
        if full and is_live:
            await self._store.audit.set_value(
                keys.LAST_FULL_SYNC_KEY.format(property_id=prop.property_id),
                to_db_time(now),
                now,
            )
        for problem in sorted(set(problems)):
            log.warning("pms_ari_problem", problem=problem)
        if not is_live:
            log.info("ari_sync_held_not_live", property_ids=[prop.property_id])
        log.info(
            "ari_sync_done",
            property_id=prop.property_id,
            full_sync=full,
            date_from=start.isoformat(),
            date_to=end.isoformat(),
            rooms=None if room_codes is None else [room.room_code for room in wanted],
            rows_enqueued=rows,
        )
        return SyncReport(requests=1, full_sync=full, rows_enqueued=rows, problems=tuple(problems))

    def _rooms_of(
        self, pms_ari: PmsAri, prop: PropertyMap, wanted: tuple[RoomTypeMap, ...]
    ) -> PmsAri:
        """The PMS rooms for `prop` in scope: its own, plus (when it syncs every room) codes no
        property maps, reported once; another property's rooms (a PMS shared by several
        properties) are left to that property."""
        own = {room.room_code for room in wanted}
        everything = len(wanted) == len(prop.room_types)
        known = set(self._mapping.room_codes())
        rooms = tuple(
            r
            for r in pms_ari.rooms
            if r.room_code in own or (everything and r.room_code not in known)
        )
        return PmsAri(currency=pms_ari.currency, rooms=rooms)

    def _window(
        self, prop: PropertyMap, now: datetime, date_from: date | None, date_to: date | None
    ) -> tuple[date, date] | None:
        today, last = clocks.horizon(prop.timezone, now, self._settings.channex_sync_days)
        start = today if date_from is None else max(date_from, today)
        end = last if date_to is None else min(date_to, last)
        return None if start > end else (start, end)


def _rooms_in_scope(
    prop: PropertyMap, room_codes: Collection[str] | None
) -> tuple[RoomTypeMap, ...]:
    if room_codes is None:
        return prop.room_types
    return tuple(room for room in prop.room_types if room.room_code in room_codes)


def _union_codes(requests: Sequence[sync_requests.SyncRequest]) -> set[str] | None:
    """Every room code the requests name (None: one of them names every room)."""
    codes: set[str] = set()
    for r in requests:
        if r.room_codes is None:
            return None
        codes.update(r.room_codes)
    return codes


def _union_range(requests: Sequence[sync_requests.SyncRequest]) -> tuple[date | None, date | None]:
    """The smallest range covering every request (an open end on any request stays open)."""
    starts = [r.date_from for r in requests]
    ends = [r.date_to for r in requests]
    date_from = None if any(d is None for d in starts) else min(d for d in starts if d)
    date_to = None if any(d is None for d in ends) else max(d for d in ends if d)
    return date_from, date_to
