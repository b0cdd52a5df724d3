"""Admin routes (Bearer ADMIN_TOKEN; off without it): look at and act on what is stuck.

- `GET  /admin/webhooks?status=` raw webhook events (newest first)
- `POST /admin/webhooks/process` process pending booking revisions now
- `GET  /admin/revisions?status=parked` booking revisions by state
- `POST /admin/revisions/{revision_id}/replay` replay a parked revision once its cause is fixed
- `POST /admin/feed/poll` read the booking-revision feed now
- `GET  /admin/pushes` recent ARI pushes (the outbound audit)
- `GET  /admin/outbox/failures` failed / rejected pushes and dead-letter counts
- `POST /admin/outbox/retry` dead letters back to pending (`{"property_id", "kind"}` optional)
- `GET  /admin/calls?service=` recent HTTP calls, bodies masked
- `POST /admin/parity/check` read Channex's ARI back now, compare with the PMS, queue the drift
"""

from __future__ import annotations

from typing import Any, get_args

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.domain.models import KINDS, Kind
from middleware.logs import mask_value
from middleware.report import jsonable
from middleware.store import audit, inbox, notices, outbox, revisions
from middleware.web.auth import require_admin
from middleware.web.context import WebContext, ctx
from middleware.web.sync import DISABLED

LIST_LIMIT = 100


async def replay_parked(context: WebContext, revision_id: str) -> bool:
    """A parked revision back to pending, its notice resolved, the worker woken; False if it
    was not parked (also the console's Replay)."""
    rt = context.runtime
    if not await revisions.replay(rt.db, revision_id, rt.clock()):
        return False
    await notices.resolve(rt.db, rt.clock(), kind="booking_needs_attention", ref=revision_id)
    context.wake_worker()
    return True


async def retry_dead_letters(
    context: WebContext, *, property_id: str | None, kind: Kind | None
) -> int:
    """Dead letters back to pending (also the console's Retry); returns how many."""
    rt = context.runtime
    count = await outbox.retry_dead(rt.db, rt.clock(), property_id=property_id, kind=kind)
    await notices.resolve(rt.db, rt.clock(), kind="dead_letter")
    context.wake_worker()
    return count


def _guard(request: Request) -> tuple[WebContext, Response | None]:
    context = ctx(request)
    return context, require_admin(request, context.runtime.settings.admin_token)


def _limit(request: Request) -> int:
    text = request.query_params.get("limit", "")
    return min(int(text), LIST_LIMIT) if text.isdigit() and int(text) > 0 else 50


async def parity_check(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    if not context.runtime.settings.channex_enabled:
        return JSONResponse(DISABLED, status_code=503)
    results = await context.runtime.parity.run_once(force=True)
    return JSONResponse(
        {
            "passes": [
                {
                    "property_id": r.lane.property_id,
                    "kind": r.lane.kind,
                    "date_from": r.date_from.isoformat(),
                    "date_to": r.date_to.isoformat(),
                    "cells": r.cells,
                    "drift": len(r.drift),
                    "queued": r.queued,
                }
                for r in results
            ]
        }
    )


async def webhooks(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    status = request.query_params.get("status") or None
    events = await inbox.list_events(context.runtime.db, status=status, limit=_limit(request))
    return JSONResponse({"events": mask_value(jsonable(events))})


async def process_now(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    if not context.runtime.settings.channex_enabled:  # it would fetch and ack at Channex
        return JSONResponse(DISABLED, status_code=503)
    report = await context.runtime.bookings.run_once(
        limit=context.runtime.settings.worker_batch_size
    )
    return JSONResponse({"processed": jsonable(report)})


async def list_revisions(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    wanted = request.query_params.get("status", "parked")
    allowed: tuple[revisions.QueueStatus, ...] = get_args(revisions.QueueStatus)
    status = next((s for s in allowed if s == wanted), None)
    if status is None:
        return JSONResponse({"error": f"status must be one of {', '.join(allowed)}"}, 422)
    rows = await revisions.list_by_status(context.runtime.db, [status], limit=_limit(request))
    return JSONResponse({"revisions": jsonable(rows)})


async def replay(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    revision_id = request.path_params["revision_id"]
    if not await replay_parked(context, revision_id):
        return JSONResponse({"error": f"revision {revision_id} is not parked"}, status_code=404)
    return JSONResponse({"status": "replaying", "revision_id": revision_id}, status_code=202)


async def feed_poll(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    if not context.runtime.settings.channex_enabled:
        return JSONResponse(DISABLED, status_code=503)
    report = await context.runtime.feed.run_once()
    context.wake_worker()
    return JSONResponse({"feed": jsonable(report)})


async def pushes(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    rows = await outbox.recent_pushes(context.runtime.db, limit=_limit(request))
    return JSONResponse({"pushes": jsonable(rows)})


async def failures(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    rt = context.runtime
    rows = await outbox.recent_pushes(rt.db, limit=LIST_LIMIT)
    backlog = await outbox.backlog(rt.db, rt.clock())
    return JSONResponse(
        {
            "dead_lettered": jsonable([b for b in backlog if b.dead]),
            "failed_pushes": jsonable([p for p in rows if p.status in ("failed", "rejected")]),
        }
    )


async def retry(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    body: Any = {}
    raw = await request.body()
    if raw.strip():
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "body must be JSON"}, status_code=422)
    if not isinstance(body, dict):
        return JSONResponse({"error": "body must be a JSON object"}, status_code=422)
    kind = body.get("kind")
    if kind is not None and kind not in KINDS:
        return JSONResponse({"error": "kind must be availability or restrictions"}, 422)
    property_id = body.get("property_id")
    if property_id is not None and not isinstance(property_id, str):
        return JSONResponse({"error": "property_id must be a string"}, status_code=422)
    count = await retry_dead_letters(context, property_id=property_id, kind=kind)
    return JSONResponse({"retried": count})


async def calls(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    service = request.query_params.get("service") or None
    rows = await audit.recent_calls(context.runtime.db, service=service, limit=_limit(request))
    return JSONResponse({"calls": jsonable(rows)})


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/webhooks", webhooks, methods=["GET"]),
        Route("/admin/webhooks/process", process_now, methods=["POST"]),
        Route("/admin/revisions", list_revisions, methods=["GET"]),
        Route("/admin/revisions/{revision_id}/replay", replay, methods=["POST"]),
        Route("/admin/feed/poll", feed_poll, methods=["POST"]),
        Route("/admin/pushes", pushes, methods=["GET"]),
        Route("/admin/outbox/failures", failures, methods=["GET"]),
        Route("/admin/outbox/retry", retry, methods=["POST"]),
        Route("/admin/calls", calls, methods=["GET"]),
        Route("/admin/parity/check", parity_check, methods=["POST"]),
    ]
