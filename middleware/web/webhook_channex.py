"""`POST /webhook/channex`: check, parse, store durably, then answer.

Order: IP allowlist (403) → body size cap (413: a declared `Content-Length` over the cap is
refused before reading, and the streamed body is counted so a lying or absent length cannot
get past it) → secret header (401) → `X-Channex-Signature` when present (401) → JSON object
(400) → replay window (400 "stale event": the request is well-formed but not acceptable now;
409 would suggest a conflict with stored state, which a replay check never looks at) → the
intake writer commits the raw event (and the revision to fetch) → 200 `{"status": ...}`.

A storage failure answers 503 so Channex retries (it retries only on 5xx). Nothing here calls
out over the network: the worker fetches the revision later. Each refusal logs one warning
with the reason and the client IP, never the secret or the body. With `CHANNEX_ENABLED=false`
events are still stored, so nothing is lost while the integration is switched off.

The peer address is what the ASGI server reports. Note that uvicorn's own `proxy_headers`
(on by default, trusting 127.0.0.1) already replaces a loopback peer with the address from
`X-Forwarded-For`, before this route and whatever `CHANNEX_TRUST_FORWARDED_FOR` says.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, get_args

import orjson
import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import ASGIApp

from middleware import clock as clocks
from middleware import logs, metrics
from middleware.config import Settings
from middleware.store.inbox import InboundEvent, IntakeWriter, Status
from middleware.web import security

PATH = "/webhook/channex"
SIGNATURE_HEADER = "X-Channex-Signature"
CALLER_CACHE_SIZE = 256  # distinct (peer, X-Forwarded-For) pairs remembered
INFO_LEVELS = frozenset({"DEBUG", "INFO"})
# What card data in a body would contain: a card key, or a long run of digits.
CARD_HINT = re.compile(r"card|cvv|cvc|expir|validade|\d{4}[ -]?\d{4}[ -]?\d{4}", re.IGNORECASE)
# The 200 bodies, rendered once: `{"status": "queued"}` and the other outcomes.
_ANSWERS: dict[str, bytes] = {
    status: orjson.dumps({"status": status}) for status in get_args(Status)
}

log = structlog.get_logger(__name__)


class _TooLargeError(Exception):
    pass


def _refuse(status: int, reason: str, ip: str | None) -> Response:
    log.warning("webhook_rejected", reason=reason, client_ip=ip, http_status=status)
    metrics.webhook_refused(reason)
    return JSONResponse({"error": reason}, status_code=status)


def _declared_length(request: Request) -> int | None:
    text = request.headers.get("content-length")
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


async def _read_capped(request: Request, cap_bytes: int) -> bytes:
    """The whole body, or `_TooLargeError` as soon as more than `cap_bytes` have arrived."""
    declared = _declared_length(request)
    if declared is not None and declared > cap_bytes:
        raise _TooLargeError
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap_bytes:
            raise _TooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def inbound_event(envelope: dict[str, Any], body: bytes, now: datetime) -> InboundEvent:
    """The stored view of a parsed envelope; ids are taken only when they are strings."""
    payload = envelope.get("payload")
    fields: dict[str, Any] = payload if isinstance(payload, dict) else {}
    return InboundEvent(
        received_at=now,
        event=_text(envelope.get("event")) or "unknown",
        property_id=_text(envelope.get("property_id")) or _text(fields.get("property_id")),
        booking_id=_text(fields.get("booking_id")),
        revision_id=_text(fields.get("revision_id")) or _text(fields.get("booking_revision_id")),
        payload=_storable(envelope, body),
    )


def _storable(envelope: dict[str, Any], body: bytes) -> str:
    """The body as stored: as received, unless it carries card data (a webhook should not;
    if one does, the card data is scrubbed before anything is written)."""
    text = body.decode("utf-8")
    if not CARD_HINT.search(text):
        return text
    scrubbed = logs.scrub_card_data(envelope)
    return text if scrubbed == envelope else orjson.dumps(scrubbed).decode()


def _timestamp(envelope: dict[str, Any]) -> str | None:
    value = envelope.get("timestamp")
    if value is None or isinstance(value, str):
        return value
    return repr(value)  # not a string: fails the ISO parse, refused as "bad timestamp"


def routes(
    intake: IntakeWriter, settings: Settings, *, clock: clocks.Clock | None = None
) -> list[BaseRoute]:
    """The Channex webhook route; `clock` defaults to the intake writer's."""
    return [Route(PATH, endpoint(intake, settings, clock=clock), methods=["POST"])]


def asgi_app(
    intake: IntakeWriter, settings: Settings, *, clock: clocks.Clock | None = None
) -> ASGIApp:
    """The same endpoint as a bare ASGI app, for a caller that has already routed the request
    (the web app mounts it without a second router and middleware stack)."""
    return request_response(endpoint(intake, settings, clock=clock))


def endpoint(
    intake: IntakeWriter, settings: Settings, *, clock: clocks.Clock | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """The request handler; `clock` defaults to the intake writer's."""
    now_fn = clock or intake.clock
    secret = settings.channex_webhook_secret
    expected = None if secret is None else str(secret)
    cap_bytes = settings.channex_webhook_max_body_bytes
    secret_header = settings.channex_webhook_secret_header
    # The success line is the one logged per request: skip building it when nobody reads it.
    log_stored = settings.log_level in INFO_LEVELS

    @functools.lru_cache(maxsize=CALLER_CACHE_SIZE)
    def caller(peer: str | None, forwarded_for: str | None) -> tuple[str | None, str | None]:
        """(client ip, allowlist refusal or None): senders are few, parsing an address is not
        free, so each (peer, X-Forwarded-For) pair is worked out once."""
        ip = security.client_ip(peer, forwarded_for, settings.channex_trust_forwarded_for)
        return ip, security.check_ip(ip, settings.channex_allowed_ips)

    async def receive(request: Request) -> Response:
        peer = request.client.host if request.client is not None else None
        ip, reason = caller(peer, request.headers.get("x-forwarded-for"))
        if reason is not None:
            return _refuse(403, reason, ip)
        try:
            body = await _read_capped(request, cap_bytes)
        except _TooLargeError:
            return _refuse(413, f"body larger than {cap_bytes} bytes", ip)
        given = request.headers.get(secret_header)  # Starlette's lookup is case-insensitive
        reason = security.check_secret(
            {} if given is None else {secret_header: given}, expected, secret_header
        ) or security.check_signature(body, request.headers.get(SIGNATURE_HEADER), expected)
        if reason is not None:
            return _refuse(401, reason, ip)
        try:
            envelope = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _refuse(400, "body is not valid JSON", ip)
        if not isinstance(envelope, dict):
            return _refuse(400, "body must be a JSON object", ip)
        now = now_fn()
        reason = security.check_replay(
            _timestamp(envelope), now, settings.channex_webhook_replay_window_s
        )
        if reason is not None:
            return _refuse(400, reason, ip)
        event = inbound_event(envelope, body, now)
        try:
            outcome = await intake.submit(event)
        except Exception as exc:
            log.error("webhook_store_failed", webhook_event=event.event, error=repr(exc))
            metrics.webhook_event(event.event, "store_failed")
            return JSONResponse({"error": "could not store the event, retry later"}, 503)
        metrics.webhook_event(event.event, outcome.status)
        if log_stored:
            log.info(
                "webhook_stored",
                webhook_event=event.event,
                status=outcome.status,
                event_id=outcome.event_id,
                revision_id=event.revision_id,
                client_ip=ip,
            )
        return Response(_ANSWERS[outcome.status], media_type="application/json")

    return receive
