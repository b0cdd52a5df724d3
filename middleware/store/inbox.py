"""Inbound webhook events: stored raw, classified, and committed before the HTTP answer.

`IntakeWriter` is a group commit: each request puts its event on a queue and awaits a future;
one background task takes every event waiting (up to `max_batch`) and writes them in ONE
transaction — the raw `webhook_events` rows, for booking events the revisions to fetch (through
`revisions.enqueue_batch`, deduplicated by revision id), for a Channex warning event a notice —
then resolves the futures. Under load many requests share one fsync; alone, a request waits for
exactly one transaction. A failed transaction fails every event of its batch (the caller
answers 503 and Channex retries).

Status of a stored event: `queued` (a new revision for the worker, or for an `ari` event a
read-back of the cells it names), `duplicate` (that revision id was already known), `noted`
(a notice for a person: unmapped rooms and rates, sync errors and warnings, disconnects,
removal warnings — with the reasons the payload gives), `ignored` (nothing to act on:
messages, the test ping, a booking event without a revision id, an `ari` event that only
echoes values the middleware believes Channex holds).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

import orjson
import structlog

from middleware import clock as clocks
from middleware.channex import events

MAX_BATCH = 200


GATHER_TURNS = 8  # event-loop turns a batch may wait for more events to arrive


SOURCE = "webhook"


NOTED_EVENTS = frozenset(
    {
        events.BOOKING_UNMAPPED_ROOM,
        events.BOOKING_UNMAPPED_RATE,
        *events.CHANNEL_PROBLEMS,
    }
)


# Payload keys that say why, copied into the notice (and so into the alert).
REASON_KEYS = (
    "channel_name",
    "channel",
    "error_type",
    "reason",
    "message",
    "warning",
    "errors",
    "property_name",
)


Status = Literal["queued", "duplicate", "noted", "ignored"]


log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundEvent:
    received_at: datetime
    event: str
    property_id: str | None
    booking_id: str | None
    revision_id: str | None  # payload.revision_id, or payload.booking_revision_id
    payload: str  # the raw request body


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreOutcome:
    event_id: int
    status: Status


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredEvent:
    id: int
    received_at: datetime
    event: str
    property_id: str | None
    booking_id: str | None
    revision_id: str | None
    payload: str
    status: str
    detail: str | None


class IntakeStoppedError(RuntimeError):
    """`submit` was called while the writer is not running."""


_Item = tuple[InboundEvent, "asyncio.Future[StoreOutcome]"]


class IntakeWriter:
    """Group-commit writer for inbound events; `start()` before use, `stop()` drains."""

    def __init__(
        self,
        inbox: Inbox,
        *,
        clock: clocks.Clock = clocks.utc_now,
        max_batch: int = MAX_BATCH,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        """`on_queued` runs after a commit that queued a new revision (one-process mode wakes
        the worker with it, so a booking does not wait for the worker's next tick)."""
        self.inbox = inbox
        self._on_queued = on_queued
        self.clock = clock
        self.max_batch = max_batch
        self.commits = 0  # transactions committed (tests compare it with events stored)
        self.events_stored = 0
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._accepting = False

    @property
    def waiting(self) -> int:
        """Events submitted and not yet committed."""
        return self._queue.qsize()

    async def start(self) -> None:
        if self._task is None:
            self._accepting = True
            self._task = asyncio.create_task(self._run(), name="webhook-intake")

    async def stop(self) -> None:
        """Refuse new events, commit every event already submitted, then end the task."""
        task, self._task = self._task, None
        if task is None:
            return
        self._accepting = False
        self._queue.put_nowait(None)
        await task

    async def submit(self, event: InboundEvent) -> StoreOutcome:
        """Store `event`; returns once its transaction has committed (or raises its error)."""
        if not self._accepting:
            raise IntakeStoppedError("webhook intake is not running")
        future: asyncio.Future[StoreOutcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((event, future))
        return await future

    async def _run(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if item is None:
                    return
                await self._gather()
                batch = [item]
                stopping = False
                while len(batch) < self.max_batch and not self._queue.empty():
                    more = self._queue.get_nowait()
                    if more is None:
                        stopping = True
                        break
                    batch.append(more)
                await self._write(batch)
                if stopping:
                    return
        finally:
            self._accepting = False
            self._fail_waiting()

    async def _gather(self) -> None:
        """Let requests that are already on their way reach `submit` before the write: yield
        to the event loop while each turn brings more events (at most `GATHER_TURNS` turns).
        Alone, a request costs one extra turn; under load, batches grow and commits get
        fewer — every event still waits for its own commit before its answer."""
        for _ in range(GATHER_TURNS):
            waiting = self._queue.qsize()
            await asyncio.sleep(0)
            if self._queue.qsize() == waiting or self._queue.qsize() >= self.max_batch:
                return

    def _fail_waiting(self) -> None:
        """The task is gone (cancelled): nobody must wait forever for a commit."""
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None and not item[1].done():
                item[1].set_exception(IntakeStoppedError("webhook intake stopped"))

    async def _write(self, batch: list[_Item]) -> None:
        try:
            now = self.clock()
            outcomes = await self.inbox.store_events([event for event, _ in batch], now)
        except asyncio.CancelledError:
            _fail(batch, IntakeStoppedError("webhook intake stopped"))
            raise
        except Exception as exc:
            log.error("webhook_intake_failed", events=len(batch), error=repr(exc))
            _fail(batch, exc)
            return
        self.commits += 1
        self.events_stored += len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():  # the request may have gone away; the row stays stored
                future.set_result(outcome)
        if self._on_queued is not None and any(o.status == "queued" for o in outcomes):
            self._on_queued()


def _fail(batch: list[_Item], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


def classify(event: InboundEvent) -> tuple[Status, str | None]:
    """What to do with an event before looking at the database: revision, notice or nothing."""
    if event.event in events.BOOKING_EVENTS or event.event == events.NON_ACKED_BOOKING:
        if event.revision_id is None:
            if event.event == events.NON_ACKED_BOOKING:
                return "noted", None
            return (
                "ignored",
                "no revision id (test ping, or send_data off: the feed poll covers it)",
            )
        return "queued", None
    if event.event in NOTED_EVENTS:
        return "noted", None
    if event.event == events.ARI:
        return "queued", None
    if event.event == events.TEST:
        return "ignored", "test ping"
    return "ignored", "event not acted on"


def payload_of(event: InboundEvent) -> Any:
    try:
        envelope = orjson.loads(event.payload)
    except orjson.JSONDecodeError:
        return None
    return envelope.get("payload") if isinstance(envelope, dict) else None


def notice_detail(event: InboundEvent) -> str:
    parts = [f"Channex sent {event.event}"]
    if event.booking_id is not None:
        parts.append(f"booking {event.booking_id}")
    if event.revision_id is not None:
        parts.append(f"revision {event.revision_id}")
    payload = payload_of(event)
    if isinstance(payload, dict):
        for key in REASON_KEYS:
            value = payload.get(key)
            if value not in (None, "", [], {}):
                parts.append(f"{key}: {str(value)[:200]}")
    return ", ".join(parts)


class Inbox(Protocol):
    """The inbox operations a store backend provides."""

    async def store_events(self, received: list[InboundEvent], now: datetime) -> list[StoreOutcome]:
        """Store a batch of events in one transaction and decide each one's status (`classify`,
        then the store: a revision id already known is a `duplicate`, an `ari` event is noted
        for the read-back, a notice is raised for what a person must see); the outcomes in
        the order of `received`. `IntakeWriter` is the group commit in front of it."""

    async def list_events(self, *, status: str | None = None, limit: int = 50) -> list[StoredEvent]:
        """Newest first, optionally only one status."""

    async def get_event(self, id: int) -> StoredEvent | None: ...

    async def pending_count(self) -> int:
        """Webhook-queued revisions the worker has not finished yet (revision still `pending`)."""
