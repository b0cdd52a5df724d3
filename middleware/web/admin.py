"""Admin routes (Bearer ADMIN_TOKEN; off without it): look at and act on what is stuck.

- `GET  /admin/webhooks?status=` raw webhook events (newest first)
- `POST /admin/webhooks/process` ask the worker to process pending booking revisions now
- `GET  /admin/revisions?status=parked` booking revisions by state
- `GET  /admin/revisions?q=TEXT` look a booking up by OTA reservation code or guest name
- `POST /admin/revisions/{revision_id}/replay` replay a parked revision once its cause is fixed
- `POST /admin/revisions/{revision_id}/handled` `{"by", "reason"}`: the hotel dealt with a parked
  (or unknown) revision by hand; close it (who, when, why) and ask the worker to ack it at
  Channex: 202 with the handling (`channex_ack: pending`) and the wake-up's `status_url`
  (200 when no ack is owed: an unknown revision, or Channex switched off)
- `POST /admin/mapping/reload` validate `MAPPING_FILE` and switch to it without a restart
  (every process follows; a bad file keeps the mapping in use: 422 with the problems)
- `POST /admin/feed/poll` ask the worker to read the booking-revision feed now
- `GET  /admin/pushes` recent ARI pushes (the outbound audit)
- `GET  /admin/outbox/failures` failed / rejected pushes and dead-letter counts
- `POST /admin/outbox/retry` dead letters back to pending (`{"property_id", "kind"}` optional)
- `GET  /admin/calls?service=` recent HTTP calls, bodies masked

List routes take `limit` (1..100, default 50) and their filters; an unknown parameter or a bad
value is refused with 422 and the reason (`web/admin_input.py`).
- `POST /admin/parity/check` ask the worker to read Channex's ARI back now, compare it with the
  PMS and queue the drift
- `GET  /admin/wakeups/{id}` what one of those asked for, who asked, and once the worker ran
  it, when and its result

The three "now" routes do no work in the web process (no booking fetch, feed read, PMS read or
ARI push: two processes never do the same work at once): they record a wake-up in the store
(`store.wakeups`) and answer 202 `{"asked", "wakeup_id", "asked_by", "status_url"}` at once;
the worker runs the work within `WORKER_INTERVAL` (at once in one-process mode) and records its
result — what these routes answered with before — which `GET /admin/wakeups/{id}` shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.channex import transport
from middleware.domain.models import KINDS, Kind
from middleware.errors import PayloadError
from middleware.logs import mask_value
from middleware.ops import attention_report
from middleware.ops.report import jsonable
from middleware.pms import sistemaos_http
from middleware.store import inbox, revisions, wakeups
from middleware.web import admin_input
from middleware.web.auth import require_admin
from middleware.web.context import WebContext, ctx
from middleware.web.sync import DISABLED
from middleware.worker import handling

LIST_LIMIT = admin_input.MAX_LIMIT
SERVICES = (transport.SERVICE, sistemaos_http.SERVICE)


async def replay_parked(context: WebContext, revision_id: str) -> bool:
    """A parked revision back to pending, its notice resolved, the worker woken; False if it
    was not parked (also the console's Replay)."""
    rt = context.runtime
    if not await rt.store.revisions.replay(revision_id, rt.clock()):
        return False
    await rt.store.notices.resolve(rt.clock(), kind="booking_needs_attention", ref=revision_id)
    context.wake_worker()
    return True


async def retry_dead_letters(
    context: WebContext, *, property_id: str | None, kind: Kind | None
) -> int:
    """Dead letters back to pending (also the console's Retry); returns how many."""
    rt = context.runtime
    count = await rt.store.outbox.retry_dead(rt.clock(), property_id=property_id, kind=kind)
    await rt.store.notices.resolve(rt.clock(), kind="dead_letter")
    context.wake_worker()
    return count


def _guard(request: Request) -> tuple[WebContext, Response | None]:
    context = ctx(request)
    return context, require_admin(request, context.runtime.settings.admin_token)


def _filters(
    request: Request, spec: Mapping[str, admin_input.Choices] | None = None
) -> tuple[dict[str, str], int] | Response:
    """The list filters and limit of the query string, or a 422 naming the bad one."""
    try:
        return admin_input.filters(request.query_params.multi_items(), spec or {})
    except PayloadError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)


async def _ask(request: Request, work: wakeups.Work) -> Response:
    """Record `work` for the worker (503 with Channex off: the work would call it); 202."""
    context, denied = _guard(request)
    if denied:
        return denied
    if not context.runtime.settings.channex_enabled:
        return JSONResponse(DISABLED, status_code=503)
    by = f"{request.method} {request.url.path}"
    wakeup_id = await context.ask_worker(work, by=by)
    body = {
        "asked": work,
        "wakeup_id": wakeup_id,
        "asked_by": by,
        "status_url": f"/admin/wakeups/{wakeup_id}",
    }
    return JSONResponse(body, status_code=202)


async def parity_check(request: Request) -> Response:
    return await _ask(request, "parity_check")


async def wakeup(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    wakeup_id: int = request.path_params["wakeup_id"]
    found = await context.runtime.store.wakeups.get(wakeup_id)
    if found is None:
        return JSONResponse({"error": f"no wake-up {wakeup_id}"}, status_code=404)
    body = jsonable(found)
    body["status"] = "done" if found.done_at else "running" if found.taken_until else "waiting"
    body["result"] = None if found.result is None else orjson.loads(found.result)
    return JSONResponse(body)


async def webhooks(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    asked = _filters(request, {"status": get_args(inbox.Status)})
    if isinstance(asked, Response):
        return asked
    chosen, limit = asked
    events = await context.runtime.store.inbox.list_events(status=chosen.get("status"), limit=limit)
    return JSONResponse({"events": mask_value(jsonable(events))})


async def process_now(request: Request) -> Response:
    return await _ask(request, "process_bookings")


async def list_revisions(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    asked = _filters(request, {"status": revisions.STATUSES, "q": None})
    if isinstance(asked, Response):
        return asked
    chosen, limit = asked
    if "q" in request.query_params:
        query = chosen.get("q", "")
        if not query.strip():
            return JSONResponse({"error": "q must not be empty"}, 422)
        rt = context.runtime
        found = await attention_report.search(rt.store, rt.mapping, query, limit=limit)
        return JSONResponse({"revisions": found})
    wanted = chosen.get("status", "parked")
    status = next(s for s in revisions.STATUSES if s == wanted)
    rows = await context.runtime.store.revisions.list_by_status([status], limit=limit)
    return JSONResponse({"revisions": jsonable(rows)})


async def replay(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    revision_id = request.path_params["revision_id"]
    if not await replay_parked(context, revision_id):
        return JSONResponse({"error": f"revision {revision_id} is not parked"}, status_code=404)
    return JSONResponse({"status": "replaying", "revision_id": revision_id}, status_code=202)


async def handled(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    revision_id = request.path_params["revision_id"]
    rt = context.runtime
    try:
        body = admin_input.json_object(await request.body(), keys=("by", "reason"), required=True)
        by, reason = handling.check_words(body.get("by"), body.get("reason"))
    except PayloadError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    try:
        done = await handling.record_by_hand(
            rt.store,
            revision_id,
            by=by,
            reason=reason,
            channex_on=rt.settings.channex_enabled,
            clock=rt.clock,
        )
    except handling.NotClosableError as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    answer: dict[str, Any] = {"status": "handled", "handling": jsonable(done)}
    if done.channex_ack != "pending":  # nothing owed: unknown at Channex, or Channex off
        return JSONResponse(answer)
    by_route = f"{request.method} {request.url.path}"
    wakeup_id = await context.ask_worker("ack_handled", by=by_route, subject=revision_id)
    answer |= {"wakeup_id": wakeup_id, "status_url": f"/admin/wakeups/{wakeup_id}"}
    return JSONResponse(answer, status_code=202)


async def mapping_reload(request: Request) -> Response:
    """Validate the mapping file and switch to it (every process follows); a bad file keeps
    the mapping in use and the answer says why."""
    context, denied = _guard(request)
    if denied:
        return denied
    result = await context.reloader.reload_now()
    body = {
        "status": "reloaded" if result.ok else "refused",
        "path": str(context.runtime.settings.mapping_file),
        "properties": result.properties,
        "categorias": list(result.categorias),
    }
    if not result.ok:
        body["problems"] = list(result.problems)
        body["note"] = "the mapping in use is kept"
    return JSONResponse(body, status_code=200 if result.ok else 422)


async def feed_poll(request: Request) -> Response:
    return await _ask(request, "poll_feed")


async def pushes(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    asked = _filters(request)
    if isinstance(asked, Response):
        return asked
    rows = await context.runtime.store.outbox.recent_pushes(limit=asked[1])
    return JSONResponse({"pushes": jsonable(rows)})


async def failures(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    rt = context.runtime
    rows = await rt.store.outbox.recent_pushes(limit=LIST_LIMIT)
    backlog = await rt.store.outbox.backlog(rt.clock())
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
    try:
        body = admin_input.json_object(await request.body(), keys=("property_id", "kind"))
    except PayloadError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
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
    asked = _filters(request, {"service": SERVICES})
    if isinstance(asked, Response):
        return asked
    chosen, limit = asked
    rows = await context.runtime.store.audit.recent_calls(
        service=chosen.get("service"), limit=limit
    )
    return JSONResponse({"calls": jsonable(rows)})


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/webhooks", webhooks, methods=["GET"]),
        Route("/admin/webhooks/process", process_now, methods=["POST"]),
        Route("/admin/revisions", list_revisions, methods=["GET"]),
        Route("/admin/revisions/{revision_id}/replay", replay, methods=["POST"]),
        Route("/admin/revisions/{revision_id}/handled", handled, methods=["POST"]),
        Route("/admin/mapping/reload", mapping_reload, methods=["POST"]),
        Route("/admin/feed/poll", feed_poll, methods=["POST"]),
        Route("/admin/pushes", pushes, methods=["GET"]),
        Route("/admin/outbox/failures", failures, methods=["GET"]),
        Route("/admin/outbox/retry", retry, methods=["POST"]),
        Route("/admin/calls", calls, methods=["GET"]),
        Route("/admin/parity/check", parity_check, methods=["POST"]),
        Route("/admin/wakeups/{wakeup_id:int}", wakeup, methods=["GET"]),
    ]
