"""The console's forms (POST, each with its session's CSRF token): Replay and Mark handled a
parked booking, Retry dead letters, read Channex back and resync dates on the Calendar, read
the Channex catalog again on the Mapping page.

Replay and Retry are the admin routes' own operations (`web.admin.replay_parked`,
`retry_dead_letters`); Mark handled is `worker.handling.record_by_hand`, like
`POST /admin/revisions/{id}/handled`: the revision ends `handled` with who and why, and the
worker is asked to ack it at Channex (posting it again for a handled revision whose ack failed
asks again). The web makes no Channex call: the read-back, the ack and the catalog are
wake-ups (`store.wakeups`) the worker runs; a form waits up to `ASKED_WAIT_S` to show the
outcome, and otherwise says it is asked (the page shows the result once done). A resync records
an incremental sync request like `/sync/incremental`. Each answers with a redirect to the page
it came from (`?done=` names what happened).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from middleware import clock as clocks
from middleware.console import calendar
from middleware.console.sign_in import post_guard
from middleware.console.state import PREFIX, web_context
from middleware.domain.models import KINDS, Kind
from middleware.errors import PayloadError
from middleware.web import admin
from middleware.worker import handling
from middleware.worker import read_back as read_back_work

log = structlog.get_logger(__name__)

HANDLED_BY = "console"  # who closed it, when the person gives no name
# How long a form waits for the worker's outcome before saying the work is asked: one-process
# mode and a worker that is awake answer well within it.
ASKED_WAIT_S = 3.0
NAME_MAX_CHARS = 100
NOTE_MAX_CHARS = 500
# The flash for each Channex ack state a close ends in.
HANDLED_FLASH = {
    "acked": "done_handled_acked",
    "failed": "done_handled_ack_failed",
    "pending": "done_handled_ack_asked",  # the worker had not acked it yet
    "not_sent": "done_handled_not_sent",
    "not_needed": "done_handled_not_needed",
}


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


def handled_by(name: str) -> str:
    """`Ana (console)` when the person gave a name, else `console`."""
    return f"{name[:NAME_MAX_CHARS]} (console)" if name else HANDLED_BY


async def mark_handled(request: Request) -> Response:
    _state, _sid, form, denied = await post_guard(request)
    if denied is not None or form is None:
        return denied or _back("/", done="bad_request")
    context = web_context(request)
    rt = context.runtime
    revision_id = request.path_params["revision_id"]
    note = _text(form, "note")[:NOTE_MAX_CHARS] or "handled in the console"
    try:
        by, reason = handling.check_words(handled_by(_text(form, "by")), note)
    except PayloadError:  # pragma: no cover - both are bounded and non-empty above
        return _back("/", done="bad_request")
    try:
        done = await handling.record_by_hand(
            rt.store,
            revision_id,
            by=by,
            reason=reason,
            channex_on=rt.settings.channex_enabled,
            clock=rt.clock,
        )
    except handling.NotClosableError:
        return _back("/", done="not_parked")
    ack: str = done.channex_ack
    if ack == "pending":  # the worker acks it; its outcome, if it is quick enough to show
        asked = await context.ask_worker(
            "ack_handled", by=f"console {handled_by(_text(form, 'by'))}", subject=revision_id
        )
        result = await context.worker_result(asked, within_s=ASKED_WAIT_S)
        ack = str(result["handling"]["channex_ack"]) if result and "handling" in result else ack
    log.info("console_marked_handled", revision_id=revision_id, channex_ack=ack)
    return _back("/", done=HANDLED_FLASH[ack])


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
    """Ask the worker to read the month back from Channex (the web calls nobody); the page
    shows the last result, or that it is asked when the worker has not finished within
    `ASKED_WAIT_S`."""
    _state, _sid, form, denied = await post_guard(request)
    if denied is not None or form is None:
        return denied or _back("/calendar", done="bad_request")
    context = web_context(request)
    rt = context.runtime
    prop = rt.mapping.property(_text(form, "property"))
    kind = _kind(_text(form, "kind"))
    back = {
        "property": _text(form, "property"),
        "month": _text(form, "month"),
        "field": _text(form, "field") or "rate",
    }
    if prop is None or kind is None:
        return _back("/calendar", **back, done="bad_request")
    if not rt.settings.channex_enabled:
        return _back("/calendar", **back, done="integration_disabled")
    today = clocks.hotel_today(prop.timezone, rt.clock())
    month = calendar.parse_month(back["month"], today)
    subject = read_back_work.subject_of(prop.property_id, kind, month)
    asked = await context.ask_worker("read_back", by="console", subject=subject)
    done = await context.worker_result(asked, within_s=ASKED_WAIT_S)
    log.info("console_read_back", subject=subject, wakeup_id=asked, done=done is not None)
    shown = {**back, "read_back": str(asked)}
    if done is None:
        return _back("/calendar", **shown, done="done_readback_asked")
    return _back("/calendar", **shown)


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
    request_id = await rt.store.sync_requests.request(
        source="console",
        now=rt.clock(),
        property_id=prop.property_id,  # every room of the hotel
        date_from=first,
        date_to=last,
    )
    context.wake_worker()
    log.info("sync_requested", source="console", request_id=request_id, full_sync=False)
    return _back("/calendar", **back, field=_text(form, "field") or "rate", done="done_resync")


async def go_live(request: Request) -> Response:
    """One hotel goes live: recorded with who pressed it, with the full sync that pushes its
    whole horizon (like the first `POST /sync/full`, for this hotel alone)."""
    _state, _sid, form, denied = await post_guard(request)
    if denied is not None or form is None:
        return denied or _back("/lanes", done="bad_request")
    context = web_context(request)
    rt = context.runtime
    prop = rt.mapping.property(_text(form, "property"))
    if prop is None:
        return _back("/lanes", done="bad_request")
    if not rt.settings.channex_enabled:
        return _back("/lanes", done="integration_disabled")
    name = _text(form, "by")[:NAME_MAX_CHARS]
    by = f"{name} ({HANDLED_BY})" if name else HANDLED_BY
    request_id = await rt.store.live.go_live(
        [prop.property_id],
        rt.clock(),
        by=by,
        source="console_go_live",
        only=prop.property_id,
    )
    context.wake_worker()
    log.info("console_go_live", property_id=prop.property_id, request_id=request_id)
    return _back("/lanes", done="done_go_live")


async def read_catalog(request: Request) -> Response:
    """Ask the worker to read every hotel's room types and rate plans from Channex again."""
    _state, _sid, form, denied = await post_guard(request)
    if denied is not None or form is None:
        return denied or _back("/mapping", done="bad_request")
    context = web_context(request)
    if not context.runtime.settings.channex_enabled:
        return _back("/mapping", done="integration_disabled")
    asked = await context.ask_worker("read_catalog", by="console")
    done = await context.worker_result(asked, within_s=ASKED_WAIT_S)
    return _back("/mapping", done="done_catalog_read" if done else "done_catalog_asked")


def routes() -> list[BaseRoute]:
    return [
        Route("/mapping/catalog", read_catalog, methods=["POST"]),
        Route("/properties/go-live", go_live, methods=["POST"]),
        Route("/revisions/{revision_id}/replay", replay, methods=["POST"]),
        Route("/revisions/{revision_id}/handled", mark_handled, methods=["POST"]),
        Route("/outbox/retry", retry, methods=["POST"]),
        Route("/calendar/read-back", read_back, methods=["POST"]),
        Route("/calendar/resync", resync, methods=["POST"]),
    ]
