"""What every route reaches through `request.app.state.ctx`: set by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from starlette.requests import Request

from middleware import metrics
from middleware.ops.checks import Checker
from middleware.ops.mapping_reload import MappingReloader
from middleware.ops.runtime import Runtime
from middleware.store import wakeups
from middleware.store.inbox import IntakeWriter
from middleware.worker.runner import Worker


@dataclass(slots=True, kw_only=True)
class WebContext:
    runtime: Runtime
    intake: IntakeWriter
    worker: Worker | None
    checker: Checker
    reloader: MappingReloader
    started_at: datetime

    def wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    async def ask_worker(self, work: wakeups.Work, *, by: str) -> int:
        """Record `work` for the worker to run now (the web runs none itself); its wake-up
        id. A worker in this process is woken at once, another one notices within
        `WORKER_INTERVAL`."""
        rt = self.runtime
        wakeup_id = await rt.store.wakeups.ask(work, by=by, now=rt.clock())
        self.wake_worker()
        return wakeup_id

    async def refresh_gauges(self) -> None:
        """Queue depths for /metrics, read from the store at scrape time."""
        store = self.runtime.store
        lanes = await store.outbox.backlog(self.runtime.clock())
        metrics.QUEUE_DEPTH.labels("outbox_pending").set(sum(b.pending for b in lanes))
        metrics.QUEUE_DEPTH.labels("outbox_dead").set(sum(b.dead for b in lanes))
        counts = await store.revisions.counts()
        for status in ("pending", "applied", "parked"):
            metrics.QUEUE_DEPTH.labels(f"revisions_{status}").set(counts.get(status, 0))
        metrics.QUEUE_DEPTH.labels("sync_requests").set(await store.sync_requests.pending_count())
        metrics.QUEUE_DEPTH.labels("webhooks_waiting").set(await store.inbox.pending_count())


def ctx(request: Request) -> WebContext:
    return cast(WebContext, request.app.state.ctx)
