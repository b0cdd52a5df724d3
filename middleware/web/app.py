"""The web app (port 8001): webhooks, sync triggers, health, status, metrics, admin routes and
the browser console (`/console`, `middleware.console`).

One `lifespan` opens the runtime (database, one aiohttp session, clients) and the webhook
intake writer. Alone (`WORKER_IN_PROCESS=false`) the web builds no booking processor, outbox
pump, ARI sync, feed poller or parity check: what it is asked to run now it records for the
worker (`store.wakeups`). In one-process mode (`WORKER_IN_PROCESS=true`, the sandbox) it opens
the worker's assembly and runs the worker inside the same event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator

import structlog
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from middleware import clock as clocks
from middleware.config import Settings
from middleware.console import routes as console
from middleware.console.state import ConsoleState
from middleware.domain.mapping import Mapping
from middleware.ops import mapping_reload, watch
from middleware.ops.checks import Checker
from middleware.ops.mapping_reload import MappingReloader
from middleware.ops.runtime import Runtime, open_runtime
from middleware.store.inbox import IntakeWriter
from middleware.store.sync_requests import RequestWriter
from middleware.web import admin, health, manual, status, sync, webhook_channex
from middleware.web.context import WebContext
from middleware.worker.assembly import WorkerRuntime, open_worker_runtime
from middleware.worker.runner import Worker

log = structlog.get_logger(__name__)


class _ChannexWebhook:
    """`POST /webhook/channex`, bound once the lifespan has built the intake writer."""

    def __init__(self, app: Starlette, settings: Settings) -> None:
        self._app = app
        self._settings = settings
        self._inner: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._inner is None:
            context: WebContext = self._app.state.ctx
            self._inner = webhook_channex.asgi_app(context.intake, self._settings)
        await self._inner(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    clock: clocks.Clock = clocks.utc_now,
    mapping: Mapping | None = None,
    run_worker: bool | None = None,
    reload_on_sighup: bool = False,
    caller_clock: bool = False,
) -> Starlette:
    """`reload_on_sighup`: the process's own entry point (not tests or the sandbox) reloads
    the mapping file on SIGHUP. `caller_clock`: a PostgreSQL store runs on `clock` rather than
    the database's (the in-process system harness, whose parties share one injected clock)."""
    in_process = settings.worker_in_process if run_worker is None else run_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        opened: contextlib.AbstractAsyncContextManager[Runtime] = (
            open_worker_runtime(settings, clock=clock, mapping=mapping, caller_clock=caller_clock)
            if in_process
            else open_runtime(settings, clock=clock, mapping=mapping, caller_clock=caller_clock)
        )
        async with opened as runtime:
            worker = Worker(runtime) if isinstance(runtime, WorkerRuntime) else None
            # a queued booking revision is the bookings loop's work alone
            wake = None if worker is None else functools.partial(worker.wake, "bookings")
            intake = IntakeWriter(runtime.store.inbox, clock=clock, on_queued=wake)
            await intake.start()
            worker_task = (
                asyncio.create_task(worker.run(), name="worker") if worker is not None else None
            )
            checker = Checker(runtime)
            # One reloader per process: the in-process worker's, or the web's own.
            reloader = worker.reloader if worker is not None else None
            reloader = reloader or MappingReloader(runtime, interval_s=settings.worker_interval_s)
            if reload_on_sighup:
                reloader.install_sighup()
            app.state.ctx = WebContext(
                runtime=runtime,
                intake=intake,
                worker=worker,
                checker=checker,
                reloader=reloader,
                started_at=clock(),
                requests=RequestWriter(runtime.store.sync_requests),
            )
            log.info("web_started", worker_in_process=in_process)
            try:
                async with contextlib.AsyncExitStack() as background:
                    # the watch alerts on a stale worker and Channex's warning events
                    await background.enter_async_context(
                        watch.running(watch.ProblemWatch(runtime, checker))
                    )
                    if worker is None:
                        await background.enter_async_context(mapping_reload.running(reloader))
                    yield
            finally:
                if worker is not None and worker_task is not None:
                    await worker.stop()
                    await worker_task
                await intake.stop()
                log.info("web_stopped")

    app = Starlette(lifespan=lifespan)
    app.state.console = ConsoleState(settings)  # the browser console at /console
    channex_webhook = _ChannexWebhook(app, settings)
    routes: list[BaseRoute] = [
        Route("/webhook/channex", channex_webhook, methods=["POST"]),
        *sync.routes(),
        *health.routes(),
        *status.routes(),
        *admin.routes(),
        *manual.routes(),
        console.mount(),
    ]
    app.router.routes.extend(routes)
    return app
