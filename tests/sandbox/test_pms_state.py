"""The emulator's hotel model: apartments, availability, guests, overrides (no HTTP)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from middleware.sandbox.pms_hotel import Restrictions, load_hotel
from middleware.sandbox.pms_state import (
    CANCELLED,
    CONFIRMED,
    BookingCancelledError,
    BookingChanges,
    BookingRequest,
    Guest,
    InvalidStayError,
    NoFreeApartmentError,
    PlanDay,
    PmsState,
    PmsStateError,
    UnknownBookingError,
    UnknownCategoriaError,
    UnknownPlanError,
)

D = date(2026, 8, 10)  # a Monday in baixa


def day(n: int) -> date:
    return date.fromordinal(D.toordinal() + n)


def request(categoria: str, checkin: int, checkout: int, **kw: object) -> BookingRequest:
    return BookingRequest(
        categoria=categoria,
        checkin=day(checkin),
        checkout=day(checkout),
        guest_name=str(kw.pop("guest_name", "Maria Silva")),
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def state() -> PmsState:
    return PmsState(load_hotel("duke_beach"))


def test_availability_drops_with_a_booking_and_returns_on_cancel(state: PmsState) -> None:
    booking = state.create_booking(request("ov", 1, 3, valor_total=Decimal("1058.00")))
    assert booking == replace(
        booking,
        id=1,
        categoria="ov",
        apartamento="OV-109",
        status=CONFIRMED,
        guest=Guest(id=1, name="Maria Silva"),
        valor_total=Decimal("1058.00"),
        currency="BRL",
    )
    assert [state.available("ov", day(n)) for n in range(5)] == [5, 4, 4, 5, 5]
    cancelled = state.cancel_booking(booking.id, "guest no longer travels")
    assert (cancelled.status, cancelled.cancel_reason) == (CANCELLED, "guest no longer travels")
    assert [state.available("ov", day(n)) for n in range(5)] == [5] * 5
    assert state.cancel_booking(booking.id, "again") == cancelled


def test_full_categoria_refuses_and_an_apartment_must_be_free_every_night(
    state: PmsState,
) -> None:
    first = state.create_booking(request("ovp", 0, 1))
    second = state.create_booking(request("ovp", 1, 2))
    assert (first.apartamento, second.apartamento) == ("OVP-405", "OVP-405")
    state.create_booking(request("ovp", 0, 1))  # OVP-406 on night 0 only
    # night 0 has no apartment left; nights 1..2: OVP-406 is free on both
    with pytest.raises(NoFreeApartmentError, match="no ovp apartment is free"):
        state.create_booking(request("ovp", 0, 2))
    assert state.create_booking(request("ovp", 1, 3)).apartamento == "OVP-406"
    with pytest.raises(NoFreeApartmentError):
        state.create_booking(request("ovp", 1, 2))
    assert [b.id for b in state.bookings()] == [1, 2, 3, 4]


def test_stays_and_codes_are_checked(state: PmsState) -> None:
    with pytest.raises(InvalidStayError, match="data_checkout 2026-08-10 must be after"):
        state.create_booking(request("lvu", 0, 0))
    with pytest.raises(UnknownCategoriaError, match="unknown categoria 'suite'"):
        state.create_booking(request("suite", 0, 1))
    with pytest.raises(UnknownBookingError, match="booking 9 not found"):
        state.cancel_booking(9)
    assert state.bookings() == []


def test_guest_is_found_by_email_then_phone_else_created(state: PmsState) -> None:
    a = state.find_or_create_guest("Ana", "ana@example.com", "+55 11 99999-0000")
    assert state.find_or_create_guest("Ana B.", " ANA@example.com", None) == a
    assert state.find_or_create_guest("Ana", "other@example.com", "5511999990000") == a
    b = state.find_or_create_guest("Bruno", None, "+55 21 98888-1111")
    c = state.find_or_create_guest("Carla", None, None)
    assert state.guests() == [
        Guest(id=1, name="Ana", email="ana@example.com", phone="+55 11 99999-0000"),
        Guest(id=2, name="Bruno", phone="+55 21 98888-1111"),
        Guest(id=3, name="Carla"),
    ]
    assert (b.id, c.id) == (2, 3)


def test_date_change_keeps_the_apartment_when_it_can(state: PmsState) -> None:
    a = state.create_booking(request("dlvu", 0, 2))
    state.create_booking(request("dlvu", 3, 5))  # DLVU-401 again: free from night 3
    moved = state.modify_booking(a.id, BookingChanges(checkout=day(3), adults=2))
    assert (moved.apartamento, moved.checkout, moved.adults) == ("DLVU-401", day(3), 2)
    longer = state.modify_booking(a.id, BookingChanges(checkout=day(4)))
    assert longer.apartamento == "DLVU-402"  # DLVU-401 is taken from night 3
    assert [state.available("dlvu", day(n)) for n in range(5)] == [1, 1, 1, 0, 1]


def test_categoria_change_reassigns_or_leaves_the_booking_whole(state: PmsState) -> None:
    a = state.create_booking(request("lvu", 0, 2, guest_name="Ana"))
    state.create_booking(request("ovp", 1, 2))
    state.create_booking(request("ovp", 1, 2))
    with pytest.raises(NoFreeApartmentError):
        state.modify_booking(a.id, BookingChanges(categoria="ovp", guest_name="Ana Maria"))
    assert state.booking(a.id) == a
    upgraded = state.modify_booking(a.id, BookingChanges(categoria="ov", guest_name="Ana Maria"))
    assert (upgraded.categoria, upgraded.apartamento, upgraded.guest.name) == (
        "ov",
        "OV-109",
        "Ana Maria",
    )
    assert (state.available("lvu", day(0)), state.available("ov", day(0))) == (11, 4)
    state.cancel_booking(a.id)
    with pytest.raises(BookingCancelledError):
        state.modify_booking(a.id, BookingChanges(adults=3))


def test_overrides_win_over_the_data_file(state: PmsState) -> None:
    state.set_rate("lvu", "padrao", day(1), day(2), Decimal("400"))
    state.set_restrictions("lvu", "padrao", day(2), day(3), min_stay_arrival=2, stop_sell=True)
    cells = [state.plan_day("lvu", "padrao", day(n)) for n in range(4)]
    assert cells == [
        PlanDay(plano="padrao", rate=Decimal("329.00"), restrictions=Restrictions()),
        PlanDay(plano="padrao", rate=Decimal("400.00"), restrictions=Restrictions()),
        PlanDay(
            plano="padrao",
            rate=Decimal("400.00"),
            restrictions=Restrictions(min_stay_arrival=2, stop_sell=True),
        ),
        PlanDay(
            plano="padrao",
            rate=Decimal("329.00"),
            restrictions=Restrictions(min_stay_arrival=2, stop_sell=True),
        ),
    ]
    assert state.quote("lvu", day(0), day(3)) == Decimal("1129.00")
    with pytest.raises(UnknownPlanError, match="categoria 'lvu' has no plano 'bb'"):
        state.set_rate("lvu", "bb", day(0), day(0), Decimal("1"))
    with pytest.raises(PmsStateError, match="bad restriction min_stay_arrival=True"):
        state.set_restrictions("lvu", "padrao", day(0), day(0), min_stay_arrival=True)
    with pytest.raises(PmsStateError, match="is before date_from"):
        state.set_rate("lvu", "padrao", day(1), day(0), Decimal("1"))
