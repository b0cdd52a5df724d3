"""The Channex emulator: a Starlette app faithful to the Channex API v1 the middleware uses.

Mount `emulator.app` at the root; the API lives under `/api/v1` (so a client's base URL is
`http://127.0.0.1:PORT/api/v1`), control routes under `/_control` (no api key). Every API call
is recorded in `requests`; faults come from a seeded `FaultPlan` (off by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from middleware.channex import events
from middleware.sandbox import (
    channex_ari,
    channex_bookings,
    channex_content,
    channex_control,
    channex_rate_plans,
    channex_webhooks,
)
from middleware.sandbox import channex_http as http
from middleware.sandbox.channex_delivery import Deliverer, Delivery, envelope, post_once, target_url
from middleware.sandbox.channex_limits import SlidingWindowLimiter, max_calls_in_window
from middleware.sandbox.channex_state import ChannexState
from middleware.sandbox.control_index import index_route
from middleware.sandbox.faults import FaultInjector, FaultPlan

API_BASE = "/api/v1"
MAX_BODY_BYTES = 10 * 1024 * 1024  # Channex: messages up to 10 MB
ARI_WRITE_PATHS = frozenset({f"{API_BASE}/availability", f"{API_BASE}/restrictions"})
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UI_USER_ID = "5e0c1f6a-0000-4000-8000-00000000a11e"  # the person editing in the Channex UI


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordedRequest:
    method: str
    path: str  # full path, e.g. "/api/v1/restrictions"
    query: dict[str, str]
    body: Any  # parsed JSON, or None
    status: int
    at: float  # the emulator clock when the call arrived
    property_id: str | None  # the first property the call concerned
    property_ids: tuple[str, ...] = ()  # every property the call concerned


class ChannexEmulator:
    """In-memory Channex: content, ARI, bookings, webhooks, rate limits, seeded faults.

    `clock` drives the rate-limit window and `RecordedRequest.at`; `today` (default: the
    property's local date) decides what is "past"; `now` stamps revisions and webhooks.
    Control routes (`/_control/...`) are not recorded in `requests`.
    """

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        rate_limit: int = 10,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] | None = None,
        faults: FaultPlan | None = None,
        now: Callable[[], datetime] | None = None,
        webhook_retry_backoff_s: float = 0.2,
        webhook_revision_keys: tuple[str, ...] = channex_webhooks.REVISION_KEYS,
        availability_task_ids: bool = True,
    ) -> None:
        self.state = ChannexState(today=today)
        self.webhook_revision_keys = webhook_revision_keys
        self.availability_task_ids = availability_task_ids
        self._now = now or (lambda: datetime.now(UTC))
        self.requests: list[RecordedRequest] = []
        self.window_s = window_s
        self._api_key: str | None = api_key
        self._clock = clock
        self._limiter = SlidingWindowLimiter(limit=rate_limit, window_s=window_s)
        # Latency (not faults: every such call, seeded or not): an ARI write is answered this
        # long after it arrived, and any call concerning a property in `property_delay_s`
        # that long (the larger wins). Channex counts the call when it arrives.
        self.ari_delay_s = 0.0
        self.property_delay_s: dict[str, float] = {}
        self._injector = FaultInjector(faults)
        self._deliverer = Deliverer(
            injector=lambda: self._injector, retry_backoff_s=webhook_retry_backoff_s
        )
        endpoints = [
            *channex_content.endpoints(self.state),
            *channex_rate_plans.endpoints(self.state),
            *channex_webhooks.endpoints(self.state, self._test_webhook),
            *channex_bookings.endpoints(self.state),
            *channex_ari.endpoints(
                self.state,
                lambda n: self._injector.rejection_index(n),
                lambda: self.availability_task_ids,
                lambda n: self._injector.silent_drop_index(n),
            ),
        ]
        routes = [self._route(endpoint) for endpoint in endpoints]
        control = channex_control.routes(self)
        routes += [*control, index_route("Channex", control, channex_control.__doc__)]
        routes.append(Route(API_BASE + "/{rest:path}", self._unknown_route, methods=ALL_METHODS))
        self.app = Starlette(routes=routes, lifespan=self._lifespan)

    # ------------------------------------------------------------------ control (Python side)

    @property
    def faults(self) -> FaultPlan | None:
        return self._injector.plan

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        self._injector = FaultInjector(plan)

    @property
    def fault_counts(self) -> dict[str, int]:
        return self._injector.counts

    @property
    def fault_log(self) -> list[str]:
        return self._injector.log

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery attempt, in the order they completed."""
        return self._deliverer.deliveries

    @property
    def dropped_deliveries(self) -> list[tuple[str, str]]:
        """(webhook id, event) of deliveries a fault swallowed."""
        return self._deliverer.dropped

    @property
    def webhook_revision_keys(self) -> tuple[str, ...]:
        """Under which keys booking webhooks name the revision (`booking_revision_id`,
        `revision_id` or both; real Channex sends `booking_revision_id`)."""
        return self._revision_keys

    @webhook_revision_keys.setter
    def webhook_revision_keys(self, keys: tuple[str, ...]) -> None:
        keys = tuple(keys)
        if not keys or not set(keys) <= set(channex_webhooks.REVISION_KEYS):
            raise ValueError(
                f"webhook_revision_keys must be among {channex_webhooks.REVISION_KEYS}"
            )
        self._revision_keys = keys

    def create_booking(self, *, deliver: bool = True, **spec: Any) -> tuple[str, str]:
        """A new booking (status "new"); returns (booking_id, revision_id). Fires the booking
        webhooks unless `deliver` is false. Spec keys: see `channex_control`."""
        _check_deliver(deliver)
        revision = channex_bookings.create(self.state, spec, self._now())
        self._announce(revision, deliver)
        return revision["booking_id"], revision["id"]

    def modify_booking(self, booking_id: str, *, deliver: bool = True, **changes: Any) -> str:
        """A "modified" revision with `changes` applied (rooms, dates, customer, ...)."""
        _check_deliver(deliver)
        revision = channex_bookings.modify(self.state, booking_id, changes, self._now())
        self._announce(revision, deliver)
        return str(revision["id"])

    def cancel_booking(
        self,
        booking_id: str,
        *,
        fee: Any = None,
        fee_service: bool | None = None,
        deliver: bool = True,
    ) -> str:
        """A "cancelled" revision whose amount is `fee` (what is still due; none by default)."""
        _check_deliver(deliver)
        revision = channex_bookings.cancel(
            self.state, booking_id, self._now(), fee=fee, fee_service=fee_service
        )
        self._announce(revision, deliver)
        return str(revision["id"])

    def send_non_acked(self, revision_id: str) -> dict[str, Any]:
        """Fire `non_acked_booking` for a revision (Channex does 30 min after an unacked one
        arrived); returns the payload. Unknown revision → KeyError."""
        revision = self.state.revisions[revision_id]
        payload = channex_webhooks.non_acked_payload(revision)
        self._send_event(events.NON_ACKED_BOOKING, revision["property_id"], payload)
        return payload

    def edit_ari(self, kind: str, values: Any, *, deliver: bool = True) -> list[Any]:
        """Someone changes cells in the Channex UI: apply `values` (the API's shape, validated
        like a push but not rate limited or recorded) and, unless `deliver` is false, send the
        `ari` webhook naming each changed cell. Returns the payload; bad values → ValueError."""
        _check_deliver(deliver)
        if kind not in ("availability", "restrictions"):
            raise ValueError(f"kind must be availability or restrictions, got {kind!r}")
        payload = channex_ari.edit(self.state, kind, values)  # type: ignore[arg-type]
        if deliver:
            for property_id in dict.fromkeys(v["property_id"] for v in values):
                self._send_event(events.ARI, property_id, payload, user_id=UI_USER_ID)
        return payload

    async def deliver_pending(self) -> None:
        """Wait until every webhook delivery in flight (retries included) has finished."""
        await self._deliverer.drain()

    def _announce(self, revision: dict[str, Any], deliver: bool) -> None:
        if not deliver:
            return
        for event, payload in channex_webhooks.booking_events(revision, self.webhook_revision_keys):
            self._send_event(event, revision["property_id"], payload)

    def _send_event(
        self, event: str, property_id: str, payload: Any, *, user_id: str | None = None
    ) -> None:
        for hook in channex_webhooks.targets(self.state, property_id, event):
            data = payload if hook["send_data"] else None
            body = envelope(event, property_id, data, self._now())
            if user_id is not None:
                body["user_id"] = user_id
            self._deliverer.send(hook, body)

    async def _test_webhook(self, hook: dict[str, Any]) -> tuple[int | None, str]:
        data = {"message": "test"} if hook["send_data"] else None
        body = envelope(events.TEST, hook["property_id"], data, self._now())
        headers = {"Content-Type": "application/json", **hook["headers"]}
        return await post_once(target_url(hook), body, headers)

    def revoke_key(self) -> None:
        """Every API call answers 401 from now on (until `rotate_key`)."""
        self._api_key = None

    def rotate_key(self, new_key: str) -> None:
        self._api_key = new_key

    def reset_requests(self) -> None:
        self.requests.clear()

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded calls; `path` may omit the API base (`"/restrictions"`)."""
        full = path if path.startswith(API_BASE) else API_BASE + path
        return [r for r in self.requests if r.method == method.upper() and r.path == full]

    def max_calls_in_any_window(
        self, property_id: str, path: str, *, accepted_only: bool = False
    ) -> int:
        """Oracle: most POSTs to `path` for `property_id` inside any rate-limit window."""
        times = [
            r.at
            for r in self.calls("POST", path)
            if property_id in r.property_ids and not (accepted_only and r.status == 429)
        ]
        return max_calls_in_window(times, self.window_s)

    # ------------------------------------------------------------------ oracles

    def availability(
        self, property_id: str, date_from: date | None = None, date_to: date | None = None
    ) -> dict[str, dict[date, int]]:
        """Stored availability per room type: the written dates, or every date of a range."""
        return self.state.availability_grid(property_id, date_from, date_to)

    def restrictions(
        self, property_id: str, date_from: date | None = None, date_to: date | None = None
    ) -> dict[str, dict[date, dict[str, Any]]]:
        """Full cells per rate plan (`rate` and `rates` as Decimal) for written dates or a range."""
        return self.state.restriction_grid(property_id, date_from, date_to)

    # ------------------------------------------------------------------ HTTP plumbing

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self._deliverer.aclose()

    def _route(self, endpoint: http.Endpoint) -> Route:
        async def handle(request: Request) -> Response:
            return await self._handle(request, endpoint.handler)

        return Route(API_BASE + endpoint.path, handle, methods=[endpoint.method])

    async def _unknown_route(self, request: Request) -> Response:
        async def missing(call: http.Call) -> http.Reply:
            raise http.not_found()

        return await self._handle(request, missing)

    async def _handle(self, request: Request, handler: http.Handler) -> Response:
        at = self._clock()
        query = dict(request.query_params)
        raw = await http.read_body(request, MAX_BODY_BYTES)
        body, readable = http.parse_json(raw or b"")
        call = http.Call(
            method=request.method,
            path=request.url.path,
            params={k: str(v) for k, v in request.path_params.items()},
            query=query,
            body=body,
        )
        if raw is None:
            reply = http.TOO_LARGE
        elif not self._authorised(request.headers.get("user-api-key", "")):
            reply = http.UNAUTHORIZED
        elif not readable:
            reply = http.bad_request("body is not valid JSON").reply
        else:
            reply = await self._answer(call, handler)
        property_ids = reply.property_ids or _body_property_ids(body) or _query_property_ids(query)
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=query,
                body=body,
                status=reply.status,
                at=at,
                property_id=property_ids[0] if property_ids else None,
                property_ids=property_ids,
            )
        )
        return Response(
            http.encode(reply.body),
            status_code=reply.status,
            media_type="application/json",
            headers=reply.headers,
        )

    def _authorised(self, supplied: str) -> bool:
        key = self._api_key
        return key is not None and hmac.compare_digest(supplied.encode(), key.encode())

    async def _answer(self, call: http.Call, handler: http.Handler) -> http.Reply:
        reply = await self._reply(call, handler)
        delay_s = self._latency_s(call)
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        return reply

    def _latency_s(self, call: http.Call) -> float:
        is_ari_write = call.method == "POST" and call.path in ARI_WRITE_PATHS
        delays = [self.ari_delay_s if is_ari_write else 0.0]
        if self.property_delay_s:
            ids = _body_property_ids(call.body) or _query_property_ids(call.query)
            delays += [self.property_delay_s.get(pid, 0.0) for pid in ids]
        return max(delays)

    async def _reply(self, call: http.Call, handler: http.Handler) -> http.Reply:
        fault = self._injector.api_call()
        if fault.delay_s > 0:
            await asyncio.sleep(fault.delay_s)
        if fault.status is not None:
            return http.TOO_MANY_REQUESTS if fault.status == 429 else http.INTERNAL_ERROR
        if call.method == "POST" and call.path in ARI_WRITE_PATHS:
            keys = [(pid, call.path) for pid in _body_property_ids(call.body)]
            if not self._limiter.admit(keys, self._clock()):
                return http.TOO_MANY_REQUESTS
        try:
            return await handler(call)
        except http.ApiError as exc:
            return exc.reply


def _check_deliver(deliver: Any) -> None:
    if not isinstance(deliver, bool):
        raise ValueError(f"deliver must be a boolean, got {deliver!r}")


def _body_property_ids(body: Any) -> tuple[str, ...]:
    values = body.get("values") if isinstance(body, dict) else None
    if not isinstance(values, list):
        return ()
    ids = (v.get("property_id") for v in values if isinstance(v, dict))
    return tuple(dict.fromkeys(pid for pid in ids if isinstance(pid, str)))


def _query_property_ids(query: dict[str, str]) -> tuple[str, ...]:
    raw = query.get("filter[property_id]")
    return tuple(part for part in raw.split(",") if part) if raw else ()
