"""Canonical text of field values round-trips and compares equal for equal values."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from middleware.domain.models import (
    FieldValue,
    PlanDay,
    PmsBookingChanges,
    PmsBookingRequest,
    value_from_text,
    value_to_text,
)


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("rate", Decimal("450.00"), "450"),
        ("rate", Decimal("456.23"), "456.23"),
        ("rate", Decimal("1E+3"), "1000"),
        ("availability", 7, "7"),
        ("min_stay_arrival", 2, "2"),
        ("stop_sell", True, "true"),
        ("closed_to_arrival", False, "false"),
    ],
)
def test_text_round_trip(field: str, value: FieldValue, text: str) -> None:
    assert value_to_text(field, value) == text
    assert value_from_text(field, text) == value


def test_plan_day_fields_skips_unmanaged() -> None:
    day = PlanDay(plan_code="padrao", rate=Decimal("10.50"), stop_sell=False, max_stay=0)
    assert day.fields() == {"rate": Decimal("10.50"), "max_stay": 0, "stop_sell": False}


def test_no_booking_changes_is_empty() -> None:
    assert PmsBookingChanges().is_empty() is True


@pytest.mark.parametrize(
    "change",
    [
        {"room_code": "lvu"},
        {"checkin": date(2026, 12, 1)},
        {"checkout": date(2026, 12, 3)},
        {"guest_name": "Ana"},
        {"guest_phone": "+55 11 99999-0000"},
        {"adults": 0},
        {"children": 0},
        {"total": Decimal("0.00")},
    ],
    ids=lambda change: next(iter(change)),
)
def test_any_one_change_is_not_empty(change: dict[str, Any]) -> None:
    """Every field counts, a falsy one (0 adults, a total of 0.00) included."""
    assert PmsBookingChanges(**change).is_empty() is False


def test_a_pms_booking_is_keyed_by_booking_and_room() -> None:
    request = PmsBookingRequest(
        room_code="ov",
        checkin=date(2026, 12, 1),
        checkout=date(2026, 12, 3),
        guest_name="Ana",
        guest_email=None,
        guest_phone=None,
        adults=2,
        children=0,
        total=Decimal("900.00"),
        currency="BRL",
        channel="booking.com",
        ota_code="BDC-1",
        channex_booking_id="bk-7",
        channex_revision_id="rev-3",
        room_index=1,
        notes=None,
    )
    assert request.idempotency_key == "bk-7:1"
