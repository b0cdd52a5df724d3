"""Canonical text of field values round-trips and compares equal for equal values."""

from datetime import date
from decimal import Decimal

import pytest

from middleware.domain.models import FieldValue, PlanDay, value_from_text, value_to_text
from middleware.domain.pms_booking import PmsBookingRequest


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
