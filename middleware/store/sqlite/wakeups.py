"""SQLite implementation of `store.wakeups` (`Wakeups`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from middleware.store.sqlite.db import Database, Row
from middleware.store.stamps import from_db_time, to_db_time
from middleware.store.wakeups import WORKS, Wakeup, Work


def _time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def _work(text: str) -> Work:
    return next(w for w in WORKS if w == text)


def _row(row: Row) -> Wakeup:
    return Wakeup(
        id=row["wakeup_id"],
        work=_work(row["work"]),
        asked_by=row["asked_by"],
        asked_at=from_db_time(row["asked_at"]),
        taken_until=_time(row["taken_until"]),
        done_at=_time(row["done_at"]),
        result=row["result"],
        subject=row["subject"],
    )


class SqliteWakeups:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ask(self, work: Work, *, by: str, now: datetime, subject: str | None = None) -> int:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO wakeups (work, asked_by, asked_at, subject) VALUES (?, ?, ?, ?)",
                (work, by, to_db_time(now), subject),
            )
            return int(cursor.lastrowid or 0)

    async def claim(self, work: Work, now: datetime, *, lease_s: float) -> list[int]:
        stamp = to_db_time(now)
        probe = await self._db.fetchone(
            "SELECT 1 FROM wakeups WHERE work = ? AND done_at IS NULL"
            " AND (taken_until IS NULL OR taken_until < ?) LIMIT 1",
            (work, stamp),
        )
        if probe is None:  # the usual case: no write transaction for nothing
            return []
        until = to_db_time(now + timedelta(seconds=lease_s))
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE wakeups SET taken_until = ? WHERE work = ? AND done_at IS NULL"
                " AND (taken_until IS NULL OR taken_until < ?) RETURNING wakeup_id",
                (until, work, stamp),
            )
            return sorted(int(row[0]) for row in await cursor.fetchall())

    async def finish(self, ids: list[int], now: datetime, *, result: str) -> None:
        await self._db.executemany(
            "UPDATE wakeups SET done_at = ?, taken_until = NULL, result = ? WHERE wakeup_id = ?",
            [(to_db_time(now), result, wakeup_id) for wakeup_id in ids],
        )

    async def get(self, wakeup_id: int) -> Wakeup | None:
        row = await self._db.fetchone("SELECT * FROM wakeups WHERE wakeup_id = ?", (wakeup_id,))
        return None if row is None else _row(row)

    async def latest(self, work: Work, subject: str, *, done: bool = False) -> Wakeup | None:
        row = await self._db.fetchone(
            "SELECT * FROM wakeups WHERE work = ? AND subject = ?"
            " AND (? = 0 OR done_at IS NOT NULL) ORDER BY wakeup_id DESC LIMIT 1",
            (work, subject, int(done)),
        )
        return None if row is None else _row(row)
