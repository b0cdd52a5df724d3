"""The money of a booking split over its PMS bookings, and a cancellation's fee."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from middleware.domain import money
from middleware.domain.booking_money import (
    RoomTotals,
    cancellation_fee,
    room_totals,
    services_total,
)
from middleware.domain.revision import Service
from tests.domain.test_booking_plan import make_revision, make_room

BREAKFAST = Service(name="Breakfast", kind="meal", quantity=2, total=Decimal("20.00"))


def test_booking_level_services_go_on_the_primary_room() -> None:
    """Channex's Booking.com example: 220.00 = one room of 200.00 + a 20.00 breakfast."""
    revision = make_revision(
        amount=Decimal("220.00"),
        rooms=(make_room(amount=Decimal("200.00")),),
        services=(BREAKFAST,),
    )
    assert room_totals(revision, currency="EUR") == RoomTotals(totals={0: Decimal("220.00")})


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
    assert result == RoomTotals(totals={0: Decimal("300.00"), 1: Decimal("220.00")})


def test_booking_level_services_follow_the_primary_room_wherever_it_stands() -> None:
    revision = make_revision(
        amount=Decimal("530.00"),
        rooms=(make_room(0, amount=Decimal("300.00")), make_room(1, amount=Decimal("200.00"))),
        services=(Service(name="Parking", total=Decimal("30.00")),),
    )
    assert room_totals(revision, currency="BRL", primary=1) == RoomTotals(
        totals={0: Decimal("300.00"), 1: Decimal("230.00")}
    )
    assert room_totals(revision, currency="BRL") == RoomTotals(
        totals={0: Decimal("330.00"), 1: Decimal("200.00")}
    )


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
    ("amount", "services", "fee"),
    [
        ("76.50", [("Cancellation Fee", "76.50")], Decimal("76.50")),  # Booking.com's example
        ("80.00", [("Cancellation Fee", "76.50"), ("Breakfast", "3.50")], Decimal("76.50")),
        ("120.00", [], Decimal("120.00")),  # Airbnb keeps its payout as the amount
        ("0.50", [], Decimal("0.50")),
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
    unit = money.unit(currency)
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


def _money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@pytest.mark.parametrize(
    ("amount", "room_amounts", "expected"),
    [
        ("300.50", ["100", "200.5"], ["100.00", "200.50"]),
        ("100.00", [None, None, None], ["33.34", "33.33", "33.33"]),
        ("100.01", ["50", None, None], ["50.00", "25.01", "25.00"]),
        (None, [None, None], ["0.00", "0.00"]),
        # The booking amount is what the guest pays: a room amount above it gives way.
        ("10", ["30", None], ["10.00", "0.00"]),
    ],
)
def test_room_totals(
    amount: str | None, room_amounts: list[str | None], expected: list[str]
) -> None:
    """Room amounts win; otherwise an even split, the odd cent on the first room; text equal
    too (quantized to the cent)."""
    rooms = tuple(make_room(i, amount=_money(a)) for i, a in enumerate(room_amounts))
    totals = room_totals(make_revision(amount=_money(amount), rooms=rooms), currency="BRL")
    assert {i: str(total) for i, total in totals.totals.items()} == dict(enumerate(expected))


def test_room_totals_skip_cancelled_rooms() -> None:
    rooms = (make_room(amount=None), make_room(1, amount=None, is_cancelled=True))
    totals = room_totals(make_revision(amount=Decimal("90"), rooms=rooms), currency="BRL")
    assert totals.totals == {0: Decimal("90.00")}


@given(
    cents=st.integers(min_value=0, max_value=10**9),
    count=st.integers(min_value=1, max_value=7),
)
def test_an_even_split_adds_up_to_the_booking_amount(cents: int, count: int) -> None:
    amount = Decimal(cents).scaleb(-2)
    rooms = tuple(make_room(i, amount=None) for i in range(count))
    totals = room_totals(make_revision(amount=amount, rooms=rooms), currency="BRL").totals
    assert sum(totals.values()) == amount
    assert max(totals.values()) - min(totals.values()) < Decimal("0.01") * count


def test_nothing_live_has_no_totals_and_no_amount_settles_nothing() -> None:
    gone = make_revision(rooms=(make_room(is_cancelled=True),))
    assert room_totals(gone, currency="BRL") == RoomTotals(totals={})
    unknown = make_revision(amount=None, rooms=(make_room(amount=Decimal("10.005")),))
    assert room_totals(unknown, currency="BRL") == RoomTotals(totals={0: Decimal("10.01")})


def test_half_a_cent_rounds_up_both_on_rooms_and_on_the_booking() -> None:
    revision = make_revision(
        amount=Decimal("20.015"),
        rooms=(make_room(0, amount=Decimal("10.005")), make_room(1, amount=Decimal("10.01"))),
    )
    # half up: 10.005 → 10.01 (half even would give 10.00), and 20.015 → 20.02
    assert room_totals(revision, currency="BRL") == RoomTotals(
        totals={0: Decimal("10.01"), 1: Decimal("10.01")}
    )


def test_an_even_split_rounds_each_share_down() -> None:
    rooms = tuple(make_room(i, amount=None) for i in range(3))
    totals = room_totals(make_revision(amount=Decimal("0.05"), rooms=rooms), currency="BRL")
    assert totals == RoomTotals(totals={0: Decimal("0.03"), 1: Decimal("0.01"), 2: Decimal("0.01")})


def test_rooms_without_an_amount_share_what_is_left_after_their_own_services() -> None:
    """The booking amount pays for the priced room, the booking services and each room's
    own services first; the rest is the unpriced rooms' nights."""
    revision = make_revision(
        amount=Decimal("500.00"),
        rooms=(
            make_room(0, amount=Decimal("200.00")),
            make_room(1, amount=None, services=(BREAKFAST,)),
            make_room(2, amount=None),
        ),
        services=(Service(name="Parking", total=Decimal("60.00")),),
    )
    assert room_totals(revision, currency="BRL") == RoomTotals(
        totals={0: Decimal("260.00"), 1: Decimal("130.00"), 2: Decimal("110.00")}
    )


def test_room_services_beside_a_gap_are_counted_and_the_gap_reported() -> None:
    revision = make_revision(
        amount=Decimal("250.00"),
        rooms=(
            make_room(0, amount=Decimal("100.00")),
            make_room(1, amount=Decimal("100.00"), services=(BREAKFAST,)),
        ),
    )
    assert room_totals(revision, currency="BRL") == RoomTotals(
        totals={0: Decimal("130.00"), 1: Decimal("120.00")},
        problem=(
            "the rooms add up to 220.00, not the booking amount 250.00:"
            " 30.00 put on the room that carries the booking"
        ),
    )


def test_a_gap_that_would_leave_the_room_at_nothing_is_still_settled() -> None:
    revision = make_revision(
        amount=Decimal("100.00"),
        rooms=(make_room(0, amount=Decimal("50.00")), make_room(1, amount=Decimal("100.00"))),
    )
    assert room_totals(revision, currency="BRL") == RoomTotals(
        totals={0: Decimal("0.00"), 1: Decimal("100.00")},
        problem=(
            "the rooms add up to 150.00, not the booking amount 100.00:"
            " -50.00 put on the room that carries the booking"
        ),
    )


def test_a_gap_larger_than_the_room_is_reported_and_left() -> None:
    revision = make_revision(
        amount=Decimal("90.00"),
        rooms=(make_room(0, amount=Decimal("40.00")), make_room(1, amount=Decimal("100.00"))),
    )
    assert room_totals(revision, currency="BRL") == RoomTotals(
        totals={0: Decimal("40.00"), 1: Decimal("100.00")},
        problem="the rooms add up to 140.00, not the booking amount 90.00",
    )


def test_services_total_is_a_decimal_even_when_empty() -> None:
    assert repr(services_total(())) == "Decimal('0')"
    assert services_total((BREAKFAST, BREAKFAST)) == Decimal("40.00")


def test_the_booking_amount_rounds_half_up_too() -> None:
    """20.025 is 20.03 (half even would make it 20.02 and invent a gap)."""
    revision = make_revision(amount=Decimal("20.025"), rooms=(make_room(amount=Decimal("20.03")),))
    assert room_totals(revision, currency="BRL") == RoomTotals(totals={0: Decimal("20.03")})
