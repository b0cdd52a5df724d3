"""The audit trail of outbound HTTP calls, process heartbeats and small named values.

Bodies are masked before they are stored (secrets, e-mail addresses, phone numbers, values
under contact keys) and truncated, so the audit table is safe to show on /status.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import orjson
import structlog

from middleware import logs
from middleware.calllog import CallRecord, CallSink

log = structlog.get_logger(__name__)


MAX_BODY_CHARS = 4000


TRUNCATED = "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRow:
    id: int
    at: datetime
    service: str
    method: str
    url: str
    status: int | None
    duration_ms: int
    request_body: str | None
    response_body: str | None
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    name: str  # `kind` alone, or `kind:identity` (one per process of that kind)
    at: datetime
    detail: str | None


def _truncate(text: str) -> str:
    if len(text) <= MAX_BODY_CHARS:
        return text
    return text[: MAX_BODY_CHARS - len(TRUNCATED)] + TRUNCATED


def mask_body(body: str | None) -> str | None:
    """A body safe to store: JSON masked by key and by pattern, other text by pattern."""
    if body is None:
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _truncate(logs.mask_text(body))
    return _truncate(orjson.dumps(logs.mask_value(parsed)).decode())


class Audit(Protocol):
    """The audit operations a store backend provides."""

    async def record_call(self, record: CallRecord, now: datetime) -> None: ...

    def sink(self, clock: Callable[[], datetime]) -> CallSink:
        """The clients' `on_call`: store each call. Auditing is best effort: a failed write is
        logged, never raised into the call that was being audited."""

    async def recent_calls(self, *, service: str | None = None, limit: int = 50) -> list[CallRow]:
        """The latest calls, newest first."""

    async def calls_mentioning(
        self, needles: Sequence[str], *, service: str | None = None, limit: int = 50
    ) -> list[CallRow]:
        """Calls whose URL or request body contains any of `needles` (ids), oldest first."""

    async def heartbeat(self, name: str, now: datetime, detail: str | None = None) -> None: ...

    async def last_heartbeat(self, name: str) -> tuple[datetime, str | None] | None: ...

    async def heartbeats(self, kind: str) -> list[Heartbeat]:
        """Every heartbeat of the processes of `kind` (named `kind` or `kind:<identity>`: each
        worker beats under its own name), by name."""

    async def forget_heartbeats(self, kind: str, *, before: datetime) -> list[str]:
        """Remove the heartbeats of `kind` last written before `before` (processes long
        dead); the names removed, by name."""

    async def set_value(self, key: str, value: str, now: datetime) -> None: ...

    async def get_value(self, key: str) -> str | None: ...

    async def prune(self, now: datetime, *, keep_days: int = 30) -> int:
        """Housekeeping: drop audited calls and finished pushes older than `keep_days`."""
