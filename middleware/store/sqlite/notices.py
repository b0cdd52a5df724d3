"""SQLite implementation of `store.notices` (`Notices`)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from middleware.store.notices import Notice
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time, to_db_time


async def insert(
    conn: aiosqlite.Connection,
    kind: str,
    detail: str,
    now: datetime,
    *,
    property_id: str | None = None,
    ref: str | None = None,
) -> int:
    """Add a notice inside the caller's transaction (an open notice with the same kind and ref
    is refreshed rather than repeated)."""
    if ref is not None:
        cursor = await conn.execute(
            "UPDATE notices SET at = ?, detail = ?"
            " WHERE kind = ? AND ref = ? AND resolved_at IS NULL",
            (to_db_time(now), detail, kind, ref),
        )
        if cursor.rowcount:
            return 0
    cursor = await conn.execute(
        "INSERT INTO notices (at, kind, property_id, ref, detail) VALUES (?, ?, ?, ?, ?)",
        (to_db_time(now), kind, property_id, ref, detail),
    )
    return int(cursor.lastrowid or 0)


class SqliteNotices:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        kind: str,
        detail: str,
        now: datetime,
        *,
        property_id: str | None = None,
        ref: str | None = None,
    ) -> int:
        async with self._db.transaction() as conn:
            return await insert(conn, kind, detail, now, property_id=property_id, ref=ref)

    async def resolve(self, now: datetime, *, kind: str, ref: str | None = None) -> int:
        sql = "UPDATE notices SET resolved_at = ? WHERE kind = ? AND resolved_at IS NULL"
        params: list[object] = [to_db_time(now), kind]
        if ref is not None:
            sql += " AND ref = ?"
            params.append(ref)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def open_notices(self, *, limit: int = 100) -> list[Notice]:
        rows = await self._db.fetchall(
            "SELECT * FROM notices WHERE resolved_at IS NULL ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            Notice(
                id=row["id"],
                at=from_db_time(row["at"]),
                kind=row["kind"],
                property_id=row["property_id"],
                ref=row["ref"],
                detail=row["detail"],
            )
            for row in rows
        ]
