"""Sync requests: a request waits `due_in_s` for others to share its PMS read; once one is
due, every fresh pending request is claimed with it (one read), a retrying one keeps its
backoff."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from middleware.store import sync_requests
from middleware.store.db import Database

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
D = date.fromisoformat


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.db")
    yield database
    await database.close()


async def ask(db: Database, at: datetime, source: str, due_in_s: float = 0.0) -> int:
    return await sync_requests.request(
        db,
        source=source,
        now=at,
        room_codes=["lvu"],
        date_from=D("2026-12-10"),
        date_to=D("2026-12-12"),
        due_in_s=due_in_s,
    )


async def claimed(db: Database, at: datetime) -> list[tuple[int, str]]:
    return [(r.id, r.source) for r in await sync_requests.claim_due(db, at, lease_s=60)]


async def test_a_delayed_request_is_not_due_before_its_time(db: Database) -> None:
    booking = await ask(db, T0, "booking", due_in_s=1.0)
    assert await claimed(db, T0 + timedelta(seconds=0.999)) == []
    assert await claimed(db, T0 + timedelta(seconds=1)) == [(booking, "booking")]


async def test_a_due_request_takes_every_fresh_pending_one_into_its_read(db: Database) -> None:
    booking = await ask(db, T0, "booking", due_in_s=1.0)
    notice = await ask(db, T0 + timedelta(seconds=0.5), "pms_webhook", due_in_s=1.0)
    assert await claimed(db, T0 + timedelta(seconds=1)) == [
        (booking, "booking"),
        (notice, "pms_webhook"),
    ]
    assert await claimed(db, T0 + timedelta(seconds=2)) == []


async def test_a_request_in_retry_backoff_is_not_taken_early(db: Database) -> None:
    failed = await ask(db, T0, "pms_webhook")
    assert await claimed(db, T0) == [(failed, "pms_webhook")]
    await sync_requests.retry_later(
        db, [failed], T0, retry_at=T0 + timedelta(seconds=30), error="pms down"
    )
    fresh = await ask(db, T0 + timedelta(seconds=1), "sync_incremental")
    assert await claimed(db, T0 + timedelta(seconds=1)) == [(fresh, "sync_incremental")]
    assert await claimed(db, T0 + timedelta(seconds=30)) == [(failed, "pms_webhook")]
