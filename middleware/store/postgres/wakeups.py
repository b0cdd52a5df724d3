"""Wake-ups on PostgreSQL (`store/wakeups.py`'s operations; read its docstring): work a
person asked for, recorded by any web process, run by one worker.

`claim` takes the open wake-ups of a kind with `FOR UPDATE SKIP LOCKED` and leases them
(`taken_until`): two workers never take one wake-up, and one a worker left behind when it died
is taken again once its lease runs out. Times follow the clock rule of `postgres/database.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from middleware.store.postgres import notify
from middleware.store.postgres.database import PostgresDatabase, Row
from middleware.store.wakeups import WORKS, Wakeup, Work


def _work(text: str) -> Work:
    return next(w for w in WORKS if w == text)


def _row(row: Row) -> Wakeup:
    return Wakeup(
        id=row["wakeup_id"],
        work=_work(row["work"]),
        subject=row["subject"],
        asked_by=row["asked_by"],
        asked_at=row["asked_at"],
        taken_until=row["taken_until"],
        done_at=row["done_at"],
        result=row["result"],
    )


class PostgresWakeups:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def ask(self, work: Work, *, by: str, now: datetime, subject: str | None = None) -> int:
        """Record that `by` asked for `work` (about `subject`) now; returns the wake-up's id."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO wakeups (work, asked_by, asked_at, subject) VALUES (%s, %s, %s, %s)"
                " RETURNING wakeup_id",
                (work, by, await self.db.moment(conn, now), subject),
            )
            await notify.signal(conn, "wakeups")
            return int((await cursor.fetchall())[0]["wakeup_id"])

    async def claim(self, work: Work, now: datetime, *, lease_s: float) -> list[int]:
        """Take every open wake-up of `work` (not done, not held by a live lease); their ids."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "UPDATE wakeups SET taken_until = %(until)s WHERE wakeup_id IN"
                " (SELECT wakeup_id FROM wakeups WHERE work = %(work)s AND done_at IS NULL"
                " AND (taken_until IS NULL OR taken_until < %(m)s) FOR UPDATE SKIP LOCKED)"
                " RETURNING wakeup_id",
                {"until": moment + timedelta(seconds=lease_s), "work": work, "m": moment},
            )
            return sorted(int(row["wakeup_id"]) for row in await cursor.fetchall())

    async def finish(self, ids: list[int], now: datetime, *, result: str) -> None:
        """The work those wake-ups asked for ran: record when and what it found."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE wakeups SET done_at = %s, taken_until = NULL, result = %s"
                " WHERE wakeup_id = ANY(%s)",
                (await self.db.moment(conn, now), result, ids),
            )

    async def get(self, wakeup_id: int) -> Wakeup | None:
        row = await self.db.fetchone("SELECT * FROM wakeups WHERE wakeup_id = %s", (wakeup_id,))
        return None if row is None else _row(row)

    async def latest(self, work: Work, subject: str, *, done: bool = False) -> Wakeup | None:
        """The last wake-up of `work` about `subject` (only finished ones with `done`)."""
        row = await self.db.fetchone(
            "SELECT * FROM wakeups WHERE work = %s AND subject = %s"
            " AND (NOT %s OR done_at IS NOT NULL) ORDER BY wakeup_id DESC LIMIT 1",
            (work, subject, done),
        )
        return None if row is None else _row(row)
