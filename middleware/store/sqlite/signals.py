"""SQLite implementation of `store.signals` (`Signals`): the web and the worker are two
processes on one file (the Procfile deployment), and the worker learns of what the web stored
by watching `PRAGMA data_version`.

Every `poll_s` the watch reads `data_version` on the process's own connection (no write, no
page read: SQLite compares a counter in the WAL index). It changes only when ANOTHER
connection has committed — never for this process's own writes, so the worker's passes do not
wake the worker. On a change, one read of the newest id of each kind (the right edge of three
b-trees) tells which kinds grew; those are yielded. A revision put back to pending by an
update (Channex's non-acked warning) adds no row: the poll finds it. At start nothing is
yielded but the empty set that says the watch is in place; after a failed read the watch logs
once, keeps trying, and on its return yields every kind.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator

import structlog

from middleware.store.signals import KINDS, Kind
from middleware.store.sqlite.db import Database

POLL_S = 0.025

NEWEST = (
    "SELECT (SELECT max(rowid) FROM revisions) AS revisions,"
    " (SELECT max(id) FROM sync_requests) AS sync_requests,"
    " (SELECT max(wakeup_id) FROM wakeups) AS wakeups"
)

log = structlog.get_logger(__name__)


class SqliteSignals:
    def __init__(self, db: Database, *, poll_s: float = POLL_S) -> None:
        self._db = db
        self.poll_s = poll_s

    async def _version(self) -> int:
        row = await self._db.fetchone("PRAGMA data_version")
        return 0 if row is None else int(row[0])

    async def _newest(self) -> dict[Kind, int]:
        row = await self._db.fetchone(NEWEST)
        return {kind: 0 if row is None else int(row[kind] or 0) for kind in KINDS}

    async def watch(self) -> AsyncIterator[frozenset[Kind]]:
        version: int | None = None
        newest: dict[Kind, int] = {}
        failing = False
        in_place = False  # the first item (an empty set) was yielded
        while True:
            grew: frozenset[Kind] | None = None
            try:
                seen = await self._version()
                if seen != version:
                    # the version first: a commit between the two reads is yielded now and
                    # read again at the next change, never missed
                    found = await self._newest()
                    grew = frozenset(k for k in KINDS if found[k] != newest.get(k, found[k]))
                    version, newest = seen, found
                if failing:
                    failing = False
                    log.info("store_signals_back")
                    grew = KINDS
            except sqlite3.Error as exc:
                if not failing:
                    failing = True
                    log.warning("store_signals_failed", error=str(exc))
            if grew is not None and (grew or not in_place):
                in_place = True
                yield grew
            await asyncio.sleep(self.poll_s)
