"""Canonical text of field values round-trips and compares equal for equal values."""

from decimal import Decimal

import pytest

from middleware.domain.models import FieldValue, PlanDay, value_from_text, value_to_text


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
