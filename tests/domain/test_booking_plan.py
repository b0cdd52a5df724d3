"""Planning a booking revision against what was applied: creates, modifies, cancels, touched."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from middleware.domain.attention import ParkReason
from middleware.domain.booking_plan import (
    Problem,
    RevisionPlan,
    RoomCancel,
    RoomModify,
    RoomRecord,
    Touched,
    plan_revision,
    stay_problem,
)
from middleware.domain.pms_booking import Payment, PmsBookingRequest
from middleware.domain.revision import BookingRevision, Person, RevisionRoom, Service
from middleware.domain.room_identity import AppliedRoom

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
D10, D13 = date(2026, 12, 10), date(2026, 12, 13)
CODES = {"rt-ov": "ov", "rt-lvu": "lvu"}
BOOKER = Person(name="Maria Silva", email="maria@example.com", phone="+55 11 99999-0000")
NOTES = "late arrival\n[Channex] Pagamento: no hotel"


def make_room(index: int = 0, **changes: Any) -> RevisionRoom:
    base = RevisionRoom(
        index=index,
        room_type_id="rt-ov",
        rate_plan_id="rp-ov",
        checkin=D10,
        checkout=D13,
        adults=2,
        children=1,
        amount=Decimal("1350.00"),
    )
    return dataclasses.replace(base, **changes)


def make_revision(**changes: Any) -> BookingRevision:
    base = BookingRevision(
        id="rev-1",
        booking_id="bk-1",
        property_id="prop-1",
        status="new",
        inserted_at=T0,
        unique_id="BDC-9996013801",
        ota_name="Booking.com",
        ota_reservation_code="9996013801",
        arrival_date=D10,
        departure_date=D13,
        amount=Decimal("1350.00"),
        currency="BRL",
        notes="late arrival",
        customer=BOOKER,
        rooms=(make_room(),),
    )
    return dataclasses.replace(base, **changes)


def make_request(**changes: Any) -> PmsBookingRequest:
    """The PMS request `make_revision()`'s room 0 becomes."""
    base = PmsBookingRequest(
        room_code="ov",
        checkin=D10,
        checkout=D13,
        guest_name="Maria Silva",
        guest_email="maria@example.com",
        guest_phone="+55 11 99999-0000",
        adults=2,
        children=1,
        total=Decimal("1350.00"),
        currency="BRL",
        channel="Booking.com",
        ota_code="BDC-9996013801",
        channex_booking_id="bk-1",
        channex_revision_id="rev-1",
        room_index=0,
        notes=NOTES,
        booker=BOOKER,
        payment=Payment(collector="hotel"),
        booking_total=Decimal("1350.00"),
    )
    return dataclasses.replace(base, **changes)


def live(request: PmsBookingRequest, pms_id: str = "101") -> AppliedRoom:
    return AppliedRoom(pms_id=pms_id, active=True, request=request)


def plan(
    revision: BookingRevision,
    applied: Mapping[int, AppliedRoom] | None = None,
    last_inserted_at: datetime | None = None,
    **kwargs: Any,
) -> RevisionPlan:
    return plan_revision(
        revision,
        rooms_by_type=CODES.get,
        applied=applied or {},
        last_inserted_at=last_inserted_at,
        **kwargs,
    )


def stay(code: str, start: date, end: date) -> Touched:
    return Touched(room_code=code, date_from=start, date_to=end)


MODIFIED = {"id": "rev-2", "status": "modified", "inserted_at": T1}
APPLIED = {0: live(make_request())}

CASES: list[tuple[str, BookingRevision, dict[int, AppliedRoom], RevisionPlan]] = [
    (
        "new booking creates its room",
        make_revision(),
        {},
        RevisionPlan(creates=(make_request(),), touched=(stay("ov", D10, D13),)),
    ),
    (
        "a modified revision of an unknown booking creates (out of order arrival)",
        make_revision(**MODIFIED),
        {},
        RevisionPlan(
            creates=(make_request(channex_revision_id="rev-2"),),
            touched=(stay("ov", D10, D13),),
        ),
    ),
    (
        "nothing changed: nothing to do",
        make_revision(**MODIFIED),
        APPLIED,
        RevisionPlan(),
    ),
    (
        "guest name changed: one modify with that field, availability untouched",
        make_revision(
            **MODIFIED, customer=Person(name="Maria S. Souza", phone="+55 11 99999-0000")
        ),
        APPLIED,
        RevisionPlan(
            modifies=(
                RoomModify(
                    room_index=0,
                    pms_id="101",
                    changed=("guest_name", "booker"),
                    request=make_request(
                        guest_name="Maria S. Souza",
                        guest_email=None,
                        channex_revision_id="rev-2",
                        # the e-mail the OTA stopped sending is kept, not cleared
                        booker=dataclasses.replace(BOOKER, name="Maria S. Souza"),
                    ),
                ),
            )
        ),
    ),
    (
        "dates moved: dates only, old and new nights touched",
        make_revision(
            **MODIFIED, rooms=(make_room(checkin=date(2026, 12, 11), checkout=date(2026, 12, 15)),)
        ),
        APPLIED,
        RevisionPlan(
            modifies=(
                RoomModify(
                    room_index=0,
                    pms_id="101",
                    changed=("checkin", "checkout"),
                    request=make_request(
                        checkin=date(2026, 12, 11),
                        checkout=date(2026, 12, 15),
                        channex_revision_id="rev-2",
                    ),
                ),
            ),
            touched=(stay("ov", D10, D13), stay("ov", date(2026, 12, 11), date(2026, 12, 15))),
        ),
    ),
    (
        "room type and price changed: both fields, both categorias touched",
        make_revision(
            **MODIFIED,
            amount=Decimal("900.00"),
            rooms=(make_room(room_type_id="rt-lvu", amount=Decimal("900.00")),),
        ),
        APPLIED,
        RevisionPlan(
            modifies=(
                RoomModify(
                    room_index=0,
                    pms_id="101",
                    changed=("room_code", "total", "booking_total"),
                    request=make_request(
                        room_code="lvu",
                        total=Decimal("900.00"),
                        booking_total=Decimal("900.00"),
                        channex_revision_id="rev-2",
                    ),
                ),
            ),
            touched=(stay("ov", D10, D13), stay("lvu", D10, D13)),
        ),
    ),
    (
        "cancelled free of charge: the live room is cancelled, its nights touched",
        make_revision(id="rev-3", status="cancelled", inserted_at=T1, amount=Decimal("0.00")),
        APPLIED,
        RevisionPlan(
            cancels=(RoomCancel(room_index=0, pms_id="101", reason="cancelled at Booking.com"),),
            touched=(stay("ov", D10, D13),),
        ),
    ),
    (
        "cancelled booking we never created: a no-op",
        make_revision(status="cancelled"),
        {},
        RevisionPlan(),
    ),
    (
        "already cancelled room is not cancelled again",
        make_revision(id="rev-3", status="cancelled", inserted_at=T1),
        {0: AppliedRoom(pms_id="101", active=False, request=make_request())},
        RevisionPlan(),
    ),
    (
        "two rooms: one create each",
        make_revision(
            amount=Decimal("2000.00"),
            rooms=(make_room(amount=None), make_room(1, room_type_id="rt-lvu", amount=None)),
        ),
        {},
        RevisionPlan(
            creates=(
                make_request(
                    total=Decimal("1000.00"), booking_total=Decimal("2000.00"), rooms_in_booking=2
                ),
                make_request(
                    room_code="lvu",
                    room_index=1,
                    total=Decimal("1000.00"),
                    booking_total=Decimal("2000.00"),
                    rooms_in_booking=2,
                ),
            ),
            touched=(stay("ov", D10, D13), stay("lvu", D10, D13)),
        ),
    ),
    (
        "a room dropped from the booking is cancelled, the other kept",
        make_revision(**MODIFIED, amount=Decimal("1350.00"), rooms=(make_room(),)),
        {0: live(make_request()), 1: live(make_request(room_code="lvu", room_index=1), "102")},
        RevisionPlan(
            cancels=(RoomCancel(room_index=1, pms_id="102", reason="room removed at Booking.com"),),
            touched=(stay("lvu", D10, D13),),
        ),
    ),
    (
        "a room flagged is_cancelled is cancelled",
        make_revision(**MODIFIED, rooms=(make_room(), make_room(1, is_cancelled=True))),
        {0: live(make_request()), 1: live(make_request(room_index=1), "102")},
        RevisionPlan(
            cancels=(RoomCancel(room_index=1, pms_id="102", reason="room removed at Booking.com"),),
            touched=(stay("ov", D10, D13),),
        ),
    ),
    (
        "imported room (request unknown): modify sends every field, new nights touched",
        make_revision(**MODIFIED),
        {0: AppliedRoom(pms_id="77", active=True, request=None)},
        RevisionPlan(
            modifies=(
                RoomModify(
                    room_index=0,
                    pms_id="77",
                    changed=(
                        "room_code",
                        "checkin",
                        "checkout",
                        "guest_name",
                        "guest_email",
                        "guest_phone",
                        "adults",
                        "children",
                        "infants",
                        "child_ages",
                        "booker",
                        "total",
                        "currency",
                        "nights",
                        "services",
                        "taxes",
                        "withheld_taxes",
                        "payment",
                        "booking_total",
                        "rooms_in_booking",
                        "channel",
                        "ota_code",
                        "notes",
                    ),
                    request=make_request(channex_revision_id="rev-2"),
                ),
            ),
            touched=(stay("ov", D10, D13),),
        ),
    ),
    (
        "imported room cancelled: cancel its PMS booking, nights from the revision",
        make_revision(id="rev-3", status="cancelled", inserted_at=T1, amount=Decimal("0")),
        {0: AppliedRoom(pms_id="77", active=True, request=None)},
        RevisionPlan(
            cancels=(RoomCancel(room_index=0, pms_id="77", reason="cancelled at Booking.com"),),
            touched=(stay("ov", D10, D13),),
        ),
    ),
    (
        "a cancelled room back in the booking needs a person (its key is spent)",
        make_revision(**MODIFIED),
        {0: AppliedRoom(pms_id="101", active=False, request=make_request())},
        RevisionPlan(
            blocked=(
                Problem(
                    reason=ParkReason.ROOM_BACK_AFTER_CANCEL,
                    text="room 0: PMS booking 101 was cancelled"
                    " and the room is back in the booking",
                    details=(("pms_id", "101"),),
                ),
            )
        ),
    ),
    (
        "unmapped room types: nothing applied, every problem named",
        make_revision(
            rooms=(make_room(room_type_id=None), make_room(1), make_room(2, room_type_id="rt-x"))
        ),
        {},
        RevisionPlan(
            unmapped=(
                Problem(
                    reason=ParkReason.ROOM_UNMAPPED_AT_OTA,
                    text="room 0: room type missing (unmapped at the OTA)",
                ),
                Problem(
                    reason=ParkReason.ROOM_TYPE_NOT_MAPPED,
                    text="room 2: room type rt-x is not mapped",
                    details=(("room_type_id", "rt-x"),),
                ),
            )
        ),
    ),
]


@pytest.mark.parametrize(
    ("revision", "applied", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_plan_revision(
    revision: BookingRevision, applied: dict[int, AppliedRoom], expected: RevisionPlan
) -> None:
    assert plan(revision, applied, last_inserted_at=T0 if applied else None) == expected


def test_older_revision_is_stale() -> None:
    assert plan(make_revision(inserted_at=T0), APPLIED, last_inserted_at=T1) == RevisionPlan(
        stale=True
    )


def test_the_revision_last_applied_plans_nothing() -> None:
    """An imported booking's own revision must not turn into a full PATCH."""
    imported = {0: AppliedRoom(pms_id="77", active=True, request=None)}
    assert plan(make_revision(), imported, last_revision_id="rev-1") == RevisionPlan()


def test_currency_falls_back_to_the_property() -> None:
    result = plan(make_revision(currency=None), currency="BRL")
    assert result.creates == (make_request(),)
    assert plan(make_revision(currency=None)) == RevisionPlan(
        unmapped=(
            Problem(
                reason=ParkReason.CURRENCY_MISSING,
                text="currency missing (neither the revision nor the property has one)",
            ),
        )
    )


@pytest.mark.parametrize(
    ("changes", "guest_name", "ota_code"),
    [
        ({"customer": Person(name="  ")}, "Guest BDC-9996013801", "BDC-9996013801"),
        ({"customer": Person(name=""), "unique_id": None}, "Guest 9996013801", "9996013801"),
        (
            {"customer": Person(name=""), "unique_id": None, "ota_reservation_code": None},
            "Guest bk-1",
            None,
        ),
    ],
)
def test_guest_name_fallback(
    changes: dict[str, Any], guest_name: str, ota_code: str | None
) -> None:
    (created,) = plan(make_revision(**changes)).creates
    assert (created.guest_name, created.ota_code) == (guest_name, ota_code)


def test_no_ota_name_means_channex_channel() -> None:
    (created,) = plan(make_revision(ota_name=None)).creates
    assert created.channel == "Channex"


def test_vanished_phone_is_not_cleared() -> None:
    revision = make_revision(
        **MODIFIED, customer=Person(name="Maria Silva", email="maria@example.com")
    )
    assert plan(revision, APPLIED, last_inserted_at=T0) == RevisionPlan()


# --------------------------------------------------------------------------- multi-room pins


def test_an_unchanged_first_room_does_not_hide_the_second_rooms_change() -> None:
    """A two-room modification whose first room is unchanged still applies the second room's
    change (a `break` instead of a `continue` would skip it)."""
    rooms = (make_room(), make_room(1, room_type_id="rt-lvu", amount=Decimal("900.00")))
    first = plan(make_revision(amount=Decimal("2250.00"), rooms=rooms))
    applied = {r.room_index: live(r, f"10{r.room_index + 1}") for r in first.creates}
    changed = (rooms[0], dataclasses.replace(rooms[1], adults=1))
    revision = make_revision(**MODIFIED, amount=Decimal("2250.00"), rooms=changed)
    result = plan(revision, applied, last_inserted_at=T0)
    assert [(m.room_index, m.pms_id) for m in result.modifies] == [(1, "102")]
    assert result.cancels == ()
    assert result.creates == ()


def test_every_cancelled_room_gives_its_nights_back() -> None:
    """A multi-room cancellation touches the nights of every room, an imported one included."""
    applied = {
        0: AppliedRoom(pms_id="77", active=True, request=None),
        1: live(make_request(room_code="lvu", room_index=1), "102"),
        2: live(
            make_request(room_index=2, checkin=date(2026, 12, 20), checkout=D13 + timedelta(10)),
            "103",
        ),
    }
    revision = make_revision(id="rev-3", status="cancelled", inserted_at=T1)
    result = plan(revision, applied, last_inserted_at=T0)
    assert [c.pms_id for c in result.cancels] == ["77", "102", "103"]
    assert result.touched == (
        stay("ov", D10, D13),
        stay("lvu", D10, D13),
        stay("ov", date(2026, 12, 20), date(2026, 12, 23)),
    )


def test_every_removed_room_gives_its_nights_back() -> None:
    """Two rooms removed in one modification: both stays are touched."""
    applied = {
        0: live(make_request()),
        1: live(make_request(room_code="lvu", room_index=1), "102"),
        2: live(
            make_request(room_index=2, checkin=date(2026, 12, 20), checkout=date(2026, 12, 23)),
            "103",
        ),
    }
    result = plan(make_revision(**MODIFIED), applied, last_inserted_at=T0)
    assert [c.pms_id for c in result.cancels] == ["102", "103"]
    assert result.touched == (
        stay("lvu", D10, D13),
        stay("ov", date(2026, 12, 20), date(2026, 12, 23)),
    )


def test_every_moved_room_gives_old_and_new_nights() -> None:
    """Both rooms of a two-room booking move: the old and new nights of each are touched."""
    moved: dict[str, Any] = {"checkin": date(2026, 12, 11), "checkout": date(2026, 12, 14)}
    applied = {0: live(make_request()), 1: live(make_request(room_code="lvu", room_index=1), "102")}
    revision = make_revision(
        **MODIFIED,
        amount=Decimal("2700.00"),
        rooms=(make_room(**moved), make_room(1, room_type_id="rt-lvu", **moved)),
    )
    result = plan(revision, applied, last_inserted_at=T0)
    new_from, new_to = moved["checkin"], moved["checkout"]
    assert result.touched == (
        stay("ov", D10, D13),
        stay("ov", new_from, new_to),
        stay("lvu", D10, D13),
        stay("lvu", new_from, new_to),
    )


# --------------------------------------------------------------------------- whole bookings


PLANS = {"rp-ov": "padrao", "rp-parent": "cafe"}


def test_the_plan_is_the_mapped_plano_and_an_unmapped_one_is_noted() -> None:
    """A derived plan's room arrives with its parent (the parser resolves it): its plano is
    sent; a plan nobody mapped books anyway, without plano, and says so."""
    revision = make_revision(
        rooms=(make_room(0, rate_plan_id="rp-parent"), make_room(1, rate_plan_id="rp-x")),
        amount=Decimal("2700.00"),
    )
    result = plan(revision, plans_by_rate=PLANS.get)
    assert [(c.room_index, c.plan_code) for c in result.creates] == [(0, "cafe"), (1, None)]
    assert result.notes == ("room 1: rate plan rp-x is not mapped",)


def test_a_cancellation_fee_goes_on_the_first_live_room_only() -> None:
    applied = {
        0: AppliedRoom(pms_id="100", active=False, request=make_request()),
        1: live(make_request(room_index=1), "101"),
        2: live(make_request(room_index=2), "102"),
    }
    revision = make_revision(
        id="rev-3", status="cancelled", inserted_at=T1, amount=Decimal("76.50"), currency="EUR"
    )
    assert plan(revision, applied, last_inserted_at=T0).cancels == (
        RoomCancel(
            room_index=1,
            pms_id="101",
            reason="cancelled at Booking.com",
            fee=Decimal("76.50"),
            currency="EUR",
        ),
        RoomCancel(room_index=2, pms_id="102", reason="cancelled at Booking.com"),
    )


def test_only_the_room_ids_changed_the_room_is_recorded_not_sent() -> None:
    """Channex renewed booking_room_id and nothing else changed: no PMS call, but the new id
    is stored so the next revision still finds the room."""
    first = plan(make_revision(rooms=(make_room(booking_room_id="a", ota_unique_id="49"),)))
    (request,) = first.creates
    renewed = make_revision(**MODIFIED, rooms=(make_room(booking_room_id="b", ota_unique_id="49"),))
    result = plan(renewed, {0: live(request)}, last_inserted_at=T0)
    assert (result.creates, result.modifies, result.cancels) == ((), (), ())
    assert result.records == (
        RoomRecord(
            room_index=0,
            pms_id="101",
            request=dataclasses.replace(request, channex_revision_id="rev-2", booking_room_id="b"),
        ),
    )


def test_a_notes_only_change_is_a_patch_of_the_notes() -> None:
    (request,) = plan(make_revision()).creates
    result = plan(
        make_revision(**MODIFIED, notes="arriving by boat"), {0: live(request)}, last_inserted_at=T0
    )
    assert [(m.pms_id, m.changed) for m in result.modifies] == [("101", ("notes",))]
    assert result.modifies[0].request.notes == "arriving by boat\n[Channex] Pagamento: no hotel"


def test_a_new_room_beside_kept_ones_takes_the_next_slot() -> None:
    """Slots are never reused: a room added after another was removed gets a fresh
    Idempotency-Key, so sistema-os cannot answer it with the removed room's booking."""
    applied = {
        0: live(make_request()),
        1: AppliedRoom(pms_id="102", active=False, request=make_request(room_index=1)),
    }
    revision = make_revision(
        **MODIFIED,
        amount=Decimal("2700.00"),
        rooms=(make_room(), make_room(1, room_type_id="rt-lvu", booking_room_id="new")),
    )
    (created,) = plan(revision, applied, last_inserted_at=T0).creates
    assert (created.room_index, created.idempotency_key) == (2, "bk-1:2")


def test_a_booker_who_disappears_or_loses_a_detail_keeps_what_the_pms_has() -> None:
    (request,) = plan(make_revision()).creates
    applied = {0: live(request)}
    gone = plan(make_revision(**MODIFIED, customer=Person(name="")), applied, last_inserted_at=T0)
    assert [m.request.booker for m in gone.modifies] == [None]
    renamed = plan(
        make_revision(**MODIFIED, customer=Person(name="", email="new@example.com")),
        applied,
        last_inserted_at=T0,
    )
    assert [m.request.booker for m in renamed.modifies] == [
        dataclasses.replace(BOOKER, email="new@example.com")
    ]


def test_an_imported_room_the_revision_cannot_place_gives_no_nights() -> None:
    """A cancelled booking's imported slot with no room at its position, or an unmapped one:
    cancelled all the same, with no nights to guess."""
    applied = {
        0: AppliedRoom(pms_id="70", active=True, request=None),
        1: AppliedRoom(pms_id="71", active=True, request=None),
    }
    revision = make_revision(
        id="rev-3",
        status="cancelled",
        inserted_at=T1,
        amount=Decimal("0"),
        rooms=(make_room(room_type_id="rt-unknown"),),
    )
    result = plan(revision, applied, last_inserted_at=T0)
    assert ([c.pms_id for c in result.cancels], result.touched) == (["70", "71"], ())


def test_reordered_rooms_without_ids_change_nothing_and_the_extras_stay_put() -> None:
    """Booking-level services ride on the room of the first slot wherever it now stands."""
    breakfast = Service(name="Breakfast", total=Decimal("20.00"))
    rooms = (
        make_room(0, amount=Decimal("100.00")),
        make_room(1, room_type_id="rt-lvu", amount=Decimal("200.00")),
    )
    first = plan(make_revision(amount=Decimal("320.00"), rooms=rooms, services=(breakfast,)))
    assert [(c.room_index, c.services) for c in first.creates] == [(0, (breakfast,)), (1, ())]
    applied = {c.room_index: live(c, f"p{c.room_index}") for c in first.creates}
    swapped = tuple(
        dataclasses.replace(room, index=position) for position, room in enumerate(reversed(rooms))
    )
    result = plan(
        make_revision(**MODIFIED, amount=Decimal("320.00"), rooms=swapped, services=(breakfast,)),
        applied,
        last_inserted_at=T0,
    )
    assert result == RevisionPlan()


def test_rooms_that_do_not_add_up_are_applied_with_a_note() -> None:
    result = plan(make_revision(amount=Decimal("1400.00")))
    assert [c.total for c in result.creates] == [Decimal("1400.00")]
    assert result.notes == (
        "the rooms add up to 1350.00, not the booking amount 1400.00:"
        " 50.00 put on the room that carries the booking",
    )


def test_new_rooms_take_one_fresh_slot_each() -> None:
    revision = make_revision(
        **MODIFIED,
        amount=Decimal("4050.00"),
        rooms=(make_room(0), make_room(1, adults=1), make_room(2, adults=3)),
    )
    result = plan(revision, {0: live(make_request())}, last_inserted_at=T0)
    assert [c.room_index for c in result.creates] == [1, 2]


def test_a_cancellation_fee_takes_the_property_currency_when_the_revision_has_none() -> None:
    revision = make_revision(
        id="rev-3", status="cancelled", inserted_at=T1, amount=Decimal("10"), currency=None
    )
    (cancel,) = plan(revision, APPLIED, last_inserted_at=T0, currency="BRL").cancels
    assert (cancel.fee, cancel.currency) == (Decimal("10"), "BRL")


def test_a_revision_stamped_the_same_moment_is_not_stale() -> None:
    same_moment = make_revision(id="rev-2", status="modified", inserted_at=T0)
    assert plan(same_moment, APPLIED, last_inserted_at=T0).stale is False


@pytest.mark.parametrize(
    ("checkin", "checkout", "problem"),
    [
        (date(2026, 1, 1), date(2027, 1, 3), "stay of 367 nights is longer than 366"),
        (date(2026, 1, 1), date(2027, 1, 2), None),
        (date(2025, 10, 1), date(2025, 10, 29), "stay ended 2025-10-29, more than 366 days ago"),
        (date(2025, 10, 1), date(2025, 10, 30), None),
        (date(2029, 11, 1), date(2029, 11, 2), "stay starts 2029-11-01, more than 1096 days ahead"),
        (date(2029, 10, 31), date(2029, 11, 2), None),
    ],
)
def test_stay_problem(checkin: date, checkout: date, problem: str | None) -> None:
    """Bounds around `today` 2026-10-31: exactly at each limit is still a booking."""
    assert stay_problem(checkin, checkout, date(2026, 10, 31)) == problem


def test_an_implausible_stay_blocks_with_every_problem_named() -> None:
    revision = make_revision(
        rooms=(
            make_room(0, room_type_id="rt-x"),
            make_room(1, checkin=date(2029, 11, 1), checkout=date(2029, 11, 2)),
        )
    )
    assert plan(revision, today=date(2026, 10, 31)) == RevisionPlan(
        unmapped=(
            Problem(
                reason=ParkReason.ROOM_TYPE_NOT_MAPPED,
                text="room 0: room type rt-x is not mapped",
                details=(("room_type_id", "rt-x"),),
            ),
        ),
        blocked=(
            Problem(
                reason=ParkReason.STAY_IMPLAUSIBLE,
                text="room 1: stay starts 2029-11-01, more than 1096 days ahead",
                details=(("problem", "stay starts 2029-11-01, more than 1096 days ahead"),),
            ),
        ),
    )
    alone = make_revision(rooms=(make_room(checkin=date(2029, 11, 1), checkout=date(2029, 11, 2)),))
    assert plan(alone, today=date(2026, 10, 31)) == RevisionPlan(
        blocked=(
            Problem(
                reason=ParkReason.STAY_IMPLAUSIBLE,
                text="room 0: stay starts 2029-11-01, more than 1096 days ahead",
                details=(("problem", "stay starts 2029-11-01, more than 1096 days ahead"),),
            ),
        )
    )
