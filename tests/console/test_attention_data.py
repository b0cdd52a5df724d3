"""A parked revision on the Attention page speaks `domain.attention`: its park note's words, or
for a row parked before notes existed (`legacy`) its plain reason as the explanation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.console.attention_data import park_words
from middleware.domain.attention import Attention, BookingFacts, ParkNote, ParkReason
from middleware.store import revisions
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.store import SqliteStore

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def parked_row(store: SqliteStore, note: ParkNote | None) -> revisions.RevisionRow:
    async with store.db.transaction() as conn:
        await sqlite_revisions.enqueue(
            conn, revision_id="r1", booking_id="bk", property_id="p", source="webhook", now=T0
        )
    await store.revisions.park("r1", "sistema-os said 409: no twin free", T0, note=note)
    row = await store.revisions.get("r1")
    assert row is not None
    return row


async def test_a_park_note_reads_in_hotel_words(store: SqliteStore) -> None:
    note = ParkNote(
        reason=ParkReason.PMS_NO_VACANCY,
        text="sistema-os said 409: no twin free",
        details={"pms_detail": "no twin free"},
        facts=BookingFacts(),
    )
    assert park_words(await parked_row(store, note)) == Attention(
        title="No free room in sistema-os",
        explanation="sistema-os has no free apartment of this room type for these nights"
        " (overbooking), so the booking could not be created. sistema-os said: no twin free",
        next_step="Free a room in sistema-os for these nights (move or cancel another booking),"
        " then replay the booking (python -m middleware replay REVISION_ID). If the guest"
        " cannot be hosted, arrange it with the OTA and mark it handled.",
    )


async def test_a_legacy_row_explains_itself_with_its_plain_reason(store: SqliteStore) -> None:
    assert park_words(await parked_row(store, None)) == Attention(
        title="Needs attention",
        explanation="sistema-os said 409: no twin free",
        next_step="Fix the cause the reason names, then replay the booking (python -m"
        " middleware replay REVISION_ID). Or enter the booking in sistema-os by hand and mark"
        " it handled.",
    )
