"""SQLite implementation of `store.revisions` (`Revisions`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

import aiosqlite

from middleware.domain.attention import ParkNote
from middleware.store import park_json
from middleware.store.revisions import (
    NOTICE_KINDS,
    STALE_REASON,
    STATUSES,
    UNKNOWN_NOTICE,
    AckState,
    Handling,
    QueueStatus,
    RevisionRow,
)
from middleware.store.sqlite import notices
from middleware.store.sqlite.db import Database, Row
from middleware.store.stamps import from_db_time, to_db_time


def _time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def _row(row: Row) -> RevisionRow:
    note = park_json.decode(row["reason"])
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
        reason=note.text if note else row["reason"],
        park=note,
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
            "INSERT OR IGNORE INTO revisions (revision_id, booking_id,"  # noqa: S608
            " property_id, source,"
            f" status, received_at, next_attempt_at, updated_at) VALUES {rows}"
            " RETURNING revision_id",
            params,
        )
        new.update(str(row[0]) for row in inserted)
    return new


_CLAIMABLE = "status IN ('pending', 'applied') AND (claimed_until IS NULL OR claimed_until <= ?)"


async def mark_applied_in(conn: aiosqlite.Connection, revision_id: str, now: datetime) -> None:
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
        await _resolve_notices(conn, revision_id, stamp)


async def _resolve_notices(conn: aiosqlite.Connection, revision_id: str, stamp: str) -> None:
    await conn.execute(
        "UPDATE notices SET resolved_at = ? WHERE ref = ? AND resolved_at IS NULL"
        " AND kind IN (?, ?, ?)",
        (stamp, revision_id, *NOTICE_KINDS),
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


_SEARCH = """
SELECT r.* FROM revisions r LEFT JOIN bookings b ON b.channex_booking_id = r.booking_id
WHERE r.revision_id = ? OR r.booking_id = ? OR b.ota_code LIKE ? ESCAPE '!'
   OR CASE WHEN json_valid(r.reason) THEN json_extract(r.reason, '$.facts.ota_code') END
      LIKE ? ESCAPE '!'
   OR CASE WHEN json_valid(r.reason) THEN json_extract(r.reason, '$.facts.guest') END
      LIKE ? ESCAPE '!'
   OR EXISTS (SELECT 1 FROM booking_rooms br WHERE br.channex_booking_id = r.booking_id
              AND (json_extract(br.applied, '$.guest_name') LIKE ? ESCAPE '!'
                   OR json_extract(br.applied, '$.ota_code') LIKE ? ESCAPE '!'))
ORDER BY r.received_at DESC, r.revision_id LIMIT ?
"""


class SqliteRevisions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue_many(
        self,
        items: Iterable[tuple[str, str | None, str | None]],
        now: datetime,
        *,
        source: str,
    ) -> int:
        added = 0
        async with self._db.transaction() as conn:
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

    async def get(self, revision_id: str) -> RevisionRow | None:
        row = await self._db.fetchone(
            "SELECT * FROM revisions WHERE revision_id = ?", (revision_id,)
        )
        return None if row is None else _row(row)

    async def claim_due(self, now: datetime, *, limit: int, lease_s: float) -> list[RevisionRow]:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
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

    async def due_properties(self, now: datetime) -> list[str | None]:
        stamp = to_db_time(now)
        rows = await self._db.fetchall(
            "SELECT property_id, MIN(received_at) AS oldest FROM revisions"  # noqa: S608
            f" WHERE {_CLAIMABLE}"
            " AND next_attempt_at <= ? GROUP BY property_id ORDER BY oldest, property_id",
            (stamp, stamp),
        )
        return [row["property_id"] for row in rows]

    async def claim_next(
        self, now: datetime, *, property_id: str | None, lease_s: float
    ) -> RevisionRow | None:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
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
        self, revision_id: str, now: datetime, *, lease_s: float
    ) -> RevisionRow | None:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
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
        self,
        revision_id: str,
        *,
        booking_id: str,
        property_id: str,
        revision_status: str,
        inserted_at: datetime,
        now: datetime,
    ) -> None:
        await self._db.execute(
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

    async def mark_acked(self, revision_id: str, now: datetime) -> None:
        await _finish(self._db, revision_id, "acked", None, now)

    async def mark_stale(self, revision_id: str, now: datetime) -> None:
        await _finish(self._db, revision_id, "stale", STALE_REASON, now)

    async def park(
        self,
        revision_id: str,
        reason: str,
        now: datetime,
        *,
        notice_kind: str | None = None,
        property_id: str | None = None,
        note: ParkNote | None = None,
        notice_detail: str | None = None,
    ) -> None:
        stamp = to_db_time(now)
        stored = park_json.encode(note) if note is not None else reason
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE revisions SET status = 'parked', reason = ?, claimed_until = NULL,"
                " updated_at = ? WHERE revision_id = ?",
                (stored, stamp, revision_id),
            )
            if notice_kind is not None:
                detail = notice_detail or reason
                await notices.insert(
                    conn, notice_kind, detail, now, property_id=property_id, ref=revision_id
                )

    async def retry_later(
        self,
        revision_id: str,
        *,
        attempts: int,
        next_attempt_at: datetime,
        reason: str,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "UPDATE revisions SET attempts = ?, next_attempt_at = ?, reason = ?,"
            " claimed_until = NULL, updated_at = ? WHERE revision_id = ?",
            (attempts, to_db_time(next_attempt_at), reason, to_db_time(now), revision_id),
        )

    async def replay(self, revision_id: str, now: datetime) -> bool:
        stamp = to_db_time(now)
        count = await self._db.execute(
            "UPDATE revisions SET status = 'pending', attempts = 0, next_attempt_at = ?,"
            " claimed_until = NULL, updated_at = ? WHERE revision_id = ? AND status = 'parked'",
            (stamp, stamp, revision_id),
        )
        return count == 1

    async def mark_unknown(
        self, revision_id: str, reason: str, now: datetime, *, property_id: str | None = None
    ) -> None:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE revisions SET status = 'unknown', reason = ?, claimed_until = NULL,"
                " updated_at = ? WHERE revision_id = ?",
                (reason, stamp, revision_id),
            )
            await _resolve_notices(conn, revision_id, stamp)
            await notices.insert(
                conn, UNKNOWN_NOTICE, reason, now, property_id=property_id, ref=revision_id
            )

    async def mark_handled(self, revision_id: str, *, by: str, reason: str, at: datetime) -> bool:
        stamp = to_db_time(at)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT status, reason FROM revisions WHERE revision_id = ?"
                " AND status IN ('parked', 'unknown')",
                (revision_id,),
            )
            row = await cursor.fetchone()
            if row is None:
                return False
            await conn.execute(
                "UPDATE revisions SET status = 'handled', claimed_until = NULL, updated_at = ?"
                " WHERE revision_id = ?",
                (stamp, revision_id),
            )
            ack = "not_needed" if row["status"] == "unknown" else "pending"
            await conn.execute(
                "INSERT OR REPLACE INTO revision_handling (revision_id, handled_by, reason,"
                " handled_at, prior_status, prior_reason, channex_ack) VALUES (?, ?, ?,"
                " ?, ?, ?, ?)",
                (revision_id, by, reason, stamp, row["status"], row["reason"], ack),
            )
            await _resolve_notices(conn, revision_id, stamp)
        return True

    async def record_handled_ack(
        self, revision_id: str, state: AckState, detail: str | None, at: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE revision_handling SET channex_ack = ?, ack_detail = ?, ack_at = ?"
            " WHERE revision_id = ?",
            (state, detail, to_db_time(at), revision_id),
        )

    async def handling(self, revision_id: str) -> Handling | None:
        row = await self._db.fetchone(
            "SELECT * FROM revision_handling WHERE revision_id = ?", (revision_id,)
        )
        if row is None:
            return None
        prior = park_json.decode(row["prior_reason"])  # a park note is kept whole; its text is read
        return Handling(
            revision_id=row["revision_id"],
            by=row["handled_by"],
            reason=row["reason"],
            at=from_db_time(row["handled_at"]),
            prior_status=row["prior_status"],
            prior_reason=prior.text if prior else row["prior_reason"],
            channex_ack=row["channex_ack"],
            ack_detail=row["ack_detail"],
            ack_at=_time(row["ack_at"]),
        )

    async def list_by_status(
        self, statuses: Collection[QueueStatus], limit: int = 100
    ) -> list[RevisionRow]:
        wanted = list(statuses)
        rows = await self._db.fetchall(
            "SELECT * FROM revisions"  # noqa: S608
            f" WHERE status IN ({', '.join('?' * len(wanted))})"
            " ORDER BY received_at, revision_id LIMIT ?",
            (*wanted, limit),
        )
        return [_row(row) for row in rows]

    async def search(self, text: str, *, limit: int = 50) -> list[RevisionRow]:
        needle = text.strip()
        if not needle:
            return []
        like = "%" + needle.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
        rows = await self._db.fetchall(_SEARCH, (needle, needle, *([like] * 5), limit))
        return [_row(row) for row in rows]

    async def oldest_unacked(self) -> datetime | None:
        row = await self._db.fetchone(
            "SELECT min(received_at) FROM revisions"
            " WHERE status NOT IN ('acked', 'stale', 'handled', 'unknown')"
        )
        return None if row is None else _time(row[0])

    async def counts(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT status, count(*) FROM revisions GROUP BY status")
        found = {str(row[0]): int(row[1]) for row in rows}
        return {status: found.get(status, 0) for status in STATUSES}
