"""The money of a booking split over its PMS bookings, and a cancellation's fee."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from middleware.domain.booking_money import cancellation_fee, room_totals, step
from middleware.domain.revision import Service
from tests.domain.test_bookings import make_revision, make_room

BREAKFAST = Service(name="Breakfast", kind="meal", quantity=2, total=Decimal("20.00"))


def test_booking_level_services_go_on_the_primary_room() -> None:
    """Channex's Booking.com example: 220.00 = one room of 200.00 + a 20.00 breakfast."""
    revision = make_revision(
        amount=Decimal("220.00"),
        rooms=(make_room(amount=Decimal("200.00")),),
        services=(BREAKFAST,),
    )
    assert room_totals(revision, currency="EUR").totals == {0: Decimal("220.00")}


def test_two_rooms_add_up_with_services_on_the_room_that_carries_the_booking() -> None:
    revision = make_revision(
        amount=Decimal("520.00"),
        rooms=(
            make_room(0, amount=Decimal("300.00")),
            make_room(1, amount=Decimal("200.00"), services=(BREAKFAST,)),
        ),
        services=(Service(name="Parking", total=Decimal("0.00")),),
    )
    result = room_totals(revision, currency="BRL", primary=1)
    assert result.totals == {0: Decimal("300.00"), 1: Decimal("220.00")}
    assert result.problem is None


def test_room_amounts_that_already_hold_their_services_are_not_counted_twice() -> None:
    revision = make_revision(
        amount=Decimal("200.00"),
        rooms=(make_room(amount=Decimal("200.00"), services=(BREAKFAST,)),),
    )
    assert room_totals(revision, currency="BRL") == room_totals(
        make_revision(amount=Decimal("200.00"), rooms=(make_room(amount=Decimal("200.00")),)),
        currency="BRL",
    )


def test_a_gap_to_the_booking_amount_goes_on_the_primary_room_and_is_reported() -> None:
    revision = make_revision(
        amount=Decimal("505.00"),
        rooms=(make_room(0, amount=Decimal("300.00")), make_room(1, amount=Decimal("200.00"))),
    )
    result = room_totals(revision, currency="BRL")
    assert result.totals == {0: Decimal("305.00"), 1: Decimal("200.00")}
    assert result.problem == (
        "the rooms add up to 500.00, not the booking amount 505.00:"
        " 5.00 put on the room that carries the booking"
    )


def test_three_decimal_currencies_keep_their_three() -> None:
    revision = make_revision(
        currency="KWD",
        amount=Decimal("100.005"),
        rooms=(make_room(0, amount=None), make_room(1, amount=None)),
    )
    totals = room_totals(revision, currency="KWD").totals
    assert {i: str(t) for i, t in totals.items()} == {0: "50.003", 1: "50.002"}


@pytest.mark.parametrize(
    ("currency", "unit"), [("BRL", "0.01"), ("KWD", "0.001"), ("JPY", "1"), ("XYZ", "0.01")]
)
def test_step(currency: str, unit: str) -> None:
    assert str(step(currency)) == unit


@pytest.mark.parametrize(
    ("amount", "services", "fee"),
    [
        ("76.50", [("Cancellation Fee", "76.50")], Decimal("76.50")),  # Booking.com's example
        ("80.00", [("Cancellation Fee", "76.50"), ("Breakfast", "3.50")], Decimal("76.50")),
        ("120.00", [], Decimal("120.00")),  # Airbnb keeps its payout as the amount
        ("0.00", [], None),
        (None, [], None),
    ],
)
def test_cancellation_fee(
    amount: str | None, services: list[tuple[str, str]], fee: Decimal | None
) -> None:
    revision = make_revision(
        status="cancelled",
        amount=None if amount is None else Decimal(amount),
        services=tuple(Service(name=n, total=Decimal(t)) for n, t in services),
    )
    assert cancellation_fee(revision) == fee


@settings(deadline=None)
@given(
    amounts=st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=10**7)), min_size=1, max_size=5
    ),
    extra=st.integers(min_value=0, max_value=10**6),
    services=st.lists(st.integers(min_value=0, max_value=10**5), max_size=3),
    currency=st.sampled_from(["BRL", "KWD", "JPY"]),
)
def test_the_rooms_always_add_up_to_the_booking_amount(
    amounts: list[int | None], extra: int, services: list[int], currency: str
) -> None:
    """Whatever the rooms say, the PMS totals add up to what the guest pays (when they can:
    the rooms alone never exceed the amount here)."""
    unit = step(currency)
    rooms = tuple(
        make_room(i, amount=None if a is None else a * unit) for i, a in enumerate(amounts)
    )
    booking_services = tuple(Service(name="S", total=s * unit) for s in services)
    known = sum((a for a in amounts if a is not None), 0) + sum(services)
    amount = (known + extra) * unit
    revision = make_revision(
        currency=currency, amount=amount, rooms=rooms, services=booking_services
    )
    totals = room_totals(revision, currency=currency).totals
    assert sum(totals.values()) == amount
    assert all(total >= 0 and total == total.quantize(unit) for total in totals.values())
