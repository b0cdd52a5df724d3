"""The emulator's control routes under `/_control` (no api key): the Python controls over HTTP.

- `POST /_control/bookings` (spec JSON, keys in `channex_booking_spec`, plus `deliver`)
  → 201 `{"booking_id", "revision_id"}`
- `POST /_control/bookings/{id}/modify` (changes JSON, plus `deliver`) → `{"revision_id"}`
- `POST /_control/bookings/{id}/cancel` (optional `{"fee": "76.50", "fee_service": bool,
  "deliver": bool}`) → `{"revision_id"}`; the revision's amount is the fee (default "0.00"), a
  fee > 0 adds a "Cancellation Fee" service unless `fee_service` is false (default: false for
  Airbnb, true otherwise)
- `POST /_control/revisions/{id}/non_acked` → `{"revision_id", "payload"}`: fires the
  `non_acked_booking` webhook for that revision; 404 for an unknown one
- `POST /_control/ari/{availability|restrictions}` — `{"values": [...], "deliver": true}`: an
  edit in the Channex UI (values in the API's shape), answered with the `ari` webhook payload
  it sent `{"payload": [...]}`
- `GET|PUT /_control/settings` — `{"webhook_revision_keys": ["booking_revision_id",
  "revision_id"], "availability_task_ids": true}` (PUT any subset)
- `GET|PUT|DELETE /_control/faults` — read (plan, counts, log) / set (FaultPlan JSON) / turn off
- `GET|DELETE /_control/requests` — the recorded API calls / clear them
- `POST /_control/api_key` — `{"api_key": "new"}` rotates, `{"revoked": true}` revokes
- `GET /_control/deliveries` — webhook delivery attempts

A request the emulator refuses answers 400 `{"error": "..."}`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from middleware.sandbox.faults import FaultPlan

if TYPE_CHECKING:
    from middleware.sandbox.channex import ChannexEmulator

BASE = "/_control"
CANCEL_KEYS = frozenset({"fee", "fee_service", "deliver"})


def routes(emulator: ChannexEmulator) -> list[Route]:
    async def create_booking(request: Request) -> Response:
        spec = _object(await _json(request))
        booking_id, revision_id = emulator.create_booking(**spec)
        return JSONResponse({"booking_id": booking_id, "revision_id": revision_id}, 201)

    async def modify_booking(request: Request) -> Response:
        changes = _object(await _json(request))
        revision_id = emulator.modify_booking(request.path_params["id"], **changes)
        return JSONResponse({"revision_id": revision_id})

    async def cancel_booking(request: Request) -> Response:
        raw = _object(await _json(request))
        unknown = sorted(set(raw) - CANCEL_KEYS)
        if unknown:
            return _problem(f"unknown cancel fields: {', '.join(unknown)}")
        revision_id = emulator.cancel_booking(request.path_params["id"], **raw)
        return JSONResponse({"revision_id": revision_id})

    async def non_acked(request: Request) -> Response:
        revision_id = request.path_params["id"]
        if revision_id not in emulator.state.revisions:
            return JSONResponse({"error": f"unknown revision {revision_id!r}"}, 404)
        payload = emulator.send_non_acked(revision_id)
        return JSONResponse({"revision_id": revision_id, "payload": payload})

    async def edit_ari(request: Request) -> Response:
        raw = _object(await _json(request))
        unknown = sorted(set(raw) - {"values", "deliver"})
        if unknown:
            return _problem(f"unknown edit fields: {', '.join(unknown)}")
        payload = emulator.edit_ari(
            request.path_params["kind"], raw.get("values"), deliver=raw.get("deliver", True)
        )
        return JSONResponse({"payload": payload})

    async def read_settings(request: Request) -> Response:
        return JSONResponse(
            {
                "webhook_revision_keys": list(emulator.webhook_revision_keys),
                "availability_task_ids": emulator.availability_task_ids,
            }
        )

    async def set_settings(request: Request) -> Response:
        raw = _object(await _json(request))
        unknown = sorted(set(raw) - {"webhook_revision_keys", "availability_task_ids"})
        if unknown:
            return _problem(f"unknown settings: {', '.join(unknown)}")
        if "webhook_revision_keys" in raw:
            keys = raw["webhook_revision_keys"]
            if not isinstance(keys, list):
                return _problem("webhook_revision_keys must be a list")
            emulator.webhook_revision_keys = tuple(keys)
        if "availability_task_ids" in raw:
            if not isinstance(raw["availability_task_ids"], bool):
                return _problem("availability_task_ids must be a boolean")
            emulator.availability_task_ids = raw["availability_task_ids"]
        return await read_settings(request)

    async def read_deliveries(request: Request) -> Response:
        return JSONResponse([dataclasses.asdict(d) for d in emulator.deliveries])

    async def read_faults(request: Request) -> Response:
        plan = emulator.faults
        return JSONResponse(
            {
                "plan": None if plan is None else plan.to_json(),
                "counts": emulator.fault_counts,
                "log": emulator.fault_log,
            }
        )

    async def set_faults(request: Request) -> Response:
        raw = await _json(request)
        emulator.faults = None if raw is None else FaultPlan.from_json(_object(raw))
        return await read_faults(request)

    async def clear_faults(request: Request) -> Response:
        emulator.faults = None
        return await read_faults(request)

    async def read_requests(request: Request) -> Response:
        return JSONResponse([dataclasses.asdict(r) for r in emulator.requests])

    async def clear_requests(request: Request) -> Response:
        emulator.reset_requests()
        return JSONResponse({"cleared": True})

    async def api_key(request: Request) -> Response:
        raw = _object(await _json(request))
        if raw.get("revoked") is True:
            emulator.revoke_key()
        elif isinstance(raw.get("api_key"), str) and raw["api_key"]:
            emulator.rotate_key(raw["api_key"])
        else:
            return _problem('send {"api_key": "<new key>"} or {"revoked": true}')
        return JSONResponse({"ok": True})

    return [
        Route(f"{BASE}/bookings", _guarded(create_booking), methods=["POST"]),
        Route(f"{BASE}/bookings/{{id}}/modify", _guarded(modify_booking), methods=["POST"]),
        Route(f"{BASE}/bookings/{{id}}/cancel", _guarded(cancel_booking), methods=["POST"]),
        Route(f"{BASE}/revisions/{{id}}/non_acked", _guarded(non_acked), methods=["POST"]),
        Route(f"{BASE}/ari/{{kind}}", _guarded(edit_ari), methods=["POST"]),
        Route(f"{BASE}/settings", read_settings, methods=["GET"]),
        Route(f"{BASE}/settings", _guarded(set_settings), methods=["PUT"]),
        Route(f"{BASE}/deliveries", read_deliveries, methods=["GET"]),
        Route(f"{BASE}/faults", read_faults, methods=["GET"]),
        Route(f"{BASE}/faults", _guarded(set_faults), methods=["PUT", "POST"]),
        Route(f"{BASE}/faults", clear_faults, methods=["DELETE"]),
        Route(f"{BASE}/requests", read_requests, methods=["GET"]),
        Route(f"{BASE}/requests", clear_requests, methods=["DELETE"]),
        Route(f"{BASE}/api_key", _guarded(api_key), methods=["POST"]),
    ]


def _guarded(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """Bad JSON or a spec the emulator refuses → 400 with the reason."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except (ValueError, TypeError) as exc:  # BookingSpecError is a ValueError
            return _problem(str(exc))

    return guarded


async def _json(request: Request) -> Any:
    raw = await request.body()
    return json.loads(raw) if raw.strip() else None


def _object(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _problem(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)
