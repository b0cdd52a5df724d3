"""ARI sync: read the PMS, turn its grid into Channex cells, enqueue what changed.

Triggers (the PMS webhook, `/sync/*`, the change-detection poll, the nightly full sync, and
bookings) only record durable sync requests; `AriSync.run_once` claims every due request,
coalesces them into one PMS read per range, and writes the differences to the outbox in one
transaction per lane. A full sync enqueues every cell of the horizon regardless of what
Channex last acknowledged (go-live, recovery, drift correction).

A property that is not live yet (`store.live`) has its PMS grid read and checked like any
other, but nothing enqueued: the full sync that puts it live pushes the whole horizon as
sistema-os has it then, bookings taken in before included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog

from middleware import clock as clocks
from middleware.config import Settings
from middleware.domain import ari
from middleware.domain.models import Lane, PmsAri
from middleware.errors import PayloadError, TransientUpstreamError, UpstreamError
from middleware.mapping import Mapping, PropertyMap
from middleware.pms.port import PmsPort
from middleware.ratelimit import retry_delay_s
from middleware.store import audit, live, outbox, pms_rooms, sync_requests
from middleware.store.db import Database, to_db_time

log = structlog.get_logger(__name__)

LAST_FULL_SYNC_KEY = "last_full_sync:{property_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncReport:
    requests: int
    full_sync: bool
    rows_enqueued: int
    problems: tuple[str, ...]


class AriSync:
    def __init__(
        self,
        db: Database,
        pms: PmsPort,
        mapping: Mapping,
        settings: Settings,
        *,
        clock: clocks.Clock = clocks.utc_now,
    ) -> None:
        self._db = db
        self._pms = pms
        self._mapping = mapping
        self._settings = settings
        self._clock = clock

    async def run_once(self) -> SyncReport | None:
        """Process every due sync request as one coalesced sync; None when nothing was due."""
        now = self._clock()
        requests = await sync_requests.claim_due(
            self._db, now, lease_s=self._settings.worker_lease_s
        )
        if not requests:
            return None
        ids = [r.id for r in requests]
        full = any(r.full_sync for r in requests)
        date_from, date_to = _union_range(requests)
        try:
            report = await self.sync(full=full, date_from=date_from, date_to=date_to)
        except (UpstreamError, PayloadError) as exc:
            attempts = max(r.attempts for r in requests) + 1
            retry_at = self._clock() + timedelta(seconds=retry_delay_s(attempts))
            await sync_requests.retry_later(
                self._db, ids, self._clock(), retry_at=retry_at, error=str(exc)
            )
            log.warning(
                "ari_sync_failed",
                error=str(exc),
                transient=isinstance(exc, TransientUpstreamError),
                retry_at=to_db_time(retry_at),
                requests=len(ids),
            )
            return None
        await sync_requests.finish(self._db, ids, self._clock())
        return SyncReport(
            requests=len(ids),
            full_sync=report.full_sync,
            rows_enqueued=report.rows_enqueued,
            problems=report.problems,
        )

    async def sync(
        self, *, full: bool, date_from: date | None = None, date_to: date | None = None
    ) -> SyncReport:
        """Read the PMS over the requested range (clipped to each property's horizon)."""
        now = self._clock()
        windows = {
            prop.property_id: self._window(prop, now, date_from, date_to) for prop in self._mapping
        }
        active = [w for w in windows.values() if w is not None]
        if not active:
            return SyncReport(requests=0, full_sync=full, rows_enqueued=0, problems=())
        read_from = min(w[0] for w in active)
        read_to = max(w[1] for w in active)
        pms_ari = await self._pms.read_ari(read_from, read_to)
        served = {room.room_code for room in pms_ari.rooms}
        unserved = [code for code in self._mapping.room_codes() if code not in served]
        if unserved:
            log.warning("pms_categorias_not_served", categorias=unserved)
        await pms_rooms.record(self._db, unserved, now)
        live_now = await live.live_properties(self._db)
        rows = 0
        problems: list[str] = []
        held: list[str] = []
        for prop in self._mapping:
            window = windows[prop.property_id]
            if window is None:
                continue
            start, end = window
            avail, restr, grid_problems = ari.grid_to_cells(
                self._rooms_of(pms_ari, prop),
                prop,
                today=clocks.hotel_today(prop.timezone, now),
                horizon_end=end,
            )
            problems.extend(p.message for p in grid_problems)
            if prop.property_id not in live_now:
                held.append(prop.property_id)
                continue
            for kind, cells in (("availability", avail), ("restrictions", restr)):
                lane = Lane(prop.property_id, kind)  # type: ignore[arg-type]
                rows += await outbox.enqueue_diff(
                    self._db,
                    lane,
                    cells,
                    now,
                    day_from=start,
                    day_to=end,
                    force=full,
                    full_sync=full,
                )
            if full:
                await audit.set_value(
                    self._db,
                    LAST_FULL_SYNC_KEY.format(property_id=prop.property_id),
                    to_db_time(now),
                    now,
                )
        for problem in sorted(set(problems)):
            log.warning("pms_ari_problem", problem=problem)
        if held:
            log.info("ari_sync_held_not_live", property_ids=held)
        log.info(
            "ari_sync_done",
            full_sync=full,
            date_from=read_from.isoformat(),
            date_to=read_to.isoformat(),
            rows_enqueued=rows,
        )
        return SyncReport(requests=1, full_sync=full, rows_enqueued=rows, problems=tuple(problems))

    def _rooms_of(self, pms_ari: PmsAri, prop: PropertyMap) -> PmsAri:
        """The PMS rooms for `prop`: its own, plus codes no property maps (reported once)."""
        elsewhere = {
            room.room_code
            for other in self._mapping
            if other.property_id != prop.property_id
            for room in other.room_types
        }
        rooms = tuple(r for r in pms_ari.rooms if r.room_code not in elsewhere)
        return PmsAri(currency=pms_ari.currency, rooms=rooms)

    def _window(
        self, prop: PropertyMap, now: datetime, date_from: date | None, date_to: date | None
    ) -> tuple[date, date] | None:
        today, last = clocks.horizon(prop.timezone, now, self._settings.channex_sync_days)
        start = today if date_from is None else max(date_from, today)
        end = last if date_to is None else min(date_to, last)
        return None if start > end else (start, end)


def _union_range(requests: Sequence[sync_requests.SyncRequest]) -> tuple[date | None, date | None]:
    """The smallest range covering every request (an open end on any request stays open)."""
    starts = [r.date_from for r in requests]
    ends = [r.date_to for r in requests]
    date_from = None if any(d is None for d in starts) else min(d for d in starts if d)
    date_to = None if any(d is None for d in ends) else max(d for d in ends if d)
    return date_from, date_to
