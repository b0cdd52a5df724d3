"""`/_control/...`: drive the sistema-os emulator over HTTP (sandbox demo, other processes).

| route | body / query | does |
|---|---|---|
| `POST /_control/rates` | categoria, plano, date_from, date_to, rate | `set_rate` |
| `POST /_control/restrictions` | categoria, plano, dates, restriction fields | `set_restrictions` |
| `POST /_control/bookings` | categoria, checkin, checkout, guest_name? | `book_direct` → 201 |
| `POST /_control/bookings/{id}/cancel` | — | `cancel_direct` → booking |
| `GET /_control/bookings` | — | `{"bookings": [...]}` (API field names) |
| `GET /_control/ari` | date_from, date_to (default: today + 30 days) | the per-date document |
| `GET`/`PUT /_control/faults` | a `PmsFaultPlan` as JSON, `null` = off | `emulator.faults = ...` |
| `PUT /_control/shape` | `{"shape": "per_date" \\| "flat"}` | `emulator.shape = ...` |
| `GET`/`DELETE /_control/requests` | — | the request log / clear it |
| `GET /_control/notifications` | — | the `/webhook/pms` calls sent |

Control calls are recorded too, are never faulted and need no token. Errors: 400/404/409
with `{"detail": "..."}`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.sandbox.pms_api import Handler, detail, endpoint
from middleware.sandbox.pms_ari import SHAPES, AriQueryError, parse_range
from middleware.sandbox.pms_faults import plan_from_json, plan_json
from middleware.sandbox.pms_hotel import RESTRICTION_NAMES
from middleware.sandbox.pms_payload import booking_json
from middleware.sandbox.pms_state import (
    NoFreeApartmentError,
    PmsStateError,
    UnknownBookingError,
)

if TYPE_CHECKING:
    from middleware.sandbox.pms import PmsEmulator

PREFIX = "/_control"
DEFAULT_ARI_DAYS = 30


class ControlError(ValueError):
    pass


def _obj(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ControlError("expected a JSON object")
    return body


def _date(body: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(str(body[name]))
    except (KeyError, ValueError):
        raise ControlError(f"{name}: a date YYYY-MM-DD is required") from None


def _str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ControlError(f"{name}: a string is required")
    return value


def _floats(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: float(v) if isinstance(v, Decimal) else v for k, v in doc.items()}
    return doc


def routes(emulator: PmsEmulator) -> list[BaseRoute]:
    async def set_rate(request: Request, body: Any) -> Response:
        doc = _obj(body)
        try:
            rate = Decimal(str(doc.get("rate")))
        except InvalidOperation:
            raise ControlError("rate: a decimal amount is required") from None
        emulator.set_rate(
            _str(doc, "categoria"),
            _str(doc, "plano"),
            _date(doc, "date_from"),
            _date(doc, "date_to"),
            rate,
        )
        return JSONResponse({"ok": True})

    async def set_restrictions(request: Request, body: Any) -> Response:
        doc = _obj(body)
        fields = {k: v for k, v in doc.items() if k in RESTRICTION_NAMES}
        extra = set(doc) - set(fields) - {"categoria", "plano", "date_from", "date_to"}
        if extra:
            raise ControlError(f"unknown fields {sorted(extra)}")
        emulator.set_restrictions(
            _str(doc, "categoria"),
            _str(doc, "plano"),
            _date(doc, "date_from"),
            _date(doc, "date_to"),
            **fields,
        )
        return JSONResponse({"ok": True})

    async def book(request: Request, body: Any) -> Response:
        doc = _obj(body)
        args = (_str(doc, "categoria"), _date(doc, "checkin"), _date(doc, "checkout"))
        name = doc.get("guest_name")
        booking_id = emulator.book_direct(*args, **({"guest_name": name} if name else {}))
        return JSONResponse(booking_json(emulator.state.booking(booking_id)), status_code=201)

    async def cancel(request: Request, body: Any) -> Response:
        booking_id = int(request.path_params["id"])
        emulator.cancel_direct(booking_id)
        return JSONResponse(booking_json(emulator.state.booking(booking_id)))

    async def list_bookings(request: Request, body: Any) -> Response:
        return JSONResponse({"bookings": [booking_json(b) for b in emulator.bookings()]})

    async def ari(request: Request, body: Any) -> Response:
        today = emulator.today()
        query = request.query_params
        try:
            first, last = parse_range(
                query.get("date_from", today.isoformat()),
                query.get("date_to", (today + timedelta(days=DEFAULT_ARI_DAYS)).isoformat()),
            )
        except AriQueryError as exc:
            raise ControlError(str(exc)) from None
        return JSONResponse(emulator.ari(first, last))

    async def get_faults(request: Request, body: Any) -> Response:
        return JSONResponse({"faults": plan_json(emulator.faults)})

    async def put_faults(request: Request, body: Any) -> Response:
        try:
            emulator.faults = plan_from_json(_floats(body))
        except (TypeError, ValueError) as exc:
            raise ControlError(f"bad fault plan: {exc}") from None
        return JSONResponse({"faults": plan_json(emulator.faults)})

    async def put_shape(request: Request, body: Any) -> Response:
        shape = _obj(body).get("shape")
        if shape == "per_date" or shape == "flat":
            emulator.shape = shape
            return JSONResponse({"shape": shape})
        raise ControlError(f"shape must be one of {list(SHAPES)}")

    async def get_requests(request: Request, body: Any) -> Response:
        return JSONResponse({"requests": [asdict(r) for r in emulator.requests]})

    async def clear_requests(request: Request, body: Any) -> Response:
        emulator.requests.clear()
        return JSONResponse({"ok": True})

    async def notifications(request: Request, body: Any) -> Response:
        return JSONResponse({"notifications": [asdict(n) for n in emulator.notifier.sent]})

    def route(path: str, handler: Handler, *methods: str) -> Route:
        async def guarded(request: Request, body: Any) -> Response:
            try:
                return await handler(request, body)
            except UnknownBookingError as exc:
                return detail(404, str(exc))
            except NoFreeApartmentError as exc:
                return detail(409, str(exc))
            except (ControlError, PmsStateError) as exc:
                return detail(400, str(exc))

        return Route(PREFIX + path, endpoint(emulator, guarded, api=False), methods=list(methods))

    return [
        route("/rates", set_rate, "POST"),
        route("/restrictions", set_restrictions, "POST"),
        route("/bookings", book, "POST"),
        route("/bookings", list_bookings, "GET"),
        route("/bookings/{id:int}/cancel", cancel, "POST"),
        route("/ari", ari, "GET"),
        route("/faults", get_faults, "GET"),
        route("/faults", put_faults, "PUT"),
        route("/shape", put_shape, "PUT"),
        route("/requests", get_requests, "GET"),
        route("/requests", clear_requests, "DELETE"),
        route("/notifications", notifications, "GET"),
    ]
