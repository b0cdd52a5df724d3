"""The console's forms (POST, each with its session's CSRF token): Replay and Mark handled a
parked booking, Retry dead letters, read Channex back and resync dates on the Calendar.

Replay and Retry are the admin routes' own operations (`web.admin.replay_parked`,
`retry_dead_letters`); a resync records an incremental sync request like `/sync/incremental`.
Each answers with a redirect to the page it came from (`?done=` names what happened).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.console import handled
from middleware.console.auth import post_guard
from middleware.console.pages import render_calendar
from middleware.console.state import PREFIX, web_context
from middleware.domain.models import KINDS, Kind
from middleware.store import sync_requests
from middleware.web import admin

log = structlog.get_logger(__name__)

HANDLED_BY = "console"
NOTE_MAX_CHARS = 500


def _back(path: str, **query: str) -> Response:
    return RedirectResponse(f"{PREFIX}{path}?{urlencode(query)}", status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _kind(text: str) -> Kind | None:
    return next((k for k in KINDS if k == text), None)


async def replay(request: Request) -> Response:
    _state, _sid, _form, denied = await post_guard(request)
    if denied is not None:
        return denied
    revision_id = request.path_params["revision_id"]
    if not await admin.replay_parked(web_context(request), revision_id):
        return _back("/", done="not_parked")
    log.info("console_replay", revision_id=revision_id)
    return _back("/", done="done_replay")


async def mark_handled(request: Request) -> Response:
    _state, _sid, form, denied = await post_guard(request)
    if denied is not None or form is None:
        return denied or _back("/", done="bad_request")
    rt = web_context(request).runtime
    revision_id = request.path_params["revision_id"]
    note = _text(form, "note")[:NOTE_MAX_CHARS] or "handled in the console"
    if not await handled.mark_handled(
        rt.db, revision_id, by=HANDLED_BY, reason=note, at=rt.clock()
    ):
        return _back("/", done="not_parked")
    log.info("console_marked_handled", revision_id=revision_id)
    return _back("/", done="done_handled")


async def retry(request: Request) -> Response:
    _state, _sid, form, denied = await post_guard(request)
    if denied is not None or form is None:
        return denied or _back("/", done="bad_request")
    property_id = _text(form, "property_id") or None
    kind = _kind(_text(form, "kind"))
    count = await admin.retry_dead_letters(web_context(request), property_id=property_id, kind=kind)
    log.info("console_retry_dead", property_id=property_id, kind=kind, retried=count)
    return _back("/", done="done_retry")


async def read_back(request: Request) -> Response:
    state, sid, form, denied = await post_guard(request)
    if denied is not None or form is None or sid is None:
        return denied or _back("/calendar", done="bad_request")
    rt = web_context(request).runtime
    prop = rt.mapping.property(_text(form, "property"))
    return await render_calendar(
        request,
        state,
        sid,
        prop=prop,
        month_text=_text(form, "month"),
        field=_text(form, "field") or "rate",
        read_back=_kind(_text(form, "kind")),
    )


async def resync(request: Request) -> Response:
    _state, _sid, form, denied = await post_guard(request)
    if denied is not None or form is None:
        return denied or _back("/calendar", done="bad_request")
    context = web_context(request)
    rt = context.runtime
    prop = rt.mapping.property(_text(form, "property"))
    first, last = _day(_text(form, "date_from")), _day(_text(form, "date_to"))
    back = {"property": _text(form, "property"), "month": _text(form, "month")}
    if prop is None or first is None or last is None or last < first:
        return _back("/calendar", **back, done="bad_request")
    request_id = await sync_requests.request(
        rt.db,
        source="console",
        now=rt.clock(),
        room_codes=[room.room_code for room in prop.room_types],
        date_from=first,
        date_to=last,
    )
    context.wake_worker()
    log.info("sync_requested", source="console", request_id=request_id, full_sync=False)
    return _back("/calendar", **back, field=_text(form, "field") or "rate", done="done_resync")


def routes() -> list[BaseRoute]:
    return [
        Route("/revisions/{revision_id}/replay", replay, methods=["POST"]),
        Route("/revisions/{revision_id}/handled", mark_handled, methods=["POST"]),
        Route("/outbox/retry", retry, methods=["POST"]),
        Route("/calendar/read-back", read_back, methods=["POST"]),
        Route("/calendar/resync", resync, methods=["POST"]),
    ]
