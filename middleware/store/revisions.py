"""The booking-revision work queue: one row per Channex revision id (the dedup key).

Life of a row: `pending` (enqueued by the webhook intake or the feed poll) → `applied` (in
the PMS, not yet acked at Channex) → `acked`. Superseded revisions end `stale` (acked too);
ones a person must look at are `parked` until `replay` puts them back to `pending`. Claims are
leases (`claimed_until`), taken inside `BEGIN IMMEDIATE`, so two workers never take one row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import aiosqlite

from middleware.store import notices
from middleware.store.db import Database, Row, from_db_time, to_db_time

QueueStatus = Literal["pending", "applied", "acked", "stale", "parked"]
STATUSES: tuple[QueueStatus, ...] = ("pending", "applied", "acked", "stale", "parked")
NOTICE_KINDS = ("booking_unmapped_room", "booking_needs_attention")
STALE_REASON = "superseded by a newer revision of the booking"


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionRow:
    revision_id: str
    booking_id: str | None
    property_id: str | None
    source: str
    status: QueueStatus
    revision_status: str | None
    inserted_at: datetime | None
    received_at: datetime
    attempts: int
    next_attempt_at: datetime
    reason: str | None


def _time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def _row(row: Row) -> RevisionRow:
    return RevisionRow(
        revision_id=row["revision_id"],
        booking_id=row["booking_id"],
        property_id=row["property_id"],
        source=row["source"],
        status=row["status"],
        revision_status=row["revision_status"],
        inserted_at=_time(row["inserted_at"]),
        received_at=from_db_time(row["received_at"]),
        attempts=row["attempts"],
        next_attempt_at=from_db_time(row["next_attempt_at"]),
        reason=row["reason"],
    )


async def enqueue(
    conn: aiosqlite.Connection,
    *,
    revision_id: str,
    booking_id: str | None,
    property_id: str | None,
    source: str,
    now: datetime,
) -> bool:
    """Queue a revision inside the caller's transaction; True if it was not known yet."""
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO revisions (revision_id, booking_id, property_id, source, status,"
        " received_at, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
        (revision_id, booking_id, property_id, source, stamp, stamp, stamp),
    )
    return cursor.rowcount == 1


BATCH_ROWS = 140  # 7 parameters a row: under SQLite's oldest 999-variable limit


async def enqueue_batch(
    conn: aiosqlite.Connection,
    items: Sequence[tuple[str, str | None, str | None]],
    *,
    source: str,
    now: datetime,
) -> set[str]:
    """Queue `(revision_id, booking_id, property_id)` items inside the caller's transaction,
    one statement per `BATCH_ROWS`; returns the revision ids that were not known yet (an id
    repeated within `items` is new at most once)."""
    stamp = to_db_time(now)
    new: set[str] = set()
    for start in range(0, len(items), BATCH_ROWS):
        chunk = items[start : start + BATCH_ROWS]
        rows = ", ".join(["(?, ?, ?, ?, 'pending', ?, ?, ?)"] * len(chunk))
        params = [
            value
            for revision_id, booking_id, property_id in chunk
            for value in (revision_id, booking_id, property_id, source, stamp, stamp, stamp)
        ]
        inserted = await conn.execute_fetchall(
            "INSERT OR IGNORE INTO revisions (revision_id, booking_id, property_id, source,"  # noqa: S608
            f" status, received_at, next_attempt_at, updated_at) VALUES {rows}"
            " RETURNING revision_id",
            params,
        )
        new.update(str(row[0]) for row in inserted)
    return new


async def enqueue_many(
    db: Database,
    items: Iterable[tuple[str, str | None, str | None]],
    now: datetime,
    *,
    source: str,
) -> int:
    """Queue `(revision_id, booking_id, property_id)` items in one transaction; returns how
    many were new."""
    added = 0
    async with db.transaction() as conn:
        for revision_id, booking_id, property_id in items:
            added += await enqueue(
                conn,
                revision_id=revision_id,
                booking_id=booking_id,
                property_id=property_id,
                source=source,
                now=now,
            )
    return added


async def get(db: Database, revision_id: str) -> RevisionRow | None:
    row = await db.fetchone("SELECT * FROM revisions WHERE revision_id = ?", (revision_id,))
    return None if row is None else _row(row)


_CLAIMABLE = "status IN ('pending', 'applied') AND (claimed_until IS NULL OR claimed_until <= ?)"


async def claim_due(
    db: Database, now: datetime, *, limit: int, lease_s: float
) -> list[RevisionRow]:
    """Atomically lease up to `limit` due rows (pending or applied-but-unacked), oldest first."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            f"SELECT * FROM revisions WHERE {_CLAIMABLE} AND next_attempt_at <= ?"  # noqa: S608
            " ORDER BY received_at, revision_id LIMIT ?",
            (stamp, stamp, limit),
        )
        rows = list(await cursor.fetchall())
        until = to_db_time(now + timedelta(seconds=lease_s))
        await conn.executemany(
            "UPDATE revisions SET claimed_until = ? WHERE revision_id = ?",
            [(until, row["revision_id"]) for row in rows],
        )
    return [_row(row) for row in rows]


async def due_properties(db: Database, now: datetime) -> list[str | None]:
    """The properties (None: not known yet) with a due row, the longest waiting first."""
    stamp = to_db_time(now)
    rows = await db.fetchall(
        f"SELECT property_id, MIN(received_at) AS oldest FROM revisions WHERE {_CLAIMABLE}"  # noqa: S608
        " AND next_attempt_at <= ? GROUP BY property_id ORDER BY oldest, property_id",
        (stamp, stamp),
    )
    return [row["property_id"] for row in rows]


async def claim_next(
    db: Database, now: datetime, *, property_id: str | None, lease_s: float
) -> RevisionRow | None:
    """Lease the oldest due row of one property (None: of the rows whose property is not
    known yet); None when it has none."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            f"SELECT * FROM revisions WHERE {_CLAIMABLE} AND next_attempt_at <= ?"  # noqa: S608
            " AND property_id IS ? ORDER BY received_at, revision_id LIMIT 1",
            (stamp, stamp, property_id),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        until = to_db_time(now + timedelta(seconds=lease_s))
        await conn.execute(
            "UPDATE revisions SET claimed_until = ? WHERE revision_id = ?",
            (until, row["revision_id"]),
        )
    return _row(row)


async def claim_one(
    db: Database, revision_id: str, now: datetime, *, lease_s: float
) -> RevisionRow | None:
    """Lease one row now, due or not ("do it now"); None if it is finished, parked or leased."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            f"SELECT * FROM revisions WHERE revision_id = ? AND {_CLAIMABLE}",  # noqa: S608
            (revision_id, stamp),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        until = to_db_time(now + timedelta(seconds=lease_s))
        await conn.execute(
            "UPDATE revisions SET claimed_until = ? WHERE revision_id = ?", (until, revision_id)
        )
    return _row(row)


async def record_fetched(
    db: Database,
    revision_id: str,
    *,
    booking_id: str,
    property_id: str,
    revision_status: str,
    inserted_at: datetime,
    now: datetime,
) -> None:
    """Keep what the fetched revision says about itself (for /status and ordering)."""
    await db.execute(
        "UPDATE revisions SET booking_id = ?, property_id = ?, revision_status = ?,"
        " inserted_at = ?, updated_at = ? WHERE revision_id = ?",
        (
            booking_id,
            property_id,
            revision_status,
            to_db_time(inserted_at),
            to_db_time(now),
            revision_id,
        ),
    )


async def mark_applied(conn: aiosqlite.Connection, revision_id: str, now: datetime) -> None:
    """In the caller's transaction (with the booking's new state): the PMS has it; ack next."""
    await conn.execute(
        "UPDATE revisions SET status = 'applied', reason = NULL, updated_at = ?"
        " WHERE revision_id = ?",
        (to_db_time(now), revision_id),
    )


async def _finish(
    db: Database, revision_id: str, status: QueueStatus, reason: str | None, now: datetime
) -> None:
    """A final state: release the lease and resolve the revision's open notices."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE revisions SET status = ?, reason = ?, claimed_until = NULL, updated_at = ?"
            " WHERE revision_id = ?",
            (status, reason, stamp, revision_id),
        )
        await conn.execute(
            "UPDATE notices SET resolved_at = ? WHERE ref = ? AND resolved_at IS NULL"
            " AND kind IN (?, ?)",
            (stamp, revision_id, *NOTICE_KINDS),
        )


async def mark_acked(db: Database, revision_id: str, now: datetime) -> None:
    await _finish(db, revision_id, "acked", None, now)


async def mark_stale(db: Database, revision_id: str, now: datetime) -> None:
    await _finish(db, revision_id, "stale", STALE_REASON, now)


async def park(
    db: Database,
    revision_id: str,
    reason: str,
    now: datetime,
    *,
    notice_kind: str | None = None,
    property_id: str | None = None,
) -> None:
    """Stop retrying until a person replays it; with `notice_kind`, raise a notice (ref = the
    revision id) in the same transaction."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE revisions SET status = 'parked', reason = ?, claimed_until = NULL,"
            " updated_at = ? WHERE revision_id = ?",
            (reason, stamp, revision_id),
        )
        if notice_kind is not None:
            await notices.insert(
                conn, notice_kind, reason, now, property_id=property_id, ref=revision_id
            )


async def ack_again(conn: aiosqlite.Connection, revision_id: str, now: datetime) -> bool:
    """Channex says the revision is still unacknowledged though we finished it (our ack was
    lost, or it was superseded): an acked row goes back to `applied` (its processing only
    acks, the PMS is not called again), a stale one to `pending`. False if neither."""
    stamp = to_db_time(now)
    cursor = await conn.execute(
        "UPDATE revisions SET status = CASE status WHEN 'acked' THEN 'applied' ELSE 'pending'"
        " END, attempts = 0, next_attempt_at = ?, claimed_until = NULL, updated_at = ?"
        " WHERE revision_id = ? AND status IN ('acked', 'stale')",
        (stamp, stamp, revision_id),
    )
    return cursor.rowcount == 1


async def retry_later(
    db: Database,
    revision_id: str,
    *,
    attempts: int,
    next_attempt_at: datetime,
    reason: str,
    now: datetime,
) -> None:
    """Release the lease and come back at `next_attempt_at`; the status is kept (an `applied`
    row stays applied: its retry only acks)."""
    await db.execute(
        "UPDATE revisions SET attempts = ?, next_attempt_at = ?, reason = ?,"
        " claimed_until = NULL, updated_at = ? WHERE revision_id = ?",
        (attempts, to_db_time(next_attempt_at), reason, to_db_time(now), revision_id),
    )


async def replay(db: Database, revision_id: str, now: datetime) -> bool:
    """Put a parked revision back in the queue, due now; False if it was not parked."""
    stamp = to_db_time(now)
    count = await db.execute(
        "UPDATE revisions SET status = 'pending', attempts = 0, next_attempt_at = ?,"
        " claimed_until = NULL, updated_at = ? WHERE revision_id = ? AND status = 'parked'",
        (stamp, stamp, revision_id),
    )
    return count == 1


async def list_by_status(
    db: Database, statuses: Collection[QueueStatus], limit: int = 100
) -> list[RevisionRow]:
    wanted = list(statuses)
    rows = await db.fetchall(
        f"SELECT * FROM revisions WHERE status IN ({', '.join('?' * len(wanted))})"  # noqa: S608
        " ORDER BY received_at, revision_id LIMIT ?",
        (*wanted, limit),
    )
    return [_row(row) for row in rows]


async def oldest_unacked(db: Database) -> datetime | None:
    """When the oldest revision still owed an ack at Channex arrived (for /health)."""
    row = await db.fetchone(
        "SELECT min(received_at) FROM revisions WHERE status NOT IN ('acked', 'stale')"
    )
    return None if row is None else _time(row[0])


async def counts(db: Database) -> dict[str, int]:
    """Rows per status, every status present (0 when none)."""
    rows = await db.fetchall("SELECT status, count(*) FROM revisions GROUP BY status")
    found = {str(row[0]): int(row[1]) for row in rows}
    return {status: found.get(status, 0) for status in STATUSES}
