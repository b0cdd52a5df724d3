"""One HTTP call to sistema-os: headers, error translation and the call record.

Failures are translated here, once, and chained: 409 → `ConflictUpstreamError`, other 4xx →
`RejectedUpstreamError`, 429/5xx/timeout/connection → `TransientUpstreamError`. Each call is
reported to the `CallSink` as one `CallRecord` (bodies cut at `MAX_RECORDED_BODY_CHARS`; the
sink masks them). The bearer token goes into the `Authorization` header and nowhere else: not
in logs, exception text or call records.
"""

from __future__ import annotations

import math
import time
from typing import Any

import aiohttp
import orjson
import structlog
from yarl import URL

from middleware.calllog import CallRecord, CallSink
from middleware.errors import ConflictUpstreamError, RejectedUpstreamError, TransientUpstreamError

SERVICE = "pms"
MAX_RECORDED_BODY_CHARS = 4096
MAX_DETAIL_CHARS = 500
MASK = "***"

log = structlog.get_logger(__name__)


class SistemaOsHttp:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        api_token: str | None,
        timeout_s: float,
        on_call: CallSink | None,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._token = api_token or None
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._on_call = on_call

    async def call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> str:
        """The body text of a 2xx answer; anything else raises, translated."""
        url = URL(self._base_url + path)
        if query:
            url = url.with_query(query)
        sent = {"Accept": "application/json", **(headers or {})}
        payload = None if body is None else orjson.dumps(body)
        request_text = None if payload is None else payload.decode()
        if payload is not None:
            sent["Content-Type"] = "application/json"
        if self._token is not None:
            sent["Authorization"] = f"Bearer {self._token}"
        started = time.monotonic()
        try:
            async with self._session.request(
                method, url, data=payload, headers=sent, timeout=self._timeout
            ) as response:
                status = response.status
                text = self._scrub((await response.read()).decode("utf-8", errors="replace"))
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            failure = self._scrub(_describe(exc))
            await self._record(method, url, None, started, request_text, None, failure)
            raise TransientUpstreamError(SERVICE, f"{method} {path}: {failure}") from exc
        ok = 200 <= status < 300
        await self._record(
            method, url, status, started, request_text, text, None if ok else f"HTTP {status}"
        )
        if ok:
            return text
        message = f"{method} {path}: {_detail(text)}"
        kept = text[:MAX_RECORDED_BODY_CHARS]
        if status == 409:
            raise ConflictUpstreamError(SERVICE, message, status=status, body=kept)
        if status == 429 or status >= 500:
            raise TransientUpstreamError(
                SERVICE, message, status=status, body=kept, retry_after_s=_seconds(retry_after)
            )
        raise RejectedUpstreamError(SERVICE, message, status=status, body=kept)

    async def _record(
        self,
        method: str,
        url: URL,
        status: int | None,
        started: float,
        request_text: str | None,
        response_text: str | None,
        error: str | None,
    ) -> None:
        if self._on_call is None:
            return
        record = CallRecord(
            service=SERVICE,
            method=method,
            url=str(url.with_user(None)),
            status=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_body=_truncate(request_text),
            response_body=_truncate(response_text),
            error=error,
        )
        try:
            await self._on_call(record)
        except Exception:  # the call happened; losing its audit row must not hide the answer
            log.exception("pms_call_record_failed", method=method, path=url.path)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, MASK) if self._token else text


def _detail(text: str) -> str:
    """sistema-os's `{"detail": ...}` if present, else the body; cut short."""
    detail: Any = text.strip() or "(empty body)"
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        doc = None
    if isinstance(doc, dict) and "detail" in doc:
        detail = doc["detail"]
        if not isinstance(detail, str):
            detail = orjson.dumps(detail, default=str).decode()
    return str(detail)[:MAX_DETAIL_CHARS]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _seconds(header: str | None) -> float | None:
    """A Retry-After header in seconds (sistema-os does not use the HTTP-date form)."""
    if header is None:
        return None
    try:
        seconds = float(header)
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _truncate(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_RECORDED_BODY_CHARS:
        return text
    return text[:MAX_RECORDED_BODY_CHARS] + "…"
