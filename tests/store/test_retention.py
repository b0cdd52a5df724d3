"""Retention of finished bookings: a booking long departed with every revision done leaves a
tombstone and no row; a booking with any work left (parked, pending, unacked, leased, a create
in flight, an ack owed, an open notice) or with a stay or a change too recent is kept whole."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from middleware.domain import retention as forgetting
from middleware.domain.retention import Tombstone
from middleware.domain.revision_facts import facts_of
from middleware.store import booking_map, fetched_facts, notices, retention, revisions
from middleware.store.db import Database, to_db_time
from middleware.store.retention import RetentionReport
from tests.domain.test_booking_plan import make_request, make_revision, make_room

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
KEEP_DAYS = 90
CUT = forgetting.cutoffs(NOW, KEEP_DAYS)  # departed before 2027-03-02, idle since 2027-03-03
OLD = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # when the finished bookings last changed
DEPARTED = date(2026, 12, 13)
PER_BOOKING = ("bookings", "booking_rooms", "revisions", "revision_facts", "revision_handling")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.db")
    yield database
    await database.close()


async def receive(
    db: Database, booking_id: str, revision_id: str, *, at: datetime, checkout: date, status: str
) -> None:
    """A revision queued, fetched (its facts kept) at `at`; left `pending`."""
    revision = make_revision(
        id=revision_id,
        booking_id=booking_id,
        status=status,
        inserted_at=at,
        departure_date=checkout,
        rooms=(make_room(checkout=checkout),),
    )
    async with db.transaction() as conn:
        await revisions.enqueue(
            conn,
            revision_id=revision_id,
            booking_id=booking_id,
            property_id="prop-1",
            source="webhook",
            now=at,
        )
    await revisions.record_fetched(
        db,
        revision_id,
        booking_id=booking_id,
        property_id="prop-1",
        revision_status=status,
        inserted_at=at,
        now=at,
    )
    await fetched_facts.save(db, revision_id, facts_of(revision), at)


async def applied(
    db: Database,
    booking_id: str,
    revision_id: str,
    *,
    at: datetime = OLD,
    checkout: date = DEPARTED,
    status: str = "new",
    pms_id: str | None = "pms-1",
    acked: bool = True,
) -> None:
    """A revision received and applied to the PMS at `at` (acked unless told otherwise)."""
    await receive(db, booking_id, revision_id, at=at, checkout=checkout, status=status)
    request = make_request(checkout=checkout, channex_booking_id=booking_id)
    async with db.transaction() as conn:
        await booking_map.save_room(
            conn,
            channex_booking_id=booking_id,
            room_index=0,
            pms_id=pms_id,
            active=status != "cancelled",
            request=request,
            revision_id=revision_id,
            now=at,
        )
        await booking_map.save_booking(
            conn,
            channex_booking_id=booking_id,
            property_id="prop-1",
            ota_code="BDC-" + booking_id,
            status=status,
            revision_id=revision_id,
            inserted_at=at,
            now=at,
        )
        await revisions.mark_applied(conn, revision_id, at)
    if acked:
        await revisions.mark_acked(db, revision_id, at)


async def rows_of(db: Database, booking_id: str) -> dict[str, int]:
    """How many rows each per-booking table holds for the booking."""
    of_revisions = "revision_id IN (SELECT revision_id FROM revisions WHERE booking_id = ?)"
    where = {
        "bookings": "channex_booking_id = ?",
        "booking_rooms": "channex_booking_id = ?",
        "revisions": "booking_id = ?",
        "revision_facts": of_revisions,
        "revision_handling": of_revisions,
    }
    found = {}
    for table in PER_BOOKING:
        row = await db.fetchone(
            f"SELECT count(*) FROM {table} WHERE {where[table]}",  # noqa: S608 - constants
            (booking_id,),
        )
        found[table] = int(row[0]) if row else 0
    return found


async def forget(db: Database, *, now: datetime = NOW, batch: int = 500) -> RetentionReport:
    cut = forgetting.cutoffs(now, KEEP_DAYS)
    return await retention.forget_finished(db, cut, now, batch_bookings=batch)


async def test_a_finished_booking_leaves_only_its_tombstone(db: Database) -> None:
    """Created, then cancelled: both revisions acked long ago, the stay long over."""
    await applied(db, "bk-1", "r-new")
    later = OLD + timedelta(days=2)
    await applied(db, "bk-1", "r-cancel", at=later, status="cancelled")

    assert await forget(db) == RetentionReport(
        forgotten=1,
        removed={
            "revision_facts": 2,
            "revision_handling": 0,
            "revisions": 2,
            "booking_rooms": 1,
            "bookings": 1,
        },
    )
    assert await rows_of(db, "bk-1") == dict.fromkeys(PER_BOOKING, 0)
    assert await retention.tombstone(db, "bk-1") == Tombstone(
        channex_booking_id="bk-1",
        property_id="prop-1",
        ota_code="BDC-bk-1",
        departure=DEPARTED,
        forgotten_at=NOW,
        last_revision_id="r-cancel",
    )
    assert await retention.forgotten_count(db) == 1
    assert await forget(db) == RetentionReport(forgotten=0, removed=dict.fromkeys(PER_BOOKING, 0))


async def test_bookings_with_work_left_or_too_recent_are_kept_whole(db: Database) -> None:
    """Each booking below has one reason to stay; only `done` is forgotten."""
    await applied(db, "done", "done-1")
    # the stay ended inside the retention, or a change arrived inside it
    await applied(db, "recent-stay", "rs-1", checkout=date(2027, 4, 1))
    await applied(db, "recent-change", "rc-1")
    await applied(db, "recent-change", "rc-2", at=NOW - timedelta(days=10), status="modified")
    # a later stay named only by a revision's facts (its rooms still show the old one)
    await applied(db, "moved", "mv-1")
    await receive(db, "moved", "mv-2", at=OLD, checkout=date(2027, 5, 30), status="modified")
    await revisions.mark_stale(db, "mv-2", OLD)
    # work left
    await applied(db, "parked", "pk-1")
    await receive(db, "parked", "pk-2", at=OLD, checkout=DEPARTED, status="modified")
    await revisions.park(db, "pk-2", "needs attention", OLD)
    await applied(db, "pending", "pd-1")
    await receive(db, "pending", "pd-2", at=OLD, checkout=DEPARTED, status="modified")
    await applied(db, "unacked", "ua-1", acked=False)
    await applied(db, "in-flight", "if-1", pms_id=None, acked=False)
    await revisions.retry_later(
        db, "if-1", attempts=3, next_attempt_at=OLD, reason="PMS timeout", now=OLD
    )
    await applied(db, "leased", "ls-1")
    await db.execute(
        "UPDATE revisions SET claimed_until = ? WHERE revision_id = 'ls-1'",
        (to_db_time(NOW + timedelta(minutes=5)),),
    )
    await applied(db, "ack-owed", "ao-1")
    await receive(db, "ack-owed", "ao-2", at=OLD, checkout=DEPARTED, status="modified")
    await revisions.park(db, "ao-2", "needs attention", OLD)
    assert await revisions.mark_handled(db, "ao-2", by="Ana", reason="by hand", at=OLD)
    await revisions.record_handled_ack(db, "ao-2", "failed", "HTTP 503", OLD)
    await applied(db, "noticed", "nt-1")
    await notices.add(db, "non_acked_booking", "Channex sent non_acked_booking", OLD, ref="nt-1")
    await applied(db, "legacy", "lg-1")
    await db.execute("UPDATE booking_rooms SET applied = NULL WHERE channex_booking_id = 'legacy'")
    kept = [
        "recent-stay",
        "recent-change",
        "moved",
        "parked",
        "pending",
        "unacked",
        "in-flight",
        "leased",
        "ack-owed",
        "noticed",
        "legacy",
    ]
    before = {booking_id: await rows_of(db, booking_id) for booking_id in kept}

    report = await forget(db, batch=2)  # batches of two: the loop goes on past a full batch

    assert report.forgotten == 1
    assert await rows_of(db, "done") == dict.fromkeys(PER_BOOKING, 0)
    assert {booking_id: await rows_of(db, booking_id) for booking_id in kept} == before
    tombstones = await db.fetchall("SELECT channex_booking_id FROM forgotten_bookings")
    assert [row[0] for row in tombstones] == ["done"]


async def test_many_finished_bookings_go_in_batches(db: Database) -> None:
    for n in range(5):
        await applied(db, f"bk-{n}", f"r-{n}")

    report = await forget(db, batch=2)

    assert report.forgotten == 5
    assert report.removed["revisions"] == 5
    assert await retention.forgotten_count(db) == 5
    assert [await rows_of(db, f"bk-{n}") for n in range(5)] == [dict.fromkeys(PER_BOOKING, 0)] * 5


async def test_a_booking_forgotten_twice_keeps_one_tombstone_with_the_latest(
    db: Database,
) -> None:
    """A late revision of a forgotten booking was parked, then handled by hand (its ack
    taken): once finished again, its rows go and the tombstone names the late revision."""
    await applied(db, "bk-1", "r-new")
    await forget(db)
    late = NOW + timedelta(days=1)
    await receive(db, "bk-1", "r-late", at=late, checkout=DEPARTED, status="cancelled")
    await revisions.park(db, "r-late", "booking forgotten", late)
    assert await forget(db, now=late) == RetentionReport(
        forgotten=0, removed=dict.fromkeys(PER_BOOKING, 0)
    )
    assert await revisions.mark_handled(db, "r-late", by="Ana", reason="nothing to do", at=late)
    await revisions.record_handled_ack(db, "r-late", "acked", None, late)
    again = late + timedelta(days=KEEP_DAYS + 1)

    report = await forget(db, now=again)

    assert (report.forgotten, report.removed["revision_handling"]) == (1, 1)
    assert await rows_of(db, "bk-1") == dict.fromkeys(PER_BOOKING, 0)
    assert await retention.tombstone(db, "bk-1") == Tombstone(
        channex_booking_id="bk-1",
        property_id="prop-1",
        ota_code="BDC-bk-1",  # kept from the first time: the late revision had no map row
        departure=DEPARTED,
        forgotten_at=again,
        last_revision_id="r-late",
    )


async def test_a_booking_never_applied_is_forgotten_with_what_its_revisions_say(
    db: Database,
) -> None:
    """Only revisions (parked, then handled with the ack taken): the tombstone takes the
    property, the OTA code and the departure from the revisions' facts."""
    await receive(db, "bk-9", "r-9", at=OLD, checkout=DEPARTED, status="new")
    await revisions.park(db, "r-9", "room type not mapped", OLD)
    assert await revisions.mark_handled(db, "r-9", by="Ana", reason="by hand", at=OLD)
    await revisions.record_handled_ack(db, "r-9", "acked", None, OLD)

    assert (await forget(db)).forgotten == 1

    facts = facts_of(dataclasses.replace(make_revision(), departure_date=DEPARTED))
    assert await retention.tombstone(db, "bk-9") == Tombstone(
        channex_booking_id="bk-9",
        property_id="prop-1",
        ota_code=facts.reservation_code,
        departure=DEPARTED,
        forgotten_at=NOW,
        last_revision_id="r-9",
    )
