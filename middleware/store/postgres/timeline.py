"""Reads behind the console's booking pages, on PostgreSQL (`store/timeline.py`'s
operations and results)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from middleware.store import park_json
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.timeline import RevisionLine

FINGERPRINT_SQL = """
SELECT (SELECT max(id) FROM http_calls) AS a, (SELECT max(id) FROM webhook_events) AS b,
       (SELECT max(updated_at) FROM revisions) AS c, (SELECT count(*) FROM outbox) AS d,
       (SELECT max(updated_at) FROM outbox) AS e,
       (SELECT id::text || status FROM pushes WHERE id = (SELECT max(id) FROM pushes)) AS f,
       (SELECT max(id) FROM notices) AS g,
       (SELECT count(*) FROM notices WHERE resolved_at IS NULL) AS h,
       (SELECT max(pushed_at) FROM ari_state) AS i,
       (SELECT max(coalesce(ack_at, handled_at)) FROM revision_handling) AS j
"""


class PostgresTimeline:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def recent_booking_ids(self, *, limit: int = 20) -> list[str]:
        """Bookings whose latest revision arrived most recently, newest first."""
        rows = await self.db.fetchall(
            "SELECT booking_id, max(received_at) AS latest FROM revisions"
            " WHERE booking_id IS NOT NULL GROUP BY booking_id ORDER BY latest DESC LIMIT %s",
            (limit,),
        )
        return [str(row["booking_id"]) for row in rows]

    async def revisions_of(self, booking_ids: Collection[str]) -> list[RevisionLine]:
        """Every revision of these bookings, oldest first."""
        wanted = sorted(set(booking_ids))
        if not wanted:
            return []
        rows = await self.db.fetchall(
            "SELECT * FROM revisions WHERE booking_id = ANY(%s)"
            ' ORDER BY received_at, revision_id COLLATE "C"',
            (wanted,),
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
                    received_at=row["received_at"],
                    updated_at=row["updated_at"],
                    reason=note.text if note else row["reason"],
                    park=note,
                )
            )
        return lines

    async def webhooks_of(
        self, revision_ids: Collection[str]
    ) -> dict[str, list[tuple[datetime, str]]]:
        """(received at, event) of the webhooks naming each revision, oldest first."""
        wanted = sorted(set(revision_ids))
        if not wanted:
            return {}
        rows = await self.db.fetchall(
            "SELECT revision_id, received_at, event FROM webhook_events"
            " WHERE revision_id = ANY(%s) ORDER BY id",
            (wanted,),
        )
        found: dict[str, list[tuple[datetime, str]]] = {}
        for row in rows:
            found.setdefault(row["revision_id"], []).append((row["received_at"], str(row["event"])))
        return found

    async def handled_owing_ack(self, *, limit: int = 100) -> list[str]:
        """Revisions closed by hand whose ack Channex has not taken, oldest first."""
        rows = await self.db.fetchall(
            "SELECT h.revision_id FROM revision_handling h JOIN revisions r USING (revision_id)"
            " WHERE r.status = 'handled' AND h.channex_ack IN ('failed', 'pending')"
            ' ORDER BY h.handled_at, h.revision_id COLLATE "C" LIMIT %s',
            (limit,),
        )
        return [str(row["revision_id"]) for row in rows]

    async def fingerprint(self) -> str:
        """Changes whenever a call, webhook, revision, queued change, push, notice or the
        Channex ack of a revision closed by hand does (its text is PostgreSQL's own, not
        SQLite's: only its changes mean anything)."""
        row = await self.db.fetchone(FINGERPRINT_SQL)
        return "|".join("" if value is None else str(value) for value in (row or {}).values())
