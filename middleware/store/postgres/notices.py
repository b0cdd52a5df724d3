"""Notices on PostgreSQL (`store/notices.py`'s operations): problems a person must see."""

from __future__ import annotations

from datetime import datetime

from middleware.store.notices import Notice
from middleware.store.postgres.database import Conn, PostgresDatabase


async def insert(
    conn: Conn,
    kind: str,
    detail: str,
    moment: datetime,
    *,
    property_id: str | None = None,
    ref: str | None = None,
) -> int:
    """Add a notice inside the caller's transaction (an open notice with the same kind and
    ref is refreshed rather than repeated: 0 returned)."""
    if ref is not None:
        cursor = await conn.execute(
            "UPDATE notices SET at = %s, detail = %s"
            " WHERE kind = %s AND ref = %s AND resolved_at IS NULL",
            (moment, detail, kind, ref),
        )
        if cursor.rowcount:
            return 0
    cursor = await conn.execute(
        "INSERT INTO notices (at, kind, property_id, ref, detail) VALUES (%s, %s, %s, %s, %s)"
        " RETURNING id",
        (moment, kind, property_id, ref, detail),
    )
    return int((await cursor.fetchall())[0]["id"])


class PostgresNotices:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def add(
        self,
        kind: str,
        detail: str,
        now: datetime,
        *,
        property_id: str | None = None,
        ref: str | None = None,
    ) -> int:
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            return await insert(conn, kind, detail, moment, property_id=property_id, ref=ref)

    async def resolve(self, now: datetime, *, kind: str, ref: str | None = None) -> int:
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "UPDATE notices SET resolved_at = %s WHERE kind = %s AND resolved_at IS NULL"
                " AND (%s::text IS NULL OR ref = %s)",
                (moment, kind, ref, ref),
            )
            count: int = cursor.rowcount
            return count

    async def open_notices(self, *, limit: int = 100) -> list[Notice]:
        rows = await self.db.fetchall(
            "SELECT * FROM notices WHERE resolved_at IS NULL ORDER BY id DESC LIMIT %s", (limit,)
        )
        return [
            Notice(
                id=row["id"],
                at=row["at"],
                kind=row["kind"],
                property_id=row["property_id"],
                ref=row["ref"],
                detail=row["detail"],
            )
            for row in rows
        ]
