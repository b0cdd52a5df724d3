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
from middleware.store.group_commit import GroupCommit

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


def call_row_values(record: CallRecord) -> tuple[object, ...]:
    """A call's columns after `at` as stored: URL and error masked, bodies masked and cut."""
    return (
        record.service,
        record.method,
        logs.mask_text(record.url),
        record.status,
        record.duration_ms,
        mask_body(record.request_body),
        mask_body(record.response_body),
        None if record.error is None else _truncate(logs.mask_text(record.error)),
    )


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

    async def record_calls(self, calls: Sequence[tuple[CallRecord, datetime]]) -> list[None]:
        """Store several calls (each with the time it ended) in one transaction, in order; one
        None per call (what `GroupCommit` hands back to each caller)."""

    def sink(self, clock: Callable[[], datetime]) -> CallSink:
        """The clients' `on_call`: store each call (calls that end together in one transaction,
        `group_sink`). Auditing is best effort: a failed write is logged, never raised into the
        call that was being audited."""

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

    async def take_turn(self, key: str, now: datetime, *, every_s: float) -> bool:
        """True for the one caller that finds the turn named `key` last taken at least
        `every_s` ago (or never), which records `now` as the turn; False for every other, in
        any process (one atomic write). How several workers share a timed pass."""

    async def prune(self, now: datetime, *, keep_days: int = 30) -> int:
        """Housekeeping: drop audited calls and finished pushes older than `keep_days`."""


def group_sink(audit: Audit, clock: Callable[[], datetime]) -> CallSink:
    """`Audit.sink` for any backend: each call stored before `on_call` returns, the calls that
    end while the store is busy written in one transaction (`GroupCommit` over
    `record_calls`). One write per outbound HTTP call was the largest count of store
    transactions at 200 hotels (~90 a second, each waiting ~50-90 ms for the connection inside
    the push or PMS read it audits)."""
    writer: GroupCommit[tuple[CallRecord, datetime], None] = GroupCommit(audit.record_calls)

    async def on_call(record: CallRecord) -> None:
        try:
            await writer.submit((record, clock()))
        except Exception as exc:
            log.warning("audit_write_failed", service=record.service, error=str(exc))

    return on_call
