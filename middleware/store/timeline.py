"""Reads behind the console's booking pages: recent bookings with their revisions, when each
revision's webhook arrived, the revisions closed by hand whose Channex ack is still owed, and a
cheap fingerprint of everything the pages show (the live refresh compares it)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from middleware.domain.attention import ParkNote
from middleware.store import park_json
from middleware.store.db import Database, from_db_time


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionLine:
    revision_id: str
    booking_id: str | None
    property_id: str | None
    status: str
    revision_status: str | None
    received_at: datetime
    updated_at: datetime
    reason: str | None  # plain text (a park note's technical text)
    park: ParkNote | None = None  # why it was parked, in hotel words


async def recent_booking_ids(db: Database, *, limit: int = 20) -> list[str]:
    """Bookings whose latest revision arrived most recently, newest first."""
    rows = await db.fetchall(
        "SELECT booking_id, max(received_at) AS latest FROM revisions"
        " WHERE booking_id IS NOT NULL GROUP BY booking_id ORDER BY latest DESC LIMIT ?",
        (limit,),
    )
    return [str(row["booking_id"]) for row in rows]


async def revisions_of(db: Database, booking_ids: Collection[str]) -> list[RevisionLine]:
    """Every revision of these bookings, oldest first."""
    wanted = sorted(set(booking_ids))
    if not wanted:
        return []
    rows = await db.fetchall(
        "SELECT * FROM revisions"  # noqa: S608
        f" WHERE booking_id IN ({', '.join('?' * len(wanted))}) ORDER BY received_at, revision_id",
        wanted,
    )
    lines = []
    for row in rows:
        note = park_json.decode(row["reason"])
        lines.append(
            RevisionLine(
                revision_id=row["revision_id"],
                booking_id=row["booking_id"],
                property_id=row["property_id"],
                status=row["status"],
                revision_status=row["revision_status"],
                received_at=from_db_time(row["received_at"]),
                updated_at=from_db_time(row["updated_at"]),
                reason=note.text if note else row["reason"],
                park=note,
            )
        )
    return lines


async def webhooks_of(
    db: Database, revision_ids: Collection[str]
) -> dict[str, list[tuple[datetime, str]]]:
    """(received at, event) of the webhooks naming each revision, oldest first."""
    wanted = sorted(set(revision_ids))
    if not wanted:
        return {}
    rows = await db.fetchall(
        "SELECT revision_id, received_at, event FROM webhook_events"  # noqa: S608
        f" WHERE revision_id IN ({', '.join('?' * len(wanted))}) ORDER BY id",
        wanted,
    )
    found: dict[str, list[tuple[datetime, str]]] = {}
    for row in rows:
        found.setdefault(row["revision_id"], []).append(
            (from_db_time(row["received_at"]), str(row["event"]))
        )
    return found


async def handled_owing_ack(db: Database, *, limit: int = 100) -> list[str]:
    """Revisions closed by hand whose ack Channex has not taken (it failed, or the process
    stopped before sending it), oldest first: Channex's non-ack alarm still rings for them."""
    rows = await db.fetchall(
        "SELECT h.revision_id FROM revision_handling h JOIN revisions r USING (revision_id)"
        " WHERE r.status = 'handled' AND h.channex_ack IN ('failed', 'pending')"
        " ORDER BY h.handled_at, h.revision_id LIMIT ?",
        (limit,),
    )
    return [str(row["revision_id"]) for row in rows]


FINGERPRINT_SQL = """
SELECT (SELECT max(id) FROM http_calls), (SELECT max(id) FROM webhook_events),
       (SELECT max(updated_at) FROM revisions), (SELECT count(*) FROM outbox),
       (SELECT max(updated_at) FROM outbox), (SELECT max(id) || status FROM pushes
        WHERE id = (SELECT max(id) FROM pushes)),
       (SELECT max(id) FROM notices), (SELECT count(*) FROM notices WHERE resolved_at IS NULL),
       (SELECT max(pushed_at) FROM ari_state),
       (SELECT max(coalesce(ack_at, handled_at)) FROM revision_handling),
       (SELECT max(done_at) FROM wakeups)
"""


async def fingerprint(db: Database) -> str:
    """Changes whenever a call, webhook, revision, queued change, push, notice, the Channex
    ack of a revision closed by hand or work the worker was asked for (a read-back) does."""
    row = await db.fetchone(FINGERPRINT_SQL)
    return "|".join("" if value is None else str(value) for value in (row or ()))
