"""Manual test routes (admin): check the mapped ids against Channex, push one test value.

- `GET  /admin/channex/validate-ids` — the property, every room type and every rate plan of the
  mapping looked up in Channex; per id `found` true/false.
- `POST /admin/channex/test/availability` — `{"categoria", "date_from", "date_to",
  "availability"}`, every key optional (first mapped categoria, today .. today + 7 days at the
  hotel, availability 1).
- `POST /admin/channex/test/rate` — `{"categoria", "plano", "date_from", "date_to", "rate"}`
  (the categoria's first plano, rate "100.00"; send the rate as a string or an integer).
- Either also takes `"property"` (a Channex id or the mapping name): needed when the categoria
  is mapped in several properties (codes are unique per property only), refused otherwise.

A test push takes a slot of the lane's rate limit like any push (429 with `retry_at` when none is
free), refuses past dates (422) and answers with what Channex said (task ids, warnings). Then the
middleware forgets what it believed Channex held for those cells and records an incremental sync
of the range: the worker's next pass sends the PMS values again, so a test value stays in
Channex only until then. With CHANNEX_ENABLED=false every route answers 503.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.domain.mapping import PropertyMap
from middleware.domain.models import Kind, Lane
from middleware.errors import (
    MiddlewareError,
    PayloadError,
    RejectedUpstreamError,
    TransientUpstreamError,
)
from middleware.web.auth import require_admin
from middleware.web.context import WebContext, ctx
from middleware.web.manual_body import ManualPush, parse_manual_push

log = structlog.get_logger(__name__)

DISABLED = {"error": "Channex integration is disabled"}


def _guard(request: Request) -> tuple[WebContext, Response | None]:
    context = ctx(request)
    settings = context.runtime.settings
    denied = require_admin(request, settings.admin_token)
    if denied is None and not settings.channex_enabled:
        denied = JSONResponse(DISABLED, status_code=503)
    return context, denied


def _upstream_failure(exc: MiddlewareError) -> Response:
    body: dict[str, Any] = {"error": str(exc)}
    if isinstance(exc, RejectedUpstreamError) and exc.status in (401, 403):
        body["error"] = "Channex rejected the API key"
    if isinstance(exc, RejectedUpstreamError | TransientUpstreamError):
        body["channex_status"] = exc.status
    return JSONResponse(body, status_code=502)


# --------------------------------------------------------------------------- validate ids


async def _property_ids(context: WebContext, prop: PropertyMap) -> dict[str, Any]:
    channex = context.runtime.channex
    try:
        await channex.get_property(prop.property_id)
    except RejectedUpstreamError as exc:
        if exc.status != 404:
            raise
        found = False
    else:
        found = True
    room_types = {r["id"] for r in await channex.list_room_types(prop.property_id)}
    plans = {p["id"] for p in await channex.list_rate_plans(prop.property_id)}
    return {
        "property_id": prop.property_id,
        "name": prop.name,
        "found": found,
        "room_types": [
            {
                "categoria": r.room_code,
                "room_type_id": r.room_type_id,
                "found": r.room_type_id in room_types,
            }
            for r in prop.room_types
        ],
        "rate_plans": [
            {
                "categoria": r.room_code,
                "plano": p.plan_code,
                "rate_plan_id": p.rate_plan_id,
                "found": p.rate_plan_id in plans,
            }
            for r in prop.room_types
            for p in r.rate_plans
        ],
    }


def _all_found(report: dict[str, Any]) -> bool:
    entries = [*report["room_types"], *report["rate_plans"]]
    return bool(report["found"]) and all(e["found"] for e in entries)


async def validate_ids(request: Request) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    try:
        reports = [await _property_ids(context, prop) for prop in context.runtime.mapping]
    except MiddlewareError as exc:
        return _upstream_failure(exc)
    return JSONResponse({"ok": all(_all_found(r) for r in reports), "properties": reports})


# --------------------------------------------------------------------------- test pushes


def _too_soon(retry_at: datetime, now: datetime, why: str) -> Response:
    wait_s = max(1, math.ceil((retry_at - now).total_seconds()))
    return JSONResponse(
        {"error": why, "retry_at": retry_at.isoformat(), "retry_after_s": wait_s},
        status_code=429,
        headers={"Retry-After": str(wait_s)},
    )


async def _reserve(context: WebContext, lane: Lane, now: datetime) -> Response | None:
    rt = context.runtime
    state = await rt.store.lanes.get(lane, now)
    if state is not None and state.paused_until is not None and state.paused_until > now:
        return _too_soon(state.paused_until, now, f"Channex paused the {lane.kind} lane (429)")
    s = rt.settings
    limit = (
        s.channex_avail_rate_limit if lane.kind == "availability" else s.channex_price_rate_limit
    )
    slot = await rt.store.lanes.reserve_call(lane, now, limit=limit)
    if slot is None:
        return None
    return _too_soon(slot, now, f"the {lane.kind} rate limit ({limit} calls a minute) is used up")


async def _restore(context: WebContext, push: ManualPush) -> int:
    """Forget the pushed cells' acked state and ask for an incremental sync of the range."""
    rt = context.runtime
    await rt.store.ari_state.forget(push.lane, [push.entity_id], push.date_from, push.date_to)
    request_id = await rt.store.sync_requests.request(
        source="manual_test",
        now=rt.clock(),
        room_codes=[push.room_code],
        date_from=push.date_from,
        date_to=push.date_to,
    )
    context.wake_worker()
    return request_id


async def _push(request: Request, kind: Kind) -> Response:
    context, denied = _guard(request)
    if denied:
        return denied
    rt = context.runtime
    now = rt.clock()
    try:
        push = parse_manual_push(await request.body(), kind, rt.mapping, rt.settings, now)
    except PayloadError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)
    if (busy := await _reserve(context, push.lane, now)) is not None:
        return busy
    try:
        result = await rt.channex.push(push.lane.kind, [push.value])
    except TransientUpstreamError as exc:
        request_id = await _restore(context, push)
        log.warning("manual_push_failed", kind=kind, error=str(exc), sync_request_id=request_id)
        if exc.rate_limited:
            until = await rt.store.lanes.pause(
                push.lane, rt.clock(), retry_after_s=exc.retry_after_s
            )
            return _too_soon(until, rt.clock(), "Channex answered 429 Too Many Requests")
        return _upstream_failure(exc)
    except RejectedUpstreamError as exc:
        await _restore(context, push)
        return _upstream_failure(exc)
    request_id = await _restore(context, push)
    log.info(
        "manual_push_sent",
        kind=kind,
        property_id=push.lane.property_id,
        task_ids=list(result.task_ids),
        warnings=len(result.warnings),
        sync_request_id=request_id,
    )
    return JSONResponse(
        {
            "sent": {"endpoint": f"/{push.lane.kind}", "values": [push.value]},
            "channex": {
                "status": result.status,
                "task_ids": list(result.task_ids),
                "warnings": list(result.warnings),
            },
            "restore": {
                "sync_request_id": request_id,
                "note": "the PMS values for these dates are pushed again on the next sync pass",
            },
        }
    )


async def test_availability(request: Request) -> Response:
    return await _push(request, "availability")


async def test_rate(request: Request) -> Response:
    return await _push(request, "restrictions")


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/channex/validate-ids", validate_ids, methods=["GET"]),
        Route("/admin/channex/test/availability", test_availability, methods=["POST"]),
        Route("/admin/channex/test/rate", test_rate, methods=["POST"]),
    ]
