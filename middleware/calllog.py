"""What an HTTP client reports about each call it made, for the audit trail and metrics.

Clients take an optional `CallSink` and await it once per call; the sink masks and stores.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    service: str  # "channex" | "pms"
    method: str
    url: str  # without credentials; query string included
    status: int | None  # None when no response arrived
    duration_ms: int
    request_body: str | None
    response_body: str | None
    error: str | None = None


CallSink = Callable[[CallRecord], Awaitable[None]]
