"""SQLite only: its tables, its transactions, its files.

Go-live records: written once per property, with the full sync in one transaction; an.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from middleware.domain.models import CellKey, Cells, Lane
from middleware.store import live
from middleware.store.sqlite.db import SCHEMA_VERSION
from middleware.store.sqlite.store import SqliteStore
from tests.store.sqlite.test_db import undo_version_5

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


CELL: Cells = {CellKey("rt-lvu", date(2026, 12, 1)): {"availability": 3}}


async def test_a_property_goes_live_once_and_keeps_its_first_record(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "m.db")
    try:
        assert await store.live.live_properties() == {}
        first = await store.live.go_live(["p1"], T0, by="alice", source="sync_full")
        later = T0 + timedelta(hours=1)
        second = await store.live.go_live(["p1", "p2"], later, by="bob", source="cli_sync_full")
        assert await store.live.live_properties() == {
            "p1": live.LiveProperty(property_id="p1", since=T0, by="alice"),
            "p2": live.LiveProperty(property_id="p2", since=later, by="bob"),
        }
        requests = await store.sync_requests.claim_due(later, lease_s=60)
        assert [(r.id, r.source, r.full_sync) for r in requests] == [
            (first, "sync_full", True),
            (second, "cli_sync_full", True),
        ]
    finally:
        await store.close()


async def test_put_live_records_no_sync_request(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "m.db")
    try:
        await store.live.put_live(["p1"], T0, by="test harness")
        assert list(await store.live.live_properties()) == ["p1"]
        assert (await store.live.is_live("p1"), await store.live.is_live("p2")) == (True, False)
        assert await store.sync_requests.pending_count() == 0
    finally:
        await store.close()


async def test_upgrading_keeps_pushing_properties_live_and_drops_the_others_rows(
    tmp_path: Path,
) -> None:
    """A version-2 database: p1 has pushed (since T0), p2 only has changes waiting. After the
    upgrade p1 is live since its first push and keeps its waiting rows; p2 is not live and its
    rows are gone (its go-live full sync sends the whole horizon)."""
    path = tmp_path / "old.db"
    store = await SqliteStore.open(path)
    for property_id in ("p1", "p2"):
        await store.outbox.enqueue(Lane(property_id, "availability"), CELL, T0)
    claim = await store.outbox.claim(Lane("p1", "availability"), T0, lease_s=60)
    assert claim is not None
    await store.outbox.release(claim, T0)
    await store.db.execute("DROP TABLE live_properties")
    await undo_version_5(store.db)
    await store.db.execute("PRAGMA user_version = 2")
    await store.close()
    reopened = await SqliteStore.open(path)
    try:
        assert await reopened.live.live_properties() == {
            "p1": live.LiveProperty(
                property_id="p1",
                since=T0,
                by="pushing before go-live was recorded (upgrade)",
            )
        }
        backlog = await reopened.outbox.backlog(T0)
        assert [(b.lane, b.pending) for b in backlog] == [(Lane("p1", "availability"), 1)]
    finally:
        await reopened.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        conn.close()
