"""The web process's problem watch: alerts no other code path can send.

- No fresh worker: a worker cannot report its own death, so the web process looks at the
  workers' heartbeats (the `/health` worker check) every `interval_s` and alerts when not one
  of them is fresh — once per spell; a fresh heartbeat re-arms it. Several workers (PostgreSQL):
  one dying while another beats is no alert (`/health` lists it as stale). No heartbeat at all
  counts only after `HEARTBEAT_STALE` has passed since the watch started (the worker may be
  starting too).
- Channex's own warning webhooks (`non_acked_booking`, `booking_unmapped_rate`), which the
  intake stores as notices: each new notice once. The last notice alerted is remembered in
  the database, so a restart does not repeat them.

Dead letters, Channex warnings on a push and bookings needing attention are alerted where
they happen (outbox pump, booking processor).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime

import structlog

from middleware.channex import events
from middleware.ops.checks import Checker
from middleware.ops.runtime import Runtime
from middleware.store import inbox, keys
from middleware.worker.booking_sync import UNMAPPED_NOTICE
from middleware.worker.runner import HEARTBEAT_NAME

log = structlog.get_logger(__name__)

WORKER_STALE_ALERT = "worker_stale"
# Channex events the intake notes; an unmapped room also parks the revision, and the booking
# processor alerts about that.
WATCHED_NOTICES = (inbox.NOTED_EVENTS | {events.NON_ACKED_BOOKING}) - {UNMAPPED_NOTICE}
MAX_INTERVAL_S = 30.0
MIN_INTERVAL_S = 1.0
NOTICES_PER_PASS = 100


class ProblemWatch:
    def __init__(self, runtime: Runtime, checker: Checker, *, interval_s: float | None = None):
        self._rt = runtime
        self._checker = checker
        stale_s = runtime.settings.heartbeat_stale_s
        self.interval_s = interval_s or min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, stale_s / 4))
        self._started_at = runtime.clock()
        self._worker_alerted = False

    async def check_once(self) -> list[str]:
        """One look; returns the alert kinds sent (or held back by the alerter's limit)."""
        now = self._rt.clock()
        kinds: list[str] = []
        if await self._worker_turned_stale(now):
            kinds.append(WORKER_STALE_ALERT)
        kinds.extend(await self._new_notices(now))
        return kinds

    async def run(self) -> None:
        """Look every `interval_s` until cancelled; a failed look is logged, never fatal."""
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.check_once()
            except Exception:
                log.exception("problem_watch_failed")

    async def _worker_turned_stale(self, now: datetime) -> bool:
        check = await self._checker.worker_check(now)
        if check.ok:
            self._worker_alerted = False
            return False
        if self._worker_alerted or await self._may_be_starting(now):
            return False
        self._worker_alerted = True
        log.error("worker_stale", detail=check.detail)
        await self._rt.alerter.send(WORKER_STALE_ALERT, f"worker {check.detail}")
        return True

    async def _may_be_starting(self, now: datetime) -> bool:
        """No heartbeat yet, and the watch itself started less than HEARTBEAT_STALE ago."""
        young = (now - self._started_at).total_seconds() < self._rt.settings.heartbeat_stale_s
        return young and not await self._rt.store.audit.heartbeats(HEARTBEAT_NAME)

    async def _new_notices(self, now: datetime) -> list[str]:
        store = self._rt.store
        mark_text = await store.audit.get_value(keys.NOTICE_WATERMARK_KEY)
        mark = int(mark_text) if mark_text is not None and mark_text.isdigit() else 0
        found = [
            n
            for n in await store.notices.open_notices(limit=NOTICES_PER_PASS)
            if n.id > mark and n.kind in WATCHED_NOTICES
        ]
        for notice in sorted(found, key=lambda n: n.id):
            await self._rt.alerter.send(notice.kind, notice.detail)
            mark = notice.id
        if found:
            await store.audit.set_value(keys.NOTICE_WATERMARK_KEY, str(mark), now)
        return [n.kind for n in found]


@contextlib.asynccontextmanager
async def running(watch: ProblemWatch) -> AsyncIterator[ProblemWatch]:
    """Run `watch` in the background for the duration of the block."""
    task = asyncio.create_task(watch.run(), name="problem-watch")
    try:
        yield watch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
