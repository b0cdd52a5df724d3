"""What an operator may ask an incremental sync for when hotels share categoria codes: the
codes are checked in the property named, else in any property, and the dates against the
horizon of the hotels concerned."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.sync_scope import check_scope
from middleware.errors import PayloadError

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)  # 31 Oct at A, 21:00 on 31 Oct at B
HORIZON_DAYS = 10


def hotel(property_id: str, name: str, timezone: str, *codes: str) -> PropertyMap:
    return PropertyMap(
        property_id=property_id,
        name=name,
        currency="BRL",
        timezone=timezone,
        room_types=tuple(
            RoomTypeMap(
                room_code=code,
                room_type_id=f"rt-{code}-{property_id}",
                rate_plans=(
                    RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}-{property_id}"),
                ),
            )
            for code in codes
        ),
    )


# Hotel A in São Paulo, hotel B in Tokyo: both have "lvu" in their own sistema-os.
GROUP = Mapping(
    (
        hotel("pa", "Hotel A", "America/Sao_Paulo", "lvu", "ov"),
        hotel("pb", "Hotel B", "Asia/Tokyo", "lvu", "std"),
    )
)


def check(
    codes: tuple[str, ...] | None,
    property_ref: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    now: datetime = NOW,
) -> None:
    check_scope(
        GROUP,
        room_codes=codes,
        date_from=date_from,
        date_to=date_to,
        now=now,
        horizon_days=HORIZON_DAYS,
        property_ref=property_ref,
    )


@pytest.mark.parametrize(
    ("codes", "property_ref"),
    [
        (("lvu",), None),  # shared: mapped somewhere
        (("lvu", "std", "ov"), None),  # each by some hotel
        (("lvu", "ov"), "pa"),
        (("lvu", "std"), "Hotel B"),  # the mapping name works as well as the Channex id
        (None, "pb"),
    ],
)
def test_codes_mapped_where_asked_pass(codes: tuple[str, ...] | None, property_ref: str) -> None:
    check(codes, property_ref)


@pytest.mark.parametrize(
    ("codes", "property_ref", "error"),
    [
        (("std",), "pa", "categorias not in the mapping of Hotel A: std; mapped: lvu, ov"),
        (
            ("lvu", "ov"),
            "Hotel B",
            "categorias not in the mapping of Hotel B: ov; mapped: lvu, std",
        ),
        (("lvuu",), None, "categorias not in the mapping: lvuu; mapped: lvu, ov, std"),
        (("lvu",), "nowhere", "'property' 'nowhere' is not mapped"),
    ],
)
def test_a_code_the_property_asked_does_not_map_is_refused(
    codes: tuple[str, ...], property_ref: str | None, error: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        check(codes, property_ref)
    assert str(caught.value) == error


def test_the_dates_are_those_of_the_hotels_concerned() -> None:
    """Late evening in São Paulo it is already tomorrow in Tokyo: "ov" (hotel A only) may start
    today at A, but hotel B's "std" may not start on A's today."""
    late = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)  # 31 Oct 23:00 at A, 1 Nov 11:00 at B
    check(("ov",), date_from=date(2026, 10, 31), now=late)
    check(("lvu",), date_from=date(2026, 10, 31), now=late)  # A has "lvu" too
    with pytest.raises(PayloadError) as caught:
        check(("std",), date_from=date(2026, 10, 31), now=late)
    assert str(caught.value) == (
        "date_from 2026-10-31 is in the past (today at the hotel is 2026-11-01)"
    )
    with pytest.raises(PayloadError) as caught:
        check(("lvu",), "pb", date_from=date(2026, 10, 31), now=late)
    assert str(caught.value) == (
        "date_from 2026-10-31 is in the past (today at the hotel is 2026-11-01)"
    )
