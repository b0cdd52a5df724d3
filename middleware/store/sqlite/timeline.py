"""SQLite implementation of `store.timeline` (`Timeline`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from middleware.store import park_json
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time
from middleware.store.timeline import RevisionLine

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


class SqliteTimeline:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent_booking_ids(self, *, limit: int = 20) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT booking_id, max(received_at) AS latest FROM revisions"
            " WHERE booking_id IS NOT NULL GROUP BY booking_id ORDER BY latest DESC LIMIT ?",
            (limit,),
        )
        return [str(row["booking_id"]) for row in rows]

    async def revisions_of(self, booking_ids: Collection[str]) -> list[RevisionLine]:
        wanted = sorted(set(booking_ids))
        if not wanted:
            return []
        rows = await self._db.fetchall(
            "SELECT * FROM revisions"  # noqa: S608
            f" WHERE booking_id IN ({', '.join('?' * len(wanted))}) ORDER BY received_at,"
            " revision_id",
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
        self, revision_ids: Collection[str]
    ) -> dict[str, list[tuple[datetime, str]]]:
        wanted = sorted(set(revision_ids))
        if not wanted:
            return {}
        rows = await self._db.fetchall(
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

    async def handled_owing_ack(self, *, limit: int = 100) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT h.revision_id FROM revision_handling h JOIN revisions r USING (revision_id)"
            " WHERE r.status = 'handled' AND h.channex_ack IN ('failed', 'pending')"
            " ORDER BY h.handled_at, h.revision_id LIMIT ?",
            (limit,),
        )
        return [str(row["revision_id"]) for row in rows]

    async def fingerprint(self) -> str:
        row = await self._db.fetchone(FINGERPRINT_SQL)
        return "|".join("" if value is None else str(value) for value in (row or ()))
