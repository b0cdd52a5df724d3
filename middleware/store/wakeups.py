"""Wake-ups: work a person asked for now, recorded by the web, run by the worker.

The web process does no booking processing, feed reading or parity pass of its own: the admin
routes record what was asked (`ask`: the work, who asked, when) and answer at once. The
worker's `wakeups` loop takes every open wake-up of a kind together (`claim`: atomic, with a
lease, so two workers never run the same one and a worker that died mid-way leaves it to be
taken again once the lease runs out), runs that work once for all of them and records its
result (`finish`). `get` is what `GET /admin/wakeups/{id}` answers with.

Some work is about one thing (`subject`: the revision whose ack is owed, the calendar month to
read back): the worker runs it once per subject, and `latest` finds the newest ask about one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from middleware.store.db import Database, Row, from_db_time, to_db_time

# in the order a worker runs them: what the feed finds, the booking pass asked with it applies
Work = Literal[
    "poll_feed", "process_bookings", "parity_check", "ack_handled", "read_back", "read_catalog"
]
# the work that is about one thing, run once per subject
BY_SUBJECT: tuple[Work, ...] = ("ack_handled", "read_back")
WORKS: tuple[Work, ...] = get_args(Work)


@dataclass(frozen=True, slots=True, kw_only=True)
class Wakeup:
    id: int
    work: Work
    asked_by: str
    asked_at: datetime
    taken_until: datetime | None
    done_at: datetime | None
    result: str | None  # the work's report, JSON text
    subject: str | None = None  # what the work is about (`BY_SUBJECT`), else None


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


async def ask(
    db: Database, work: Work, *, by: str, now: datetime, subject: str | None = None
) -> int:
    """Record that `by` asked for `work` (about `subject`) now; returns the wake-up's id."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO wakeups (work, asked_by, asked_at, subject) VALUES (?, ?, ?, ?)",
            (work, by, to_db_time(now), subject),
        )
        return int(cursor.lastrowid or 0)


async def claim(db: Database, work: Work, now: datetime, *, lease_s: float) -> list[int]:
    """Take every open wake-up of `work` (not done, not held by a live lease); their ids."""
    stamp = to_db_time(now)
    probe = await db.fetchone(
        "SELECT 1 FROM wakeups WHERE work = ? AND done_at IS NULL"
        " AND (taken_until IS NULL OR taken_until < ?) LIMIT 1",
        (work, stamp),
    )
    if probe is None:  # the usual case: no write transaction for nothing
        return []
    until = to_db_time(now + timedelta(seconds=lease_s))
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE wakeups SET taken_until = ? WHERE work = ? AND done_at IS NULL"
            " AND (taken_until IS NULL OR taken_until < ?) RETURNING wakeup_id",
            (until, work, stamp),
        )
        return sorted(int(row[0]) for row in await cursor.fetchall())


async def finish(db: Database, ids: list[int], now: datetime, *, result: str) -> None:
    """The work those wake-ups asked for ran: record when and what it found."""
    await db.executemany(
        "UPDATE wakeups SET done_at = ?, taken_until = NULL, result = ? WHERE wakeup_id = ?",
        [(to_db_time(now), result, wakeup_id) for wakeup_id in ids],
    )


async def get(db: Database, wakeup_id: int) -> Wakeup | None:
    row = await db.fetchone("SELECT * FROM wakeups WHERE wakeup_id = ?", (wakeup_id,))
    return None if row is None else _row(row)


async def latest(db: Database, work: Work, subject: str, *, done: bool = False) -> Wakeup | None:
    """The newest wake-up of `work` about `subject` (`done`: the newest one finished)."""
    row = await db.fetchone(
        "SELECT * FROM wakeups WHERE work = ? AND subject = ? AND (? = 0 OR done_at IS NOT NULL)"
        " ORDER BY wakeup_id DESC LIMIT 1",
        (work, subject, int(done)),
    )
    return None if row is None else _row(row)
