"""The booking-revision work queue on PostgreSQL (`store/revisions.py`'s operations and
results; read its docstring for a row's life).

Several web processes enqueue and several workers claim. Dedup is the primary key:
`INSERT ... ON CONFLICT DO NOTHING` — of two processes enqueuing one revision id at once, the
second waits for the first to commit and is told the id is known. Claims are leases taken
with `FOR UPDATE SKIP LOCKED`: rows another worker is claiming are passed over, never waited
for or taken twice; a lease that runs out (`claimed_until`) makes the row claimable again.
Times follow the clock rule of `postgres/database.py`; `next_attempt_at` of `retry_later`
and the `at` of a handling are the caller's, stored as given.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta

from middleware.domain.attention import ParkNote
from middleware.store import park_json
from middleware.store.postgres import notices, notify
from middleware.store.postgres.database import Conn, PostgresDatabase, Row
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

_ORDER = 'ORDER BY received_at, revision_id COLLATE "C"'
_CLAIMABLE = (
    "status IN ('pending', 'applied') AND (claimed_until IS NULL OR claimed_until <= %(m)s)"
)


def _row(row: Row) -> RevisionRow:
    note = park_json.decode(row["reason"])
    return RevisionRow(
        revision_id=row["revision_id"],
        booking_id=row["booking_id"],
        property_id=row["property_id"],
        source=row["source"],
        status=row["status"],
        revision_status=row["revision_status"],
        inserted_at=row["inserted_at"],
        received_at=row["received_at"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        reason=note.text if note else row["reason"],
        park=note,
    )


async def enqueue_batch(
    conn: Conn,
    items: Sequence[tuple[str, str | None, str | None]],
    *,
    source: str,
    moment: datetime,
) -> set[str]:
    """Queue `(revision_id, booking_id, property_id)` items inside the caller's transaction in
    one statement; returns the ids that were not known yet (a repeated id is new at most once)."""
    if not items:
        return set()
    ids, bookings, properties = (list(column) for column in zip(*items, strict=True))
    cursor = await conn.execute(
        "INSERT INTO revisions (revision_id, booking_id, property_id, source, status,"
        " received_at, next_attempt_at, updated_at)"
        " SELECT i, b, p, %(source)s, 'pending', %(m)s, %(m)s, %(m)s"
        " FROM unnest(%(ids)s::text[], %(bookings)s::text[], %(properties)s::text[]) AS t(i, b, p)"
        " ON CONFLICT (revision_id) DO NOTHING RETURNING revision_id",
        {"source": source, "m": moment, "ids": ids, "bookings": bookings, "properties": properties},
    )
    new = {str(row["revision_id"]) for row in await cursor.fetchall()}
    if new:
        await notify.signal(conn, "revisions")
    return new


async def mark_applied(conn: Conn, revision_id: str, moment: datetime) -> None:
    """In the caller's transaction (with the booking's new state): the PMS has it; ack next."""
    await conn.execute(
        "UPDATE revisions SET status = 'applied', reason = NULL, updated_at = %s"
        " WHERE revision_id = %s",
        (moment, revision_id),
    )


async def ack_again(conn: Conn, revision_id: str, moment: datetime) -> bool:
    """Channex says the revision is still unacknowledged: acked → applied, stale → pending
    (rules of `store/revisions.ack_again`). False if neither."""
    cursor = await conn.execute(
        "UPDATE revisions SET status = CASE status WHEN 'acked' THEN 'applied' ELSE 'pending'"
        " END, attempts = 0, next_attempt_at = %s, claimed_until = NULL, updated_at = %s"
        " WHERE revision_id = %s AND status IN ('acked', 'stale')",
        (moment, moment, revision_id),
    )
    if cursor.rowcount != 1:
        return False
    await notify.signal(conn, "revisions")
    return True


async def _resolve_notices(conn: Conn, revision_id: str, moment: datetime) -> None:
    await conn.execute(
        "UPDATE notices SET resolved_at = %s WHERE ref = %s AND resolved_at IS NULL"
        " AND kind = ANY(%s)",
        (moment, revision_id, list(NOTICE_KINDS)),
    )


_SEARCH = """
SELECT r.* FROM revisions r LEFT JOIN bookings b ON b.channex_booking_id = r.booking_id
WHERE r.revision_id = %(needle)s OR r.booking_id = %(needle)s
   OR b.ota_code ILIKE %(like)s ESCAPE '!'
   OR try_jsonb(r.reason) #>> '{facts,ota_code}' ILIKE %(like)s ESCAPE '!'
   OR try_jsonb(r.reason) #>> '{facts,guest}' ILIKE %(like)s ESCAPE '!'
   OR EXISTS (SELECT 1 FROM booking_rooms br WHERE br.channex_booking_id = r.booking_id
              AND (try_jsonb(br.applied) ->> 'guest_name' ILIKE %(like)s ESCAPE '!'
                   OR try_jsonb(br.applied) ->> 'ota_code' ILIKE %(like)s ESCAPE '!'))
ORDER BY r.received_at DESC, r.revision_id COLLATE "C" LIMIT %(limit)s
"""


class PostgresRevisions:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def enqueue(
        self,
        conn: Conn,
        *,
        revision_id: str,
        booking_id: str | None,
        property_id: str | None,
        source: str,
        now: datetime,
    ) -> bool:
        """Queue a revision inside the caller's transaction; True if it was not known yet."""
        moment = await self.db.moment(conn, now)
        new = await enqueue_batch(
            conn, [(revision_id, booking_id, property_id)], source=source, moment=moment
        )
        return bool(new)

    async def enqueue_batch(
        self,
        conn: Conn,
        items: Sequence[tuple[str, str | None, str | None]],
        *,
        source: str,
        now: datetime,
    ) -> set[str]:
        """Queue items inside the caller's transaction; the ids that were not known yet."""
        moment = await self.db.moment(conn, now)
        return await enqueue_batch(conn, items, source=source, moment=moment)

    async def enqueue_many(
        self,
        items: Iterable[tuple[str, str | None, str | None]],
        now: datetime,
        *,
        source: str,
    ) -> int:
        """Queue items in one transaction; returns how many were new."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            return len(await enqueue_batch(conn, list(items), source=source, moment=moment))

    async def get(self, revision_id: str) -> RevisionRow | None:
        row = await self.db.fetchone(
            "SELECT * FROM revisions WHERE revision_id = %s", (revision_id,)
        )
        return None if row is None else _row(row)

    async def _lease(
        self, now: datetime, where: str, params: dict[str, object], *, limit: int, lease_s: float
    ) -> list[RevisionRow]:
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                f"SELECT * FROM revisions WHERE {_CLAIMABLE} AND {where} {_ORDER}"  # noqa: S608
                " LIMIT %(limit)s FOR UPDATE SKIP LOCKED",
                {"m": moment, "limit": limit, **params},
            )
            rows = await cursor.fetchall()
            await conn.execute(
                "UPDATE revisions SET claimed_until = %s WHERE revision_id = ANY(%s)",
                (moment + timedelta(seconds=lease_s), [row["revision_id"] for row in rows]),
            )
        return [_row(row) for row in rows]

    async def claim_due(self, now: datetime, *, limit: int, lease_s: float) -> list[RevisionRow]:
        """Lease up to `limit` due rows (pending or applied-but-unacked), oldest first."""
        return await self._lease(now, "next_attempt_at <= %(m)s", {}, limit=limit, lease_s=lease_s)

    async def due_properties(self, now: datetime) -> list[str | None]:
        """The properties (None: not known yet) with a due row, the longest waiting first."""
        async with self.db.connection() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "SELECT property_id, min(received_at) AS oldest FROM revisions"  # noqa: S608
                f" WHERE {_CLAIMABLE} AND next_attempt_at <= %(m)s GROUP BY property_id"
                ' ORDER BY oldest, property_id COLLATE "C" NULLS FIRST',
                {"m": moment},
            )
            return [row["property_id"] for row in await cursor.fetchall()]

    async def claim_next(
        self, now: datetime, *, property_id: str | None, lease_s: float
    ) -> RevisionRow | None:
        """Lease the oldest due row of one property (None: of the rows whose property is not
        known yet); None when it has none."""
        rows = await self._lease(
            now,
            "next_attempt_at <= %(m)s AND property_id IS NOT DISTINCT FROM %(p)s",
            {"p": property_id},
            limit=1,
            lease_s=lease_s,
        )
        return rows[0] if rows else None

    async def claim_one(
        self, revision_id: str, now: datetime, *, lease_s: float
    ) -> RevisionRow | None:
        """Lease one row now, due or not; None if it is finished, parked or leased."""
        rows = await self._lease(
            now, "revision_id = %(r)s", {"r": revision_id}, limit=1, lease_s=lease_s
        )
        return rows[0] if rows else None

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
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE revisions SET booking_id = %s, property_id = %s, revision_status = %s,"
                " inserted_at = %s, updated_at = %s WHERE revision_id = %s",
                (
                    booking_id,
                    property_id,
                    revision_status,
                    inserted_at,
                    await self.db.moment(conn, now),
                    revision_id,
                ),
            )

    async def mark_applied(self, conn: Conn, revision_id: str, now: datetime) -> None:
        await mark_applied(conn, revision_id, await self.db.moment(conn, now))

    async def ack_again(self, conn: Conn, revision_id: str, now: datetime) -> bool:
        return await ack_again(conn, revision_id, await self.db.moment(conn, now))

    async def _finish(
        self, revision_id: str, status: QueueStatus, reason: str | None, now: datetime
    ) -> None:
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            await conn.execute(
                "UPDATE revisions SET status = %s, reason = %s, claimed_until = NULL,"
                " updated_at = %s WHERE revision_id = %s",
                (status, reason, moment, revision_id),
            )
            await _resolve_notices(conn, revision_id, moment)

    async def mark_acked(self, revision_id: str, now: datetime) -> None:
        await self._finish(revision_id, "acked", None, now)

    async def mark_stale(self, revision_id: str, now: datetime) -> None:
        await self._finish(revision_id, "stale", STALE_REASON, now)

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
        """Stop retrying until a person replays it; with `notice_kind`, raise a notice in the
        same transaction (rules of `store/revisions.park`)."""
        stored = park_json.encode(note) if note is not None else reason
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            await conn.execute(
                "UPDATE revisions SET status = 'parked', reason = %s, claimed_until = NULL,"
                " updated_at = %s WHERE revision_id = %s",
                (stored, moment, revision_id),
            )
            if notice_kind is not None:
                await notices.insert(
                    conn,
                    notice_kind,
                    notice_detail or reason,
                    moment,
                    property_id=property_id,
                    ref=revision_id,
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
        """Release the lease and come back at `next_attempt_at`; the status is kept."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE revisions SET attempts = %s, next_attempt_at = %s, reason = %s,"
                " claimed_until = NULL, updated_at = %s WHERE revision_id = %s",
                (attempts, next_attempt_at, reason, await self.db.moment(conn, now), revision_id),
            )

    async def replay(self, revision_id: str, now: datetime) -> bool:
        """Put a parked revision back in the queue, due now; False if it was not parked."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "UPDATE revisions SET status = 'pending', attempts = 0, next_attempt_at = %s,"
                " claimed_until = NULL, updated_at = %s"
                " WHERE revision_id = %s AND status = 'parked'",
                (moment, moment, revision_id),
            )
            return cursor.rowcount == 1

    async def mark_unknown(
        self, revision_id: str, reason: str, now: datetime, *, property_id: str | None = None
    ) -> None:
        """Channex does not know the id (404): final, with a notice a person can read."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            await conn.execute(
                "UPDATE revisions SET status = 'unknown', reason = %s, claimed_until = NULL,"
                " updated_at = %s WHERE revision_id = %s",
                (reason, moment, revision_id),
            )
            await _resolve_notices(conn, revision_id, moment)
            await notices.insert(
                conn, UNKNOWN_NOTICE, reason, moment, property_id=property_id, ref=revision_id
            )

    async def mark_handled(self, revision_id: str, *, by: str, reason: str, at: datetime) -> bool:
        """Close a `parked` (or `unknown`) revision the hotel dealt with by hand; False if it
        was neither (rules of `store/revisions.mark_handled`)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT status, reason FROM revisions WHERE revision_id = %s"
                " AND status IN ('parked', 'unknown') FOR UPDATE",
                (revision_id,),
            )
            row = await cursor.fetchone()
            if row is None:
                return False
            await conn.execute(
                "UPDATE revisions SET status = 'handled', claimed_until = NULL, updated_at = %s"
                " WHERE revision_id = %s",
                (at, revision_id),
            )
            ack = "not_needed" if row["status"] == "unknown" else "pending"
            await conn.execute(
                "INSERT INTO revision_handling (revision_id, handled_by, reason, handled_at,"
                " prior_status, prior_reason, channex_ack) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (revision_id) DO UPDATE SET handled_by = excluded.handled_by,"
                " reason = excluded.reason, handled_at = excluded.handled_at,"
                " prior_status = excluded.prior_status, prior_reason = excluded.prior_reason,"
                " channex_ack = excluded.channex_ack, ack_detail = NULL, ack_at = NULL",
                (revision_id, by, reason, at, row["status"], row["reason"], ack),
            )
            await _resolve_notices(conn, revision_id, at)
        return True

    async def record_handled_ack(
        self, revision_id: str, state: AckState, detail: str | None, at: datetime
    ) -> None:
        await self.db.execute(
            "UPDATE revision_handling SET channex_ack = %s, ack_detail = %s, ack_at = %s"
            " WHERE revision_id = %s",
            (state, detail, at, revision_id),
        )

    async def handling(self, revision_id: str) -> Handling | None:
        row = await self.db.fetchone(
            "SELECT * FROM revision_handling WHERE revision_id = %s", (revision_id,)
        )
        if row is None:
            return None
        prior = park_json.decode(row["prior_reason"])
        return Handling(
            revision_id=row["revision_id"],
            by=row["handled_by"],
            reason=row["reason"],
            at=row["handled_at"],
            prior_status=row["prior_status"],
            prior_reason=prior.text if prior else row["prior_reason"],
            channex_ack=row["channex_ack"],
            ack_detail=row["ack_detail"],
            ack_at=row["ack_at"],
        )

    async def list_by_status(
        self, statuses: Collection[QueueStatus], limit: int = 100
    ) -> list[RevisionRow]:
        rows = await self.db.fetchall(
            f"SELECT * FROM revisions WHERE status = ANY(%s) {_ORDER} LIMIT %s",  # noqa: S608
            (list(statuses), limit),
        )
        return [_row(row) for row in rows]

    async def search(self, text: str, *, limit: int = 50) -> list[RevisionRow]:
        """Revisions whose OTA code or guest name contains `text` (case-insensitive), or whose
        revision or booking id is `text`; newest first."""
        needle = text.strip()
        if not needle:
            return []
        like = "%" + needle.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
        rows = await self.db.fetchall(_SEARCH, {"needle": needle, "like": like, "limit": limit})
        return [_row(row) for row in rows]

    async def oldest_unacked(self) -> datetime | None:
        """When the oldest revision still owed an ack at Channex arrived (for /health)."""
        row = await self.db.fetchone(
            "SELECT min(received_at) AS oldest FROM revisions"
            " WHERE status NOT IN ('acked', 'stale', 'handled', 'unknown')"
        )
        return None if row is None else row["oldest"]

    async def counts(self) -> dict[str, int]:
        """Rows per status, every status present (0 when none)."""
        rows = await self.db.fetchall("SELECT status, count(*) AS n FROM revisions GROUP BY status")
        found = {str(row["status"]): int(row["n"]) for row in rows}
        return {status: found.get(status, 0) for status in STATUSES}
