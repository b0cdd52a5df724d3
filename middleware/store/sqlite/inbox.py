"""SQLite implementation of `store.inbox` (`Inbox`)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

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
from middleware.store.sqlite import notices, parity_drift, revisions
from middleware.store.sqlite.db import Database, Row
from middleware.store.stamps import from_db_time, to_db_time


async def _store_batch(
    conn: aiosqlite.Connection, received: list[InboundEvent], now: datetime
) -> list[StoreOutcome]:
    """Write a batch inside the open transaction and decide each event's status.

    A handful of statements per batch, not two per event: one multi-row insert queues the
    revisions (returning the ids that were new), one `executemany` stores the raw events with
    ids counted on from the table's largest (the transaction holds the write lock, so nobody
    else takes ids meanwhile). A revision id seen twice is queued by its first event only.
    """
    decided = [classify(event) for event in received]
    wanted = [
        (event.revision_id, event.booking_id, event.property_id)
        for event, (status, _) in zip(received, decided, strict=True)
        if status == "queued" and event.revision_id is not None
    ]
    new = await revisions.enqueue_batch(conn, wanted, source=SOURCE, now=now) if wanted else set()
    rows: list[tuple[object, ...]] = []
    outcomes: list[StoreOutcome] = []
    cursor = await conn.execute("SELECT coalesce(max(id), 0) FROM webhook_events")
    last = await cursor.fetchone()
    next_id = int(last[0] if last is not None else 0) + 1
    for event, (status, detail) in zip(received, decided, strict=True):
        if event.event == events.ARI:
            status, detail = await parity_drift.note_ari_event_in(
                conn, event.property_id, payload_of(event), now
            )
        elif status == "queued" and event.revision_id is not None:
            if event.revision_id in new:
                new.discard(event.revision_id)  # a second event with this id is a duplicate
            else:
                status, detail = "duplicate", "revision already known"
            if event.event == events.NON_ACKED_BOOKING:
                if await revisions.ack_again(conn, event.revision_id, now):
                    status, detail = "queued", "finished here, not acked at Channex: ack again"
                await notices.insert(
                    conn,
                    event.event,
                    notice_detail(event),
                    now,
                    property_id=event.property_id,
                    ref=event.revision_id,
                )
        elif status == "noted":
            detail = notice_detail(event)
            await notices.insert(
                conn,
                event.event,
                detail,
                now,
                property_id=event.property_id,
                ref=event.revision_id or event.booking_id,
            )
        rows.append(
            (
                next_id,
                to_db_time(event.received_at),
                event.event,
                event.property_id,
                event.booking_id,
                event.revision_id,
                event.payload,
                status,
                detail,
            )
        )
        outcomes.append(StoreOutcome(event_id=next_id, status=status))
        next_id += 1
    await conn.executemany(
        "INSERT INTO webhook_events (id, received_at, event, property_id, booking_id,"
        " revision_id, payload, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return outcomes


def _stored(row: Row) -> StoredEvent:
    return StoredEvent(
        id=row["id"],
        received_at=from_db_time(row["received_at"]),
        event=row["event"],
        property_id=row["property_id"],
        booking_id=row["booking_id"],
        revision_id=row["revision_id"],
        payload=row["payload"],
        status=row["status"],
        detail=row["detail"],
    )


class SqliteInbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def store_events(self, received: list[InboundEvent], now: datetime) -> list[StoreOutcome]:
        async with self._db.transaction() as conn:
            return await _store_batch(conn, received, now)

    async def list_events(self, *, status: str | None = None, limit: int = 50) -> list[StoredEvent]:
        if status is None:
            rows = await self._db.fetchall(
                "SELECT * FROM webhook_events ORDER BY id DESC LIMIT ?", (limit,)
            )
        else:
            rows = await self._db.fetchall(
                "SELECT * FROM webhook_events WHERE status = ? ORDER BY id DESC LIMIT ?",
                (status, limit),
            )
        return [_stored(row) for row in rows]

    async def get_event(self, id: int) -> StoredEvent | None:
        row = await self._db.fetchone("SELECT * FROM webhook_events WHERE id = ?", (id,))
        return None if row is None else _stored(row)

    async def pending_count(self) -> int:
        row = await self._db.fetchone(
            "SELECT COUNT(DISTINCT w.revision_id) FROM webhook_events AS w"
            " JOIN revisions AS r ON r.revision_id = w.revision_id"
            " WHERE w.status = 'queued' AND r.status = 'pending'"
        )
        return 0 if row is None else int(row[0])
