"""The console's pages (GET): Attention, Lanes, Calendar, Bookings, Calls, Mapping."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from middleware import clock as clocks
from middleware.console import attention_data, bookings_data, calendar, calls
from middleware.console.sign_in import page_guard
from middleware.console.state import ConsoleState, web_context
from middleware.domain.mapping import PropertyMap
from middleware.domain.models import KINDS, RESTRICTION_FIELDS
from middleware.ops.report import status_report
from middleware.store.outbox import PushRecord


async def attention_page(request: Request) -> Response:
    state, sid, denied = page_guard(request)
    if denied is not None:
        return denied
    context = web_context(request)
    worker = await context.checker.worker_check(context.runtime.clock())
    page = await attention_data.attention_page(context.runtime, state.catalog(context), worker)
    return await state.page(request, "attention.html", {"page": page}, sid=sid, active="attention")


async def lanes_page(request: Request) -> Response:
    state, sid, denied = page_guard(request)
    if denied is not None:
        return denied
    rt = web_context(request).runtime
    report = await status_report(rt)
    now = rt.clock()
    last: dict[tuple[str, str], PushRecord] = {}
    for prop in report["properties"]:
        for push in await rt.store.outbox.recent_pushes(property_id=prop["property_id"], limit=20):
            last.setdefault((push.lane.property_id, push.lane.kind), push)
    paused_s = {
        (prop["property_id"], kind): max(
            0,
            int((datetime.fromisoformat(lane["rate_limit"]["paused_until"]) - now).total_seconds()),
        )
        for prop in report["properties"]
        for kind, lane in prop["lanes"].items()
        if lane["rate_limit"]["paused"]
    }
    values = {"report": report, "last": last, "paused_s": paused_s}
    return await state.page(request, "lanes.html", values, sid=sid, active="lanes")


def chosen_property(request: Request, properties: tuple[PropertyMap, ...]) -> PropertyMap | None:
    wanted = request.query_params.get("property")
    return next((p for p in properties if p.property_id == wanted), None) or (
        properties[0] if properties else None
    )


async def render_calendar(
    request: Request,
    state: ConsoleState,
    sid: str,
    *,
    prop: PropertyMap | None,
    month_text: str | None,
    field: str,
    read_back_id: int | None = None,
) -> Response:
    rt = web_context(request).runtime
    page = None
    if prop is not None:
        today = clocks.hotel_today(prop.timezone, rt.clock())
        month = calendar.parse_month(month_text, today)
        page = await calendar.calendar_page(rt, prop, month, field, read_back_id)
    values = {
        "page": page,
        "properties": rt.mapping.properties,
        "fields": RESTRICTION_FIELDS,
        "kinds": KINDS,
    }
    return await state.page(request, "calendar.html", values, sid=sid, active="calendar")


async def calendar_view(request: Request) -> Response:
    state, sid, denied = page_guard(request)
    if denied is not None:
        return denied
    assert sid is not None
    rt = web_context(request).runtime
    return await render_calendar(
        request,
        state,
        sid,
        prop=chosen_property(request, rt.mapping.properties),
        month_text=request.query_params.get("month"),
        field=request.query_params.get("field", "rate"),
        read_back_id=_number(request.query_params.get("read_back")),
    )


def _number(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() and len(text) < 12 else None


async def bookings_page(request: Request) -> Response:
    state, sid, denied = page_guard(request)
    if denied is not None:
        return denied
    views = await bookings_data.booking_views(web_context(request).runtime)
    return await state.page(
        request, "bookings.html", {"bookings": views}, sid=sid, active="bookings"
    )


async def calls_view(request: Request) -> Response:
    state, sid, denied = page_guard(request)
    if denied is not None:
        return denied
    page = await calls.calls_page(web_context(request).runtime)
    return await state.page(request, "calls.html", {"page": page}, sid=sid, active="calls")


async def mapping_page(request: Request) -> Response:
    state, sid, denied = page_guard(request)
    if denied is not None:
        return denied
    context = web_context(request)
    catalogs = {
        prop.property_id: await state.catalog(context).of(prop.property_id)
        for prop in context.runtime.mapping
    }
    values = {"properties": context.runtime.mapping.properties, "catalogs": catalogs}
    return await state.page(request, "mapping.html", values, sid=sid, active="mapping")


def routes() -> list[BaseRoute]:
    return [
        Route("/", attention_page, methods=["GET"]),
        Route("/lanes", lanes_page, methods=["GET"]),
        Route("/calendar", calendar_view, methods=["GET"]),
        Route("/bookings", bookings_page, methods=["GET"]),
        Route("/calls", calls_view, methods=["GET"]),
        Route("/mapping", mapping_page, methods=["GET"]),
    ]
