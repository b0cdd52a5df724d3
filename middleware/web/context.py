"""What every route reaches through `request.app.state.ctx`: set by the app's lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import orjson
from starlette.requests import Request

from middleware import metrics
from middleware.ops.checks import Checker
from middleware.ops.mapping_reload import MappingReloader
from middleware.ops.runtime import Runtime
from middleware.store import wakeups
from middleware.store.inbox import IntakeWriter
from middleware.store.sync_requests import RequestWriter
from middleware.worker.runner import Worker

RESULT_POLL_S = 0.05


@dataclass(slots=True, kw_only=True)
class WebContext:
    runtime: Runtime
    intake: IntakeWriter
    worker: Worker | None
    checker: Checker
    reloader: MappingReloader
    started_at: datetime
    # the triggers' sync requests, group-committed (None: one transaction each)
    requests: RequestWriter | None = None

    def wake_worker(self, *loops: str) -> None:
        """Wake a worker in this process: every short loop, or only `loops` (`Worker.wake`)."""
        if self.worker is not None:
            self.worker.wake(*loops)

    async def ask_worker(self, work: wakeups.Work, *, by: str, subject: str | None = None) -> int:
        """Record `work` (about `subject`) for the worker to run now (the web runs none
        itself); its wake-up id. A worker in this process is woken at once, another one
        notices within `WORKER_INTERVAL`."""
        rt = self.runtime
        wakeup_id = await rt.store.wakeups.ask(work, by=by, now=rt.clock(), subject=subject)
        self.wake_worker()
        return wakeup_id

    async def worker_result(self, wakeup_id: int, *, within_s: float) -> dict[str, Any] | None:
        """The wake-up's result once the worker has finished it, looked for in the store for
        up to `within_s` (a console form shows the outcome when the worker is quick, and says
        "asked" otherwise); None if it is not done by then."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        while True:
            found = await self.runtime.store.wakeups.get(wakeup_id)
            if found is not None and found.done_at is not None and found.result is not None:
                return dict(orjson.loads(found.result))
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(RESULT_POLL_S)

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
