"""Inbound webhook events on PostgreSQL (`store/inbox.py`'s decisions and results; read its
docstring for each status).

Several web processes take webhooks into one database. `store_events` writes a batch in one
transaction: the revisions to fetch (deduplicated by revision id across every process: a
revision two processes store at once is `queued` by one and `duplicate` for the other), the
notices and read-backs the events imply, and the raw events, whose ids are drawn from the
table's sequence in one statement (unique across processes, ascending within a batch).
Revision ids are inserted in sorted order, so two batches naming the same revisions wait on
each other instead of deadlocking; a deadlock the server still detects (between read-back or
notice rows) fails that transaction, and the batch is written again (`DEADLOCK_RETRIES`).
Stamps follow the clock rule of `postgres/database.py`; `received_at` is stored as given.
"""

from __future__ import annotations

from datetime import datetime

from psycopg import errors

from middleware.channex import events
from middleware.store.inbox import (
    SOURCE,
    InboundEvent,
    StoredEvent,
    StoreOutcome,
    classify,
    notice_detail,
    payload_of,
)
from middleware.store.postgres import notices, parity_drift, revisions
from middleware.store.postgres.database import Conn, PostgresDatabase, Row

DEADLOCK_RETRIES = 3


async def store_batch(
    conn: Conn, received: list[InboundEvent], moment: datetime
) -> list[StoreOutcome]:
    """Write a batch inside the caller's transaction and decide each event's status (rules of
    `store/sqlite/inbox._store_batch`)."""
    decided = [classify(event) for event in received]
    first_seen: dict[str, tuple[str, str | None, str | None]] = {}
    for event, (status, _) in zip(received, decided, strict=True):
        if status == "queued" and event.revision_id is not None:
            first_seen.setdefault(
                event.revision_id, (event.revision_id, event.booking_id, event.property_id)
            )
    wanted = [first_seen[revision_id] for revision_id in sorted(first_seen)]
    new = await revisions.enqueue_batch(conn, wanted, source=SOURCE, moment=moment)
    cursor = await conn.execute(
        "SELECT nextval(pg_get_serial_sequence('webhook_events', 'id')) AS id"
        " FROM generate_series(1, %s) ORDER BY 1",
        (len(received),),
    )
    ids = [int(row["id"]) for row in await cursor.fetchall()]
    rows: list[tuple[object, ...]] = []
    outcomes: list[StoreOutcome] = []
    for event_id, event, (status, detail) in zip(ids, received, decided, strict=True):
        if event.event == events.ARI:
            status, detail = await parity_drift.note_ari_event_in(
                conn, event.property_id, payload_of(event), moment
            )
        elif status == "queued" and event.revision_id is not None:
            if event.revision_id in new:
                new.discard(event.revision_id)  # a second event with this id is a duplicate
            else:
                status, detail = "duplicate", "revision already known"
            if event.event == events.NON_ACKED_BOOKING:
                if await revisions.ack_again(conn, event.revision_id, moment):
                    status, detail = "queued", "finished here, not acked at Channex: ack again"
                await notices.insert(
                    conn,
                    event.event,
                    notice_detail(event),
                    moment,
                    property_id=event.property_id,
                    ref=event.revision_id,
                )
        elif status == "noted":
            detail = notice_detail(event)
            await notices.insert(
                conn,
                event.event,
                detail,
                moment,
                property_id=event.property_id,
                ref=event.revision_id or event.booking_id,
            )
        rows.append(
            (event_id, event.received_at, event.event, event.property_id, event.booking_id,
             event.revision_id, event.payload, status, detail)
        )  # fmt: skip
        outcomes.append(StoreOutcome(event_id=event_id, status=status))
    async with conn.cursor() as insert:
        await insert.executemany(
            "INSERT INTO webhook_events (id, received_at, event, property_id, booking_id,"
            " revision_id, payload, status, detail) OVERRIDING SYSTEM VALUE"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return outcomes


def _stored(row: Row) -> StoredEvent:
    return StoredEvent(
        id=row["id"],
        received_at=row["received_at"],
        event=row["event"],
        property_id=row["property_id"],
        booking_id=row["booking_id"],
        revision_id=row["revision_id"],
        payload=row["payload"],
        status=row["status"],
        detail=row["detail"],
    )


class PostgresInbox:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def store_events(self, received: list[InboundEvent], now: datetime) -> list[StoreOutcome]:
        """The batch committed in one transaction (`store_batch`), each event's outcome in
        order; the `IntakeWriter` in front of it groups the batches."""
        if not received:
            return []
        retries = 0
        while True:
            try:
                async with self.db.transaction() as conn:
                    return await store_batch(conn, received, await self.db.moment(conn, now))
            except errors.DeadlockDetected:
                retries += 1
                if retries > DEADLOCK_RETRIES:
                    raise

    async def list_events(self, *, status: str | None = None, limit: int = 50) -> list[StoredEvent]:
        """Newest first, optionally only one status."""
        rows = await self.db.fetchall(
            "SELECT * FROM webhook_events WHERE (%s::text IS NULL OR status = %s)"
            " ORDER BY id DESC LIMIT %s",
            (status, status, limit),
        )
        return [_stored(row) for row in rows]

    async def get_event(self, id: int) -> StoredEvent | None:
        row = await self.db.fetchone("SELECT * FROM webhook_events WHERE id = %s", (id,))
        return None if row is None else _stored(row)

    async def pending_count(self) -> int:
        """Webhook-queued revisions the worker has not finished yet (revision `pending`)."""
        row = await self.db.fetchone(
            "SELECT count(DISTINCT w.revision_id) AS n FROM webhook_events AS w"
            " JOIN revisions AS r ON r.revision_id = w.revision_id"
            " WHERE w.status = 'queued' AND r.status = 'pending'"
        )
        return 0 if row is None else int(row["n"])
