"""Retention of finished bookings: a booking long departed with every revision done leaves a
tombstone and no row; a booking with any work left (parked, pending, unacked, leased, a create
in flight, an ack owed, an open notice) or with a stay or a change too recent is kept whole."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from middleware.domain import retention as forgetting
from middleware.domain.retention import Tombstone
from middleware.domain.revision_facts import facts_of
from middleware.store.port import Store
from middleware.store.retention import RetentionReport
from middleware.store.stamps import to_db_time
from tests.domain.test_booking_plan import make_request, make_revision, make_room
from tests.store_sql import execute, rows

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
KEEP_DAYS = 90
CUT = forgetting.cutoffs(NOW, KEEP_DAYS)  # departed before 2027-03-02, idle since 2027-03-03
OLD = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # when the finished bookings last changed
DEPARTED = date(2026, 12, 13)
PER_BOOKING = ("bookings", "booking_rooms", "revisions", "revision_facts", "revision_handling")


async def receive(
    store: Store, booking_id: str, revision_id: str, *, at: datetime, checkout: date, status: str
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
    await store.revisions.enqueue_many([(revision_id, booking_id, "prop-1")], at, source="webhook")
    await store.revisions.record_fetched(
        revision_id,
        booking_id=booking_id,
        property_id="prop-1",
        revision_status=status,
        inserted_at=at,
        now=at,
    )
    await store.fetched_facts.save(revision_id, facts_of(revision), at)


async def applied(
    store: Store,
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
    await receive(store, booking_id, revision_id, at=at, checkout=checkout, status=status)
    request = make_request(checkout=checkout, channex_booking_id=booking_id)
    await store.booking_map.save_room(
        channex_booking_id=booking_id,
        room_index=0,
        pms_id=pms_id,
        active=status != "cancelled",
        request=request,
        revision_id=revision_id,
        now=at,
    )
    await store.booking_map.record_applied(
        channex_booking_id=booking_id,
        property_id="prop-1",
        ota_code="BDC-" + booking_id,
        status=status,
        revision_id=revision_id,
        inserted_at=at,
        now=at,
    )
    if acked:
        await store.revisions.mark_acked(revision_id, at)


async def rows_of(store: Store, booking_id: str) -> dict[str, int]:
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
        ((counted,),) = await rows(
            store,
            f"SELECT count(*) FROM {table} WHERE {where[table]}",  # noqa: S608 - constants
            (booking_id,),
        )
        found[table] = int(str(counted))
    return found


async def forget(store: Store, *, now: datetime = NOW, batch: int = 500) -> RetentionReport:
    cut = forgetting.cutoffs(now, KEEP_DAYS)
    return await store.retention.forget_finished(cut, now, batch_bookings=batch)


async def test_a_finished_booking_leaves_only_its_tombstone(store: Store) -> None:
    """Created, then cancelled: both revisions acked long ago, the stay long over."""
    await applied(store, "bk-1", "r-new")
    later = OLD + timedelta(days=2)
    await applied(store, "bk-1", "r-cancel", at=later, status="cancelled")

    assert await forget(store) == RetentionReport(
        forgotten=1,
        removed={
            "revision_facts": 2,
            "revision_handling": 0,
            "revisions": 2,
            "booking_rooms": 1,
            "bookings": 1,
        },
    )
    assert await rows_of(store, "bk-1") == dict.fromkeys(PER_BOOKING, 0)
    assert await store.retention.tombstone("bk-1") == Tombstone(
        channex_booking_id="bk-1",
        property_id="prop-1",
        ota_code="BDC-bk-1",
        departure=DEPARTED,
        forgotten_at=NOW,
        last_revision_id="r-cancel",
    )
    assert await store.retention.forgotten_count() == 1
    assert await forget(store) == RetentionReport(
        forgotten=0, removed=dict.fromkeys(PER_BOOKING, 0)
    )


async def test_bookings_with_work_left_or_too_recent_are_kept_whole(store: Store) -> None:
    """Each booking below has one reason to stay; only `done` is forgotten."""
    await applied(store, "done", "done-1")
    # the stay ended inside the retention, or a change arrived inside it
    await applied(store, "recent-stay", "rs-1", checkout=date(2027, 4, 1))
    await applied(store, "recent-change", "rc-1")
    await applied(store, "recent-change", "rc-2", at=NOW - timedelta(days=10), status="modified")
    # a later stay named only by a revision's facts (its rooms still show the old one)
    await applied(store, "moved", "mv-1")
    await receive(store, "moved", "mv-2", at=OLD, checkout=date(2027, 5, 30), status="modified")
    await store.revisions.mark_stale("mv-2", OLD)
    # work left
    await applied(store, "parked", "pk-1")
    await receive(store, "parked", "pk-2", at=OLD, checkout=DEPARTED, status="modified")
    await store.revisions.park("pk-2", "needs attention", OLD)
    await applied(store, "pending", "pd-1")
    await receive(store, "pending", "pd-2", at=OLD, checkout=DEPARTED, status="modified")
    await applied(store, "unacked", "ua-1", acked=False)
    await applied(store, "in-flight", "if-1", pms_id=None, acked=False)
    await store.revisions.retry_later(
        "if-1", attempts=3, next_attempt_at=OLD, reason="PMS timeout", now=OLD
    )
    await applied(store, "leased", "ls-1")
    await execute(
        store,
        "UPDATE revisions SET claimed_until = ? WHERE revision_id = 'ls-1'",
        (to_db_time(NOW + timedelta(minutes=5)),),
    )
    await applied(store, "ack-owed", "ao-1")
    await receive(store, "ack-owed", "ao-2", at=OLD, checkout=DEPARTED, status="modified")
    await store.revisions.park("ao-2", "needs attention", OLD)
    assert await store.revisions.mark_handled("ao-2", by="Ana", reason="by hand", at=OLD)
    await store.revisions.record_handled_ack("ao-2", "failed", "HTTP 503", OLD)
    await applied(store, "noticed", "nt-1")
    await store.notices.add("non_acked_booking", "Channex sent non_acked_booking", OLD, ref="nt-1")
    await applied(store, "legacy", "lg-1")
    await execute(
        store, "UPDATE booking_rooms SET applied = NULL WHERE channex_booking_id = 'legacy'"
    )
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
    before = {booking_id: await rows_of(store, booking_id) for booking_id in kept}

    report = await forget(store, batch=2)  # batches of two: the loop goes on past a full batch

    assert report.forgotten == 1
    assert await rows_of(store, "done") == dict.fromkeys(PER_BOOKING, 0)
    assert {booking_id: await rows_of(store, booking_id) for booking_id in kept} == before
    tombstones = await rows(store, "SELECT channex_booking_id FROM forgotten_bookings")
    assert [row[0] for row in tombstones] == ["done"]


async def test_many_finished_bookings_go_in_batches(store: Store) -> None:
    for n in range(5):
        await applied(store, f"bk-{n}", f"r-{n}")

    report = await forget(store, batch=2)

    assert report.forgotten == 5
    assert report.removed["revisions"] == 5
    assert await store.retention.forgotten_count() == 5
    assert [await rows_of(store, f"bk-{n}") for n in range(5)] == [
        dict.fromkeys(PER_BOOKING, 0)
    ] * 5


async def test_a_booking_forgotten_twice_keeps_one_tombstone_with_the_latest(
    store: Store,
) -> None:
    """A late revision of a forgotten booking was parked, then handled by hand (its ack
    taken): once finished again, its rows go and the tombstone names the late revision."""
    await applied(store, "bk-1", "r-new")
    await forget(store)
    late = NOW + timedelta(days=1)
    await receive(store, "bk-1", "r-late", at=late, checkout=DEPARTED, status="cancelled")
    await store.revisions.park("r-late", "booking forgotten", late)
    assert await forget(store, now=late) == RetentionReport(
        forgotten=0, removed=dict.fromkeys(PER_BOOKING, 0)
    )
    assert await store.revisions.mark_handled("r-late", by="Ana", reason="nothing to do", at=late)
    await store.revisions.record_handled_ack("r-late", "acked", None, late)
    again = late + timedelta(days=KEEP_DAYS + 1)

    report = await forget(store, now=again)

    assert (report.forgotten, report.removed["revision_handling"]) == (1, 1)
    assert await rows_of(store, "bk-1") == dict.fromkeys(PER_BOOKING, 0)
    assert await store.retention.tombstone("bk-1") == Tombstone(
        channex_booking_id="bk-1",
        property_id="prop-1",
        ota_code="BDC-bk-1",  # kept from the first time: the late revision had no map row
        departure=DEPARTED,
        forgotten_at=again,
        last_revision_id="r-late",
    )


async def test_a_booking_never_applied_is_forgotten_with_what_its_revisions_say(
    store: Store,
) -> None:
    """Only revisions (parked, then handled with the ack taken): the tombstone takes the
    property, the OTA code and the departure from the revisions' facts."""
    await receive(store, "bk-9", "r-9", at=OLD, checkout=DEPARTED, status="new")
    await store.revisions.park("r-9", "room type not mapped", OLD)
    assert await store.revisions.mark_handled("r-9", by="Ana", reason="by hand", at=OLD)
    await store.revisions.record_handled_ack("r-9", "acked", None, OLD)

    assert (await forget(store)).forgotten == 1

    facts = facts_of(dataclasses.replace(make_revision(), departure_date=DEPARTED))
    assert await store.retention.tombstone("bk-9") == Tombstone(
        channex_booking_id="bk-9",
        property_id="prop-1",
        ota_code=facts.reservation_code,
        departure=DEPARTED,
        forgotten_at=NOW,
        last_revision_id="r-9",
    )
