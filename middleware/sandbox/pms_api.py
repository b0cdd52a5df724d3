"""The sistema-os API the emulator serves (pms-contract §2) and the call recorder around it.

Every API call goes through `endpoint(..., api=True)`: recorded, then faults (outage, seeded
5xx, slowness), then the bearer token, then the handler. Errors answer `{"detail": ...}`.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.sandbox.pms_ari import AriQueryError, ari_document, parse_range
from middleware.sandbox.pms_payload import (
    PayloadError,
    booking_json,
    created_json,
    parse_cancel,
    parse_changes,
    parse_create,
)
from middleware.sandbox.pms_state import (
    BookingCancelledError,
    InvalidStayError,
    NoFreeApartmentError,
    UnknownBookingError,
)

if TYPE_CHECKING:
    from middleware.sandbox.pms import PmsEmulator

PREFIX = "/api/v1/channex"
RECORDED_HEADERS = ("idempotency-key", "content-type")
Handler = Callable[[Request, Any], Awaitable[Response]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    """One call the emulator answered (authorization masked)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, the raw text when not JSON, None when empty
    headers: dict[str, str]
    status: int


def detail(status: int, message: Any) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def endpoint(emulator: PmsEmulator, handler: Handler, *, api: bool) -> Callable[..., Any]:
    """Wrap a handler: parse the body, apply faults and auth (API only), record the call."""

    async def serve(request: Request) -> Response:
        raw = await request.body()
        response = await _guarded(emulator, handler, request, raw, api=api)
        headers = {h: request.headers[h] for h in RECORDED_HEADERS if h in request.headers}
        if "authorization" in request.headers:
            headers["authorization"] = "Bearer ****"
        emulator.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                body=_loose_json(raw),
                headers=headers,
                status=response.status_code,
            )
        )
        return response

    return serve


async def _guarded(
    emulator: PmsEmulator, handler: Handler, request: Request, raw: bytes, *, api: bool
) -> Response:
    runner = emulator.fault_runner
    if api and runner is not None:
        decision = runner.before_call()
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        if decision.status is not None:
            return detail(decision.status, "sistema-os unavailable (injected fault)")
    if api and emulator.api_token is not None:
        sent = request.headers.get("authorization", "")
        expected = f"Bearer {emulator.api_token}"
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return detail(401, "Not authenticated" if not sent else "Invalid token")
    try:
        body = json.loads(raw, parse_float=Decimal) if raw else None
    except ValueError:
        return detail(422, [{"loc": ["body"], "msg": "invalid JSON", "type": "value_error"}])
    return await handler(request, body)


def _loose_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def routes(emulator: PmsEmulator) -> list[BaseRoute]:
    state = emulator.state

    async def get_ari(request: Request, body: Any) -> Response:
        try:
            first, last = parse_range(
                request.query_params.get("date_from"), request.query_params.get("date_to")
            )
        except AriQueryError as exc:
            return detail(400, str(exc))
        return JSONResponse(ari_document(state, first, last, emulator.shape))

    async def create_booking(request: Request, body: Any) -> Response:
        key = request.headers.get("idempotency-key") or None
        earlier = state.booking_for_key(key) if key else None
        if earlier is not None:
            return JSONResponse(created_json(earlier), status_code=201)
        try:
            booking = state.create_booking(parse_create(body, state.hotel), idempotency_key=key)
        except PayloadError as exc:
            return detail(422, exc.detail)
        except NoFreeApartmentError as exc:
            return detail(409, str(exc))
        emulator.booking_changed(booking)
        runner = emulator.fault_runner
        decision = runner.after_commit() if runner is not None else None
        if decision is not None and decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        if decision is not None and decision.status is not None:
            return detail(decision.status, "internal error after commit (injected fault)")
        return JSONResponse(created_json(booking), status_code=201)

    async def get_booking(request: Request, body: Any) -> Response:
        try:
            return JSONResponse(booking_json(state.booking(int(request.path_params["id"]))))
        except UnknownBookingError as exc:
            return detail(404, str(exc))

    async def patch_booking(request: Request, body: Any) -> Response:
        booking_id = int(request.path_params["id"])
        try:
            before = state.booking(booking_id)
            changes = parse_changes(body, state.hotel, before)
            after = state.modify_booking(booking_id, changes)
        except PayloadError as exc:
            return detail(422, exc.detail)
        except UnknownBookingError as exc:
            return detail(404, str(exc))
        except (NoFreeApartmentError, BookingCancelledError) as exc:
            return detail(409, str(exc))
        except InvalidStayError as exc:
            return detail(
                422, [{"loc": ["body", "data_checkout"], "msg": str(exc), "type": "value_error"}]
            )
        stay = (after.categoria, after.checkin, after.checkout)
        if stay != (before.categoria, before.checkin, before.checkout):
            emulator.booking_changed(after, before)
        return JSONResponse(booking_json(after))

    async def cancel_booking(request: Request, body: Any) -> Response:
        booking_id = int(request.path_params["id"])
        try:
            before = state.booking(booking_id)
            reason, fee = parse_cancel(body, state.hotel, before)
        except UnknownBookingError as exc:
            return detail(404, str(exc))
        except PayloadError as exc:
            return detail(422, exc.detail)
        after = state.cancel_booking(booking_id, reason, fee)
        if after != before:
            emulator.booking_changed(after)
        return JSONResponse(booking_json(after))

    def route(path: str, handler: Handler, method: str) -> Route:
        return Route(PREFIX + path, endpoint(emulator, handler, api=True), methods=[method])

    return [
        route("/ari", get_ari, "GET"),
        route("/booking", create_booking, "POST"),
        route("/booking/{id:int}", get_booking, "GET"),
        route("/booking/{id:int}", patch_booking, "PATCH"),
        route("/booking/{id:int}/cancel", cancel_booking, "POST"),
    ]
