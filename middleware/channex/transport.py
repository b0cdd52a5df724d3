"""The HTTP exchange with Channex: one request in, a decoded envelope or a translated error out.

This module is the only place that sees aiohttp exceptions: failures become
`TransientUpstreamError` (timeout, connection, 5xx, 429 with `retry_after_s`) or
`RejectedUpstreamError` (other 4xx, with Channex's code/title/details), a 2xx that is not a
JSON envelope becomes `PayloadError`, and every call is reported once to the `on_call` sink.
The API key travels only in the `user-api-key` header and is scrubbed from every message,
log line and call record built here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
import structlog
from yarl import URL

from middleware.calllog import CallRecord, CallSink
from middleware.errors import (
    MiddlewareError,
    PayloadError,
    RejectedUpstreamError,
    TransientUpstreamError,
)

SERVICE = "channex"
MAX_LOGGED_BODY_CHARS = 4096
MASK = "***"
EPOCH_THRESHOLD_S = 1_000_000_000  # a reset header above this is a Unix time, not a delay

log = structlog.get_logger(__name__)


class ChannexTransport:
    """Holds the shared session, the key header and the call sink; `_send` does one call."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 30.0,
        on_call: CallSink | None = None,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._headers = {
            "user-api-key": api_key,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._timeout_s = timeout_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._on_call = on_call

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    async def _send(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: Any = None
    ) -> dict[str, Any]:
        _status, document = await self._exchange(method, path, params=params, body=body)
        return document

    async def _exchange(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: Any = None
    ) -> tuple[int, dict[str, Any]]:
        """One HTTP call: the status and the decoded envelope, or a translated error."""
        url = URL(self._base_url + path)
        if params:
            url = url.with_query(dict(params))
        payload = None if body is None else orjson.dumps(body, default=_json_default)
        started = time.perf_counter()
        status: int | None = None
        text: str | None = None
        try:
            status, headers, raw = await self._request(method, path, url, payload)
            text = raw.decode("utf-8", errors="replace")
            document = self._interpret(method, path, status, headers, raw, text)
        except MiddlewareError as exc:
            await self._finish(method, path, url, payload, status, text, started, exc)
            raise
        await self._finish(method, path, url, payload, status, text, started, None)
        return status, document

    async def _request(
        self, method: str, path: str, url: URL, payload: bytes | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        try:
            async with self._session.request(
                method, url, data=payload, headers=self._headers, timeout=self._timeout
            ) as response:
                return response.status, response.headers, await response.read()
        except TimeoutError as exc:
            message = f"{method} {path} timed out after {self._timeout_s:g}s"
            raise TransientUpstreamError(SERVICE, message) from exc
        except aiohttp.ClientError as exc:
            reason = self._scrub(f"{type(exc).__name__}: {exc}")
            raise TransientUpstreamError(SERVICE, f"{method} {path} failed: {reason}") from exc

    def _interpret(
        self,
        method: str,
        path: str,
        status: int,
        headers: Mapping[str, str],
        raw: bytes,
        text: str,
    ) -> dict[str, Any]:
        endpoint = f"{method} {path}"
        body = self._scrub(text[:MAX_LOGGED_BODY_CHARS])
        if 200 <= status < 300:
            return _envelope(raw, endpoint)
        if status == 429 or status >= 500:
            reason = "rate limited" if status == 429 else "server error"
            detail = _error_text(raw)
            raise TransientUpstreamError(
                SERVICE,
                self._scrub(f"{endpoint} {reason}" + (f": {detail}" if detail else "")),
                status=status,
                body=body,
                retry_after_s=retry_after_s(headers, datetime.now(UTC)),
            )
        if status == 401:
            message = f"{endpoint}: the API key was rejected (unauthorized)"
        else:
            message = f"{endpoint} rejected: {_error_text(raw) or 'no error details'}"
        raise RejectedUpstreamError(SERVICE, self._scrub(message), status=status, body=body)

    async def _finish(
        self,
        method: str,
        path: str,
        url: URL,
        payload: bytes | None,
        status: int | None,
        text: str | None,
        started: float,
        error: MiddlewareError | None,
    ) -> None:
        duration_ms = int((time.perf_counter() - started) * 1000)
        error_text = None if error is None else str(error)
        log.debug("channex_call", method=method, path=path, status=status, duration_ms=duration_ms)
        if error is not None:
            log.warning(
                "channex_call_failed", method=method, path=path, status=status, error=error_text
            )
        if self._on_call is None:
            return
        record = CallRecord(
            service=SERVICE,
            method=method,
            url=self._scrub(str(url)),
            status=status,
            duration_ms=duration_ms,
            request_body=None if payload is None else self._clip(payload.decode()),
            response_body=None if text is None else self._clip(text),
            error=error_text,
        )
        try:
            await self._on_call(record)
        except Exception as exc:  # an audit failure must not turn a sent call into a retry
            log.warning("channex_call_sink_failed", error=self._scrub(repr(exc)))

    def _clip(self, text: str) -> str:
        return self._scrub(text[:MAX_LOGGED_BODY_CHARS])

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, MASK) if self._api_key else text


# ---------------------------------------------------------------------- pure helpers


def segment(entity_id: str) -> str:
    """An id as one URL path segment (ids may come from webhook payloads: never trust them)."""
    if entity_id in ("", ".", ".."):
        raise PayloadError(f"channex: {entity_id!r} is not a valid id")
    return quote(entity_id, safe="")


def retry_after_s(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait from `Retry-After` (delay or HTTP date) or RateLimit-style reset headers."""
    value = headers.get("Retry-After")
    if value is not None:
        seconds = _seconds(value.strip(), now)
        if seconds is not None:
            return seconds
    for name in ("RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset"):
        value = headers.get(name)
        if value is not None:
            seconds = _seconds(value.strip(), now)
            if seconds is not None:
                return seconds
    combined = headers.get("RateLimit")  # draft-ietf-httpapi-ratelimit-headers: '"x";r=0;t=30'
    if combined is not None:
        for part in combined.replace(",", ";").split(";"):
            key, _, number = part.strip().partition("=")
            if key in ("t", "reset"):
                seconds = _seconds(number.strip(), now)
                if seconds is not None:
                    return seconds
    return None


def _seconds(value: str, now: datetime) -> float | None:
    try:
        number = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - now).total_seconds())
    if number != number or number in (float("inf"), float("-inf")):  # NaN / infinity
        return None
    if number > EPOCH_THRESHOLD_S:
        return max(0.0, number - now.timestamp())
    return max(0.0, number)


def _envelope(raw: bytes, endpoint: str) -> dict[str, Any]:
    try:
        document = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"channex {endpoint}: the answer is not JSON") from exc
    if not isinstance(document, dict) or not ({"data", "meta"} & document.keys()):
        raise PayloadError(f"channex {endpoint}: the answer has no data/meta envelope")
    return document


def _error_text(raw: bytes) -> str:
    """`code title: details` from an error envelope, or the first bytes of the body."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw[:200].decode("utf-8", errors="replace").strip()
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, dict):
        return raw[:200].decode("utf-8", errors="replace").strip()
    head = " ".join(str(errors[k]) for k in ("code", "title") if errors.get(k))
    details = errors.get("details")
    if isinstance(details, dict):
        text = "; ".join(f"{field}: {_join(msgs)}" for field, msgs in details.items())
    elif isinstance(details, list):
        text = _join(details)
    else:
        text = "" if details is None else str(details)
    return f"{head}: {text}" if text else head


def _join(messages: Any) -> str:
    if isinstance(messages, list):
        return ", ".join(str(m) for m in messages)
    return str(messages)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")
