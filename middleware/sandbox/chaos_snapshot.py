"""What the middleware's database says, read from outside (read-only) for the chaos oracle.

The middleware's own store modules are the code under test, so the oracle reads the tables
with plain SQL through the standard library, on a read-only connection that never blocks or
changes what the processes do.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionRecord:
    status: str  # pending | applied | acked | stale | parked
    reason: str | None
    booking_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadCell:
    kind: str
    entity_id: str
    day: str
    field: str
    last_error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MiddlewareSnapshot:
    revisions: dict[str, RevisionRecord]
    open_notice_refs: frozenset[str]
    outbox_pending: int  # rows waiting to be pushed (claimed or not)
    dead_cells: tuple[DeadCell, ...]
    sync_requests_open: int  # pending or running
    pushes: dict[str, int]  # push status → count
    full_syncs: int = 0  # sync requests for a full sync, done or not
    read_backs_asked: int = 0  # parity read-backs an `ari` webhook asked for, not done yet

    @property
    def busy(self) -> list[str]:
        """What is still being worked on (empty = quiet)."""
        waiting = sum(1 for r in self.revisions.values() if r.status in ("pending", "applied"))
        parts = {
            "revisions": waiting,
            "outbox rows": self.outbox_pending,
            "sync requests": self.sync_requests_open,
            "read-backs asked for": self.read_backs_asked,
        }
        return [f"{count} {name}" for name, count in parts.items() if count]


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def read_snapshot(path: Path) -> MiddlewareSnapshot:
    with _connect(path) as conn:
        revisions = {
            row["revision_id"]: RevisionRecord(
                status=row["status"], reason=row["reason"], booking_id=row["booking_id"]
            )
            for row in conn.execute("SELECT revision_id, status, reason, booking_id FROM revisions")
        }
        refs = frozenset(
            row["ref"]
            for row in conn.execute(
                "SELECT ref FROM notices WHERE resolved_at IS NULL AND ref IS NOT NULL"
            )
        )
        dead = tuple(
            DeadCell(
                kind=row["kind"],
                entity_id=row["entity_id"],
                day=row["day"],
                field=row["field"],
                last_error=row["last_error"],
            )
            for row in conn.execute(
                "SELECT kind, entity_id, day, field, last_error FROM outbox WHERE status = 'dead'"
            )
        )
        return MiddlewareSnapshot(
            revisions=revisions,
            open_notice_refs=refs,
            outbox_pending=_count(conn, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"),
            dead_cells=dead,
            sync_requests_open=_count(
                conn, "SELECT COUNT(*) FROM sync_requests WHERE status IN ('pending', 'running')"
            ),
            pushes={
                row["status"]: row["n"]
                for row in conn.execute("SELECT status, COUNT(*) AS n FROM pushes GROUP BY status")
            },
            full_syncs=_count(conn, "SELECT COUNT(*) FROM sync_requests WHERE full_sync = 1"),
            read_backs_asked=_count(conn, "SELECT COUNT(*) FROM parity_requests"),
        )


def _count(conn: sqlite3.Connection, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0
