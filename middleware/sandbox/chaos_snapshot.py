"""What the middleware's database says, read from outside (read-only) for the chaos oracle.

The store is opened as `python -m middleware check` opens it (`store.open.open_store_read_only`
with the run's settings: the SQLite file, or PostgreSQL's read-only sessions), so the same
reading serves both backends. The middleware's own store operations are the code under test,
so the oracle does not ask them: it reads the tables with its own plain SQL (written once, valid
on both backends) on the store's connection, and never blocks or changes what the processes do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from middleware.config import Settings
from middleware.store.open import open_store_read_only
from middleware.store.port import Store
from middleware.store.postgres.store import PostgresStore
from middleware.store.sqlite.store import SqliteStore


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
    sync_requests_open: int  # pending or running, the workers' periodic PMS polls aside
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


async def _rows(store: Store, sql: str) -> list[Any]:
    """The rows of `sql` (no parameters) on either backend, each readable by column name."""
    if isinstance(store, SqliteStore | PostgresStore):
        return list(await store.db.fetchall(sql))
    raise TypeError(f"no backend for {store!r}")


async def _count(store: Store, sql: str) -> int:
    rows = await _rows(store, sql)
    return int(rows[0]["n"]) if rows else 0


async def read_snapshot(settings: Settings) -> MiddlewareSnapshot:
    """The snapshot of the store `settings` name (opened read-only for this one reading)."""
    store = await open_store_read_only(settings)
    try:
        return await _read(store)
    finally:
        await store.close()


async def _read(store: Store) -> MiddlewareSnapshot:
    revisions = {
        row["revision_id"]: RevisionRecord(
            status=row["status"], reason=row["reason"], booking_id=row["booking_id"]
        )
        for row in await _rows(
            store, "SELECT revision_id, status, reason, booking_id FROM revisions"
        )
    }
    refs = frozenset(
        row["ref"]
        for row in await _rows(
            store, "SELECT ref FROM notices WHERE resolved_at IS NULL AND ref IS NOT NULL"
        )
    )
    dead = tuple(
        DeadCell(
            kind=row["kind"],
            entity_id=row["entity_id"],
            day=str(row["day"]),  # PostgreSQL: a date; SQLite: its ISO text
            field=row["field"],
            last_error=row["last_error"],
        )
        for row in await _rows(
            store,
            "SELECT kind, entity_id, day, field, last_error FROM outbox WHERE status = 'dead'",
        )
    )
    return MiddlewareSnapshot(
        revisions=revisions,
        open_notice_refs=refs,
        outbox_pending=await _count(
            store, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'"
        ),
        dead_cells=dead,
        sync_requests_open=await _count(
            store,
            # Each worker asks for a PMS poll every PMS_POLL_INTERVAL: with several workers
            # one is nearly always open, and it is no work left (a change it finds is queued
            # in the outbox, which counts).
            "SELECT COUNT(*) AS n FROM sync_requests"
            " WHERE status IN ('pending', 'running') AND source != 'poll'",
        ),
        pushes={
            row["status"]: int(row["n"])
            for row in await _rows(
                store, "SELECT status, COUNT(*) AS n FROM pushes GROUP BY status"
            )
        },
        full_syncs=await _count(store, "SELECT COUNT(*) AS n FROM sync_requests WHERE full_sync"),
        read_backs_asked=await _count(store, "SELECT COUNT(*) AS n FROM parity_requests"),
    )
