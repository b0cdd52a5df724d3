"""The booking processor against a real SQLite store and recording fakes of Channex and the PMS:
exactly one PMS booking per room, in the latest state, acked only once the PMS has it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from structlog.testing import capture_logs

from middleware.domain.attention import Attention, ParkReason
from middleware.domain.booking_plan import Touched
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.models import CellKey, Lane
from middleware.domain.pms_booking import PmsBookingRef, PmsBookingRequest
from middleware.domain.revision import BookingRevision, Person
from middleware.errors import ConflictUpstreamError, RejectedUpstreamError, TransientUpstreamError
from middleware.pms.directory import PmsDirectory
from middleware.pms.port import PmsPort
from middleware.store.sqlite import ari_state as sqlite_ari_state
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.store import SqliteStore
from middleware.worker.booking_sync import BookingProcessor, Outcome, Result
from tests.domain.test_booking_plan import make_revision, make_room

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
D10, D13 = date(2026, 12, 10), date(2026, 12, 13)


def make_mapping(*extra: tuple[str, str]) -> Mapping:
    rooms = [("ov", "rt-ov"), ("lvu", "rt-lvu"), *extra]
    return Mapping(
        (
            PropertyMap(
                property_id="prop-1",
                name="Duke Beach",
                currency="BRL",
                timezone="America/Sao_Paulo",
                room_types=tuple(
                    RoomTypeMap(
                        room_code=code,
                        room_type_id=type_id,
                        rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}"),),
                    )
                    for code, type_id in rooms
                ),
            ),
        )
    )


class FakeChannex:
    """Serves revisions by id and records acks; queued exceptions are raised first."""

    def __init__(self) -> None:
        self.revisions: dict[str, BookingRevision] = {}
        self.fetches: list[str] = []
        self.acks: list[str] = []
        self.fetch_failures: list[Exception] = []
        self.ack_failures: list[Exception] = []

    async def get_revision(self, revision_id: str) -> BookingRevision:
        self.fetches.append(revision_id)
        if self.fetch_failures:
            raise self.fetch_failures.pop(0)
        if revision_id not in self.revisions:
            raise RejectedUpstreamError("channex", "Resource Not Found", status=404)
        return self.revisions[revision_id]

    async def ack(self, revision_id: str) -> None:
        if self.ack_failures:
            raise self.ack_failures.pop(0)
        self.acks.append(revision_id)


@dataclasses.dataclass
class PmsBooking:
    request: PmsBookingRequest
    status: str = "CONFIRMADA"


class FakePms:
    """Like sistema-os: creates are idempotent per Idempotency-Key; a full categoria is a 409."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.bookings: dict[str, PmsBooking] = {}
        self.by_key: dict[str, str] = {}
        self.full: set[str] = set()
        self.failures: list[Exception] = []
        self.lost_replies = 0  # creates that commit, then time out

    def _ref(self, pms_id: str) -> PmsBookingRef:
        return PmsBookingRef(pms_id=pms_id, unit=None, status=self.bookings[pms_id].status)

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef:
        self.calls.append(("create", request.idempotency_key))
        if self.failures:
            raise self.failures.pop(0)
        if request.idempotency_key in self.by_key:
            return self._ref(self.by_key[request.idempotency_key])
        if request.room_code in self.full:
            body = orjson.dumps({"detail": f"no free apartment of {request.room_code}"}).decode()
            raise ConflictUpstreamError("sistema-os", "conflict", status=409, body=body)
        pms_id = str(101 + len(self.bookings))
        self.bookings[pms_id] = PmsBooking(request=request)
        self.by_key[request.idempotency_key] = pms_id
        if self.lost_replies:
            self.lost_replies -= 1
            raise TransientUpstreamError("sistema-os", "timeout")
        return self._ref(pms_id)

    async def modify_booking(
        self, pms_id: str, request: PmsBookingRequest, changed: tuple[str, ...]
    ) -> PmsBookingRef:
        fields = {name: getattr(request, name) for name in changed}
        self.calls.append(("modify", pms_id, fields))
        if self.failures:
            raise self.failures.pop(0)
        booking = self.bookings[pms_id]
        booking.request = dataclasses.replace(booking.request, **fields)
        return self._ref(pms_id)

    async def cancel_booking(
        self, pms_id: str, reason: str, *, fee: Decimal | None = None, currency: str | None = None
    ) -> PmsBookingRef:
        self.calls.append(
            ("cancel", pms_id, reason) if fee is None else ("cancel", pms_id, reason, fee, currency)
        )
        if self.failures:
            raise self.failures.pop(0)
        if pms_id not in self.bookings:
            raise RejectedUpstreamError("sistema-os", "not found", status=404)
        self.bookings[pms_id].status = "CANCELADA"
        return self._ref(pms_id)


class Harness:
    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.now = T0
        self.channex = FakeChannex()
        self.pms = FakePms()
        self.resynced: list[tuple[Touched, ...]] = []
        self.resynced_in: list[str] = []  # the property of each resync asked
        self.resync_failures: list[Exception] = []
        self.alerts: list[tuple[str, str]] = []
        self.processor = self.build(make_mapping())

    def build(self, mapping: Mapping) -> BookingProcessor:
        return BookingProcessor(
            self.channex,
            self.pms,
            self.store,
            mapping,
            resync=self.resync,
            clock=lambda: self.now,
            alert=self.alert,
        )

    async def alert(self, kind: str, text: str) -> None:
        self.alerts.append((kind, text))

    async def resync(self, property_id: str, touched: Sequence[Touched]) -> None:
        if self.resync_failures:
            raise self.resync_failures.pop(0)
        self.resynced.append(tuple(touched))
        self.resynced_in.append(property_id)

    async def deliver(self, revision: BookingRevision) -> bool:
        """What the webhook intake does: Channex has the revision, we queue its id."""
        self.channex.revisions[revision.id] = revision
        async with self.store.db.transaction() as conn:
            return await sqlite_revisions.enqueue(
                conn,
                revision_id=revision.id,
                booking_id=revision.booking_id,
                property_id=revision.property_id,
                source="webhook",
                now=self.now,
            )

    async def run(self) -> list[Outcome]:
        return list((await self.processor.run_once()).outcomes)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def statuses(self) -> dict[str, str]:
        rows = await self.store.db.fetchall("SELECT revision_id, status FROM revisions")
        return {row[0]: row[1] for row in rows}


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    store = await SqliteStore.open(tmp_path / "m.db")
    yield Harness(store)
    await store.close()


def stay(code: str, start: date, end: date) -> Touched:
    return Touched(room_code=code, date_from=start, date_to=end)


def outcome(
    revision_id: str,
    result: Result,
    status: str = "new",
    *,
    created: int = 0,
    modified: int = 0,
    cancelled: int = 0,
    reason: str | None = None,
) -> Outcome:
    return Outcome(
        revision_id=revision_id,
        result=result,
        booking_id="bk-1",
        status=status,
        created=created,
        modified=modified,
        cancelled=cancelled,
        reason=reason,
    )


NEW = make_revision()
MODIFIED = make_revision(
    id="rev-2",
    status="modified",
    inserted_at=T0 + timedelta(minutes=5),
    customer=Person(name="Maria S. Souza", email="maria@example.com", phone="+55 11 99999-0000"),
    rooms=(make_room(room_type_id="rt-lvu", checkin=date(2026, 12, 11), checkout=D13),),
)
CANCELLED = dataclasses.replace(
    MODIFIED,
    id="rev-3",
    status="cancelled",
    inserted_at=T0 + timedelta(minutes=9),
    amount=Decimal("0.00"),  # nothing due: free cancellation
)


LEGACY_REQUEST = PmsBookingRequest(
    room_code="ov",
    checkin=D10,
    checkout=D13,
    guest_name="Legacy Guest",
    guest_email=None,
    guest_phone=None,
    adults=2,
    children=0,
    total=Decimal("1350.00"),
    currency="BRL",
    channel="Booking.com",
    ota_code="BDC-9996013801",
    channex_booking_id="bk-1",
    channex_revision_id="rev-1",
    room_index=0,
    notes=None,
)


async def test_new_modified_cancelled(h: Harness) -> None:
    """One create, one PATCH with exactly the changed fields, one cancel; each acked once."""
    await h.deliver(NEW)
    assert await h.run() == [outcome("rev-1", "acked", created=1)]
    await h.deliver(MODIFIED)
    assert await h.run() == [outcome("rev-2", "acked", "modified", modified=1)]
    await h.deliver(CANCELLED)
    assert await h.run() == [outcome("rev-3", "acked", "cancelled", cancelled=1)]

    assert h.pms.calls == [
        ("create", "bk-1:0"),
        (
            "modify",
            "101",
            {
                "room_code": "lvu",
                "checkin": date(2026, 12, 11),
                "guest_name": "Maria S. Souza",
                "booker": MODIFIED.customer,
            },
        ),
        ("cancel", "101", "cancelled at Booking.com"),
    ]
    assert h.pms.bookings["101"].status == "CANCELADA"
    assert h.channex.acks == ["rev-1", "rev-2", "rev-3"]
    assert h.resynced == [
        (stay("ov", D10, D13),),
        (stay("ov", D10, D13), stay("lvu", date(2026, 12, 11), D13)),
        (stay("lvu", date(2026, 12, 11), D13),),
    ]
    assert await h.statuses() == {"rev-1": "acked", "rev-2": "acked", "rev-3": "acked"}
    record = await h.store.booking_map.load("bk-1")
    assert record is not None
    assert (record.status, record.last_revision_id) == ("cancelled", "rev-3")


async def test_processing_a_revision_twice_creates_one_booking(h: Harness) -> None:
    assert await h.deliver(NEW) is True
    assert await h.deliver(NEW) is False
    await h.run()
    assert await h.processor.process("rev-1") == Outcome(revision_id="rev-1", result="skipped")
    h.advance(3600)
    assert await h.run() == []
    assert h.pms.calls == [("create", "bk-1:0")]
    assert h.channex.acks == ["rev-1"]


async def test_process_now_handles_a_revision_that_is_not_due_yet(h: Harness) -> None:
    await h.deliver(NEW)
    h.channex.fetch_failures.append(TransientUpstreamError("channex", "timeout"))
    assert [o.result for o in await h.run()] == ["retry"]
    assert await h.processor.process("rev-1") == outcome("rev-1", "acked", created=1)
    assert list(h.pms.bookings) == ["101"]


async def test_out_of_order_arrival_keeps_the_newest_state(h: Harness) -> None:
    """The modification arrives first: it creates; the older 'new' is then stale, and acked."""
    await h.deliver(MODIFIED)
    assert await h.run() == [outcome("rev-2", "acked", "modified", created=1)]
    await h.deliver(NEW)
    assert await h.run() == [outcome("rev-1", "stale")]
    assert h.pms.calls == [("create", "bk-1:0")]
    created = h.pms.bookings["101"].request
    assert (created.room_code, created.guest_name, created.checkin, created.checkout) == (
        "lvu",
        "Maria S. Souza",
        date(2026, 12, 11),
        D13,
    )
    assert h.channex.acks == ["rev-2", "rev-1"]
    assert await h.statuses() == {"rev-1": "stale", "rev-2": "acked"}
    # the stale 'new' still resyncs the nights Channex took for it when it arrived
    assert h.resynced == [
        (stay("lvu", date(2026, 12, 11), D13),),
        (stay("ov", date(2026, 12, 10), D13),),
    ]


async def test_cancellation_of_a_booking_never_created_is_recorded(h: Harness) -> None:
    await h.deliver(CANCELLED)
    assert await h.run() == [outcome("rev-3", "acked", "cancelled")]
    await h.deliver(NEW)
    assert await h.run() == [outcome("rev-1", "stale")]
    assert h.pms.calls == []
    assert h.channex.acks == ["rev-3", "rev-1"]
    assert h.resynced == [(stay("ov", date(2026, 12, 10), D13),)]  # Channex took the room


async def test_a_new_booking_makes_the_nights_channex_took_be_pushed_again(h: Harness) -> None:
    """Channex takes a room by itself when a booking arrives; when the PMS ends up unchanged
    (here the booking was cancelled first), the availability last pushed for those nights is
    forgotten, so the resync sends the PMS's value again even though it equals it."""
    lane = Lane("prop-1", "availability")
    pushed = {("rt-ov", f"2026-12-{day:02d}", "availability"): "3" for day in range(9, 14)}
    async with h.store.db.transaction() as conn:
        await sqlite_ari_state.write_in(conn, lane, pushed, T0)
    await h.deliver(CANCELLED)
    assert await h.run() == [outcome("rev-3", "acked", "cancelled")]
    await h.deliver(NEW)
    assert await h.run() == [outcome("rev-1", "stale")]
    left = await h.store.ari_state.acked(lane, None, date(2026, 12, 1), date(2026, 12, 31))
    assert sorted(left) == [CellKey("rt-ov", date(2026, 12, 9)), CellKey("rt-ov", D13)]


async def test_a_lost_create_then_other_dates_modifies_what_the_pms_made(h: Harness) -> None:
    """The create of 'new' commits but its answer is lost; the modification (other room type
    and dates) comes first: the same create again only gets the old booking back, so it is
    then modified to the new stay (found by chaos seed 15: the PMS kept the old dates)."""
    h.pms.lost_replies = 1
    await h.deliver(NEW)
    assert [o.result for o in await h.run()] == ["retry"]
    await h.deliver(MODIFIED)
    assert await h.run() == [outcome("rev-2", "acked", "modified", created=1, modified=1)]
    assert [call[:2] for call in h.pms.calls] == [
        ("create", "bk-1:0"),
        ("create", "bk-1:0"),
        ("modify", "101"),
    ]
    booked = h.pms.bookings["101"].request
    assert (booked.room_code, booked.checkin, booked.checkout) == ("lvu", date(2026, 12, 11), D13)


async def test_a_lost_create_then_a_cancellation_cancels_what_the_pms_made(h: Harness) -> None:
    h.pms.lost_replies = 1
    await h.deliver(NEW)
    assert [o.result for o in await h.run()] == ["retry"]
    await h.deliver(CANCELLED)
    assert await h.run() == [outcome("rev-3", "acked", "cancelled", created=1, cancelled=1)]
    assert {pms_id: b.status for pms_id, b in h.pms.bookings.items()} == {"101": "CANCELADA"}


async def test_pms_transient_failure_then_success(h: Harness) -> None:
    await h.deliver(NEW)
    h.pms.failures.append(TransientUpstreamError("sistema-os", "timeout"))
    assert await h.run() == [outcome("rev-1", "retry", reason="PMS: sistema-os: timeout")]
    row = await h.store.revisions.get("rev-1")
    assert row is not None
    assert (row.status, row.attempts, row.next_attempt_at) == (
        "pending",
        1,
        T0 + timedelta(seconds=5),
    )
    h.advance(4)
    assert await h.run() == []
    h.advance(1)
    assert await h.run() == [outcome("rev-1", "acked", created=1)]
    assert h.pms.calls == [("create", "bk-1:0"), ("create", "bk-1:0")]
    assert list(h.pms.bookings) == ["101"]
    assert h.channex.acks == ["rev-1"]


async def test_fetch_backoff_grows_and_gives_up_after_max_attempts(h: Harness) -> None:
    await h.deliver(NEW)
    h.processor = BookingProcessor(
        h.channex,
        h.pms,
        h.store,
        make_mapping(),
        resync=h.resync,
        clock=lambda: h.now,
        max_attempts=3,
    )
    h.channex.fetch_failures += [TransientUpstreamError("channex", "HTTP 503")] * 3
    delays = []
    for _ in range(2):
        await h.run()
        row = await h.store.revisions.get("rev-1")
        assert row is not None
        delays.append((row.next_attempt_at - h.now).total_seconds())
        h.now = row.next_attempt_at
    assert delays == [5.0, 10.0]
    (last,) = await h.run()
    assert (last.result, last.reason) == (
        "parked",
        "gave up after 3 attempts: fetching the revision: channex: HTTP 503",
    )
    assert h.channex.acks == []


async def test_crash_between_pms_create_and_mapping_write(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PMS created the booking but the mapping was never written: the retry sends the same
    Idempotency-Key, the PMS answers with the same booking, and it is mapped once."""
    real_save_room = h.store.booking_map.save_room

    async def crash(*args: Any, **kwargs: Any) -> None:
        if kwargs["pms_id"] is None:  # what the create asks for is stored before it is sent
            await real_save_room(*args, **kwargs)
            return
        raise RuntimeError("worker died")

    await h.deliver(NEW)
    monkeypatch.setattr(h.store.booking_map, "save_room", crash)
    assert [o.result for o in await h.run()] == ["error"]
    assert list(h.pms.bookings) == ["101"]
    record = await h.store.booking_map.load("bk-1")
    assert record is not None and {i: r.pms_id for i, r in record.rooms.items()} == {0: None}
    assert h.channex.acks == []

    monkeypatch.setattr(h.store.booking_map, "save_room", real_save_room)
    h.advance(5)
    assert await h.run() == [outcome("rev-1", "acked", created=1)]
    assert h.pms.calls == [("create", "bk-1:0"), ("create", "bk-1:0")]
    assert list(h.pms.bookings) == ["101"]
    record = await h.store.booking_map.load("bk-1")
    assert record is not None
    assert {i: r.pms_id for i, r in record.rooms.items()} == {0: "101"}
    assert h.channex.acks == ["rev-1"]


async def test_ack_failure_is_retried_without_touching_the_pms(h: Harness) -> None:
    await h.deliver(NEW)
    h.channex.ack_failures.append(TransientUpstreamError("channex", "HTTP 502"))
    assert await h.run() == [
        outcome("rev-1", "ack_pending", created=1, reason="ack: channex: HTTP 502")
    ]
    assert await h.statuses() == {"rev-1": "applied"}
    assert h.resynced == [(stay("ov", D10, D13),)]
    h.advance(5)
    assert await h.run() == [outcome("rev-1", "acked")]
    assert h.pms.calls == [("create", "bk-1:0")]
    assert h.channex.fetches == ["rev-1"]
    assert h.channex.acks == ["rev-1"]
    assert await h.statuses() == {"rev-1": "acked"}


async def test_multi_room_booking_and_a_dropped_room(h: Harness) -> None:
    two_rooms = make_revision(
        amount=Decimal("2000.00"),
        rooms=(make_room(amount=None), make_room(1, room_type_id="rt-lvu", amount=None)),
    )
    await h.deliver(two_rooms)
    assert await h.run() == [outcome("rev-1", "acked", created=2)]
    assert [(b.request.room_code, b.request.total) for b in h.pms.bookings.values()] == [
        ("ov", Decimal("1000.00")),
        ("lvu", Decimal("1000.00")),
    ]
    one_room = make_revision(
        id="rev-2",
        status="modified",
        inserted_at=T0 + timedelta(minutes=1),
        amount=Decimal("1000.00"),
        rooms=(make_room(amount=None),),
    )
    await h.deliver(one_room)
    assert await h.run() == [outcome("rev-2", "acked", "modified", modified=1, cancelled=1)]
    assert h.pms.calls == [
        ("create", "bk-1:0"),
        ("create", "bk-1:1"),
        ("cancel", "102", "room removed at Booking.com"),
        # the room that stays now holds the whole booking
        ("modify", "101", {"booking_total": Decimal("1000.00"), "rooms_in_booking": 1}),
    ]
    assert h.resynced[-1] == (stay("lvu", D10, D13),)


async def test_unmapped_room_type_is_parked_then_replayed(h: Harness) -> None:
    unmapped = make_revision(rooms=(make_room(room_type_id="rt-ovp"),))
    await h.deliver(unmapped)
    with capture_logs() as logs:
        results = await h.run()
    reason = "needs attention: room 0: room type rt-ovp is not mapped"
    assert results == [outcome("rev-1", "parked", reason=reason)]
    assert logs == [
        {
            "event": "booking_revision_processed",
            "log_level": "error",
            "revision_id": "rev-1",
            "booking_id": "bk-1",
            "status": "new",
            "outcome": "parked",
            "rooms_created": 0,
            "rooms_modified": 0,
            "rooms_cancelled": 0,
            "reason": reason,
        }
    ]
    assert (h.channex.acks, h.pms.calls) == ([], [])
    headline = (
        "Duke Beach · Booking.com BDC-9996013801 · Maria Silva · Thu 10 Dec 2026 → Sun 13 Dec 2026"
    )
    detail = (
        f"{headline} — Room type not in the mapping. The booking is for a Channex room type"
        " (rt-ovp) that the mapping file does not link to any sistema-os categoria."
        " Next step: Add that room type to the mapping file (docs/pms.md, adding a room type),"
        " reload the mapping or restart, check with python -m middleware check, then replay"
        " the booking (python -m middleware replay REVISION_ID)."
    )
    (notice,) = await h.store.notices.open_notices()
    assert (notice.kind, notice.ref, notice.detail) == ("booking_unmapped_room", "rev-1", detail)
    assert h.alerts == [("booking_unmapped_room", f"{detail} (revision rev-1)")]
    row = await h.store.revisions.get("rev-1")
    assert row is not None and row.park is not None
    assert (row.reason, row.park.reason, dict(row.park.details)) == (
        reason,
        ParkReason.ROOM_TYPE_NOT_MAPPED,
        {"room_type_id": "rt-ovp"},
    )

    h.processor = h.build(make_mapping(("ovp", "rt-ovp")))
    assert await h.store.revisions.replay("rev-1", h.now) is True
    assert await h.run() == [outcome("rev-1", "acked", created=1)]
    assert h.pms.bookings["101"].request.room_code == "ovp"
    assert h.channex.acks == ["rev-1"]
    assert await h.store.notices.open_notices() == []
    assert h.alerts[1:] == [
        (
            "booking_resolved",
            "Resolved: Duke Beach · Booking.com BDC-9996013801 · Maria Silva · Thu 10 Dec 2026"
            " → Sun 13 Dec 2026 · ovp is now in sistema-os and confirmed to Channex.",
        )
    ]


async def test_no_free_apartment_is_parked_then_replayed(h: Harness) -> None:
    await h.deliver(NEW)
    h.pms.full.add("ov")
    reason = "PMS has no free apartment: no free apartment of ov"
    assert await h.run() == [outcome("rev-1", "parked", reason=reason)]
    row = await h.store.revisions.get("rev-1")
    assert row is not None and row.park is not None
    assert row.park.attention == Attention(
        title="No free room in sistema-os",
        explanation="sistema-os has no free apartment of this room type for these nights"
        " (overbooking), so the booking could not be created. sistema-os said:"
        " “no free apartment of ov”",
        next_step="Free a room in sistema-os for these nights (move or cancel another"
        " booking), then replay the booking (python -m middleware replay REVISION_ID). If the"
        " guest cannot be hosted, arrange it with the OTA and mark it handled.",
    )
    assert row.park.facts.room_types == ("ov",)
    (notice,) = await h.store.notices.open_notices()
    assert (notice.kind, notice.ref, notice.property_id) == (
        "booking_needs_attention",
        "rev-1",
        "prop-1",
    )
    assert h.channex.acks == []
    h.advance(3600)
    assert await h.run() == []

    h.pms.full.clear()
    assert await h.store.revisions.replay("rev-1", h.now) is True
    assert await h.run() == [outcome("rev-1", "acked", created=1)]
    assert list(h.pms.bookings) == ["101"]
    assert h.channex.acks == ["rev-1"]
    assert await h.store.notices.open_notices() == []


async def test_a_revision_channex_does_not_know_is_final_not_parked(h: Harness) -> None:
    """A 404 for the id (a forged or foreign id) would otherwise hold /health red for good."""
    async with h.store.db.transaction() as conn:
        await sqlite_revisions.enqueue(
            conn, revision_id="rev-x", booking_id=None, property_id=None, source="feed", now=T0
        )
    reason = (
        "Channex does not know revision rev-x (HTTP 404): not a booking of this account,"
        " nothing to apply or acknowledge"
    )
    assert await h.run() == [Outcome(revision_id="rev-x", result="unknown", reason=reason)]
    assert h.channex.acks == []
    row = await h.store.revisions.get("rev-x")
    assert row is not None
    assert (row.status, row.reason) == ("unknown", reason)
    assert [(n.kind, n.ref, n.detail) for n in await h.store.notices.open_notices()] == [
        ("booking_revision_unknown", "rev-x", reason)
    ]
    assert await h.store.revisions.oldest_unacked() is None
    assert await h.run() == []  # final: never fetched again


async def test_a_refused_fetch_other_than_404_is_still_parked(h: Harness) -> None:
    async with h.store.db.transaction() as conn:
        await sqlite_revisions.enqueue(
            conn, revision_id="rev-y", booking_id=None, property_id=None, source="feed", now=T0
        )
    h.channex.fetch_failures.append(RejectedUpstreamError("channex", "Forbidden", status=403))
    (result,) = await h.run()
    assert (result.result, result.reason) == (
        "parked",
        "cannot fetch the revision: channex: Forbidden (HTTP 403)",
    )


@pytest.mark.parametrize("id_field", ["pms_reserva_id", "qloapps_order_id"])
async def test_imported_booking_is_cancelled_without_any_create(
    h: Harness, tmp_path: Path, id_field: str
) -> None:
    legacy = tmp_path / "bookings.json"
    legacy.write_bytes(
        orjson.dumps({"bk-1": {id_field: 501, "status": "confirmed", "revision_id": "rev-1"}})
    )
    h.pms.bookings["501"] = PmsBooking(request=LEGACY_REQUEST)
    report = await h.store.booking_map.import_legacy(legacy, T0)
    assert (report.imported, report.skipped, report.problems) == (1, 0, ())

    await h.deliver(NEW)  # the legacy system's own revision, redelivered by the feed
    await h.deliver(CANCELLED)
    assert await h.run() == [
        outcome("rev-1", "acked"),
        outcome("rev-3", "acked", "cancelled", cancelled=1),
    ]
    assert h.pms.calls == [("cancel", "501", "cancelled at Booking.com")]
    assert h.resynced == [
        (stay("ov", date(2026, 12, 10), D13),),  # the nights Channex took for rev-1
        (stay("lvu", date(2026, 12, 11), D13),),
    ]


async def test_resync_failure_is_logged_and_the_ack_stands(h: Harness) -> None:
    await h.deliver(NEW)
    h.resync_failures.append(RuntimeError("outbox closed"))
    with capture_logs() as logs:
        assert await h.run() == [outcome("rev-1", "acked", created=1)]
    assert [entry["event"] for entry in logs] == [
        "booking_resync_failed",
        "booking_revision_processed",
    ]
    assert h.channex.acks == ["rev-1"]


async def test_logs_carry_no_guest_data(h: Harness) -> None:
    await h.deliver(NEW)
    await h.deliver(MODIFIED)
    with capture_logs() as logs:
        await h.run()
    text = repr(logs)
    assert [entry["event"] for entry in logs] == ["booking_revision_processed"] * 2
    for secret in ("Maria", "Souza", "maria@example.com", "99999"):
        assert secret not in text


async def test_run_once_processes_at_most_limit_oldest_first(h: Harness) -> None:
    for n in range(3):
        await h.deliver(make_revision(id=f"rev-{n}", booking_id=f"bk-{n}"))
        h.advance(1)
    first = await h.processor.run_once(limit=2)
    second = await h.processor.run_once(limit=2)
    assert [o.revision_id for o in first.outcomes] == ["rev-0", "rev-1"]
    assert [o.revision_id for o in second.outcomes] == ["rev-2"]
    assert first.count("acked") == 2
    assert h.pms.calls == [("create", "bk-0:0"), ("create", "bk-1:0"), ("create", "bk-2:0")]


class HangingPms(FakePms):
    """A PMS that answers nothing until `gate` opens (a hotel's slow PMS)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef:
        self.entered.set()
        await self.gate.wait()
        return await super().create_booking(request)


async def test_each_property_s_booking_goes_to_its_own_pms_and_a_slow_one_holds_no_other(
    h: Harness,
) -> None:
    """Hotel 2's PMS hangs: hotel 1's booking is created in hotel 1's PMS and acked meanwhile;
    hotel 2's booking reaches hotel 2's PMS alone once it answers. Hotel 2 has its own "lvu"
    (codes are unique per property only): its booking's resync is asked for hotel 2."""
    two = dataclasses.replace(
        make_mapping().properties[0],
        property_id="prop-2",
        name="Pousada",
        room_types=(
            RoomTypeMap(
                room_code="lvu",
                room_type_id="rt-std",
                rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-std"),),
            ),
        ),
    )
    mapping = Mapping((make_mapping().properties[0], two))
    slow = HangingPms()
    # the booking fakes have no ARI half: this processor only books
    directory = PmsDirectory(cast(PmsPort, h.pms), {"prop-2": cast(PmsPort, slow)})
    processor = BookingProcessor(
        h.channex, directory, h.store, mapping, resync=h.resync, clock=lambda: h.now
    )
    room = make_room(room_type_id="rt-std", rate_plan_id="rp-std")
    await h.deliver(
        make_revision(id="rev-2", booking_id="bk-2", property_id="prop-2", rooms=(room,))
    )
    h.advance(1)
    lvu = make_room(room_type_id="rt-lvu", rate_plan_id="rp-lvu")
    await h.deliver(make_revision(id="rev-1", booking_id="bk-1", rooms=(lvu,)))
    started = await processor.dispatch()
    await asyncio.wait_for(slow.entered.wait(), timeout=10)
    [hotel_one] = [t for t in started if t is not None and "prop-1" in t.get_name()]
    report = await asyncio.wait_for(hotel_one, timeout=10)
    assert [(o.revision_id, o.result) for o in report.outcomes] == [("rev-1", "acked")]
    assert (h.pms.calls, h.channex.acks) == ([("create", "bk-1:0")], ["rev-1"])
    slow.gate.set()
    await processor.pool.drain(10)
    assert slow.calls == [("create", "bk-2:0")]
    assert h.pms.calls == [("create", "bk-1:0")]  # never hotel 2's booking
    assert h.channex.acks == ["rev-1", "rev-2"]
    nights = stay("lvu", date(2026, 12, 10), D13)  # both bookings' "lvu", each its hotel's
    assert list(zip(h.resynced_in, h.resynced, strict=True)) == [
        ("prop-1", (nights,)),
        ("prop-2", (nights,)),
    ]


async def test_process_now_waits_behind_a_hotel_s_running_work_and_processes_its_due_revision(
    h: Harness,
) -> None:
    """The loop's work for the hotel is running (its PMS hangs on rev-a) when rev-b arrives
    and "process now" is asked: the pass does not skip the busy hotel; it waits for that work,
    then processes rev-b, and reports both."""
    slow = HangingPms()
    processor = BookingProcessor(
        h.channex, slow, h.store, make_mapping(), resync=h.resync, clock=lambda: h.now
    )
    await h.deliver(make_revision(id="rev-a", booking_id="bk-a"))
    [running] = await processor.dispatch(limit=1)  # the loop's pass: one revision
    await asyncio.wait_for(slow.entered.wait(), timeout=10)
    h.advance(1)
    await h.deliver(make_revision(id="rev-b", booking_id="bk-b"))

    asked = asyncio.create_task(processor.run_once())
    await asyncio.wait([asked], timeout=0.2)
    assert not asked.done()  # waiting behind the running work, not skipped
    assert (await h.statuses())["rev-b"] == "pending"
    slow.gate.set()
    report = await asyncio.wait_for(asked, timeout=10)
    assert [(o.revision_id, o.result) for o in report.outcomes] == [
        ("rev-a", "acked"),
        ("rev-b", "acked"),
    ]
    assert running is not None and running.done()
    assert await h.statuses() == {"rev-a": "acked", "rev-b": "acked"}
    assert slow.calls == [("create", "bk-a:0"), ("create", "bk-b:0")]
