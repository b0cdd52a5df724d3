"""ARI push bodies shown compactly on the Calls page, ids turned back into codes."""

from __future__ import annotations

import orjson

from middleware.console.calls import compact_values
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap

MAPPING = Mapping(
    (
        PropertyMap(
            property_id="p1",
            name="Duke Beach",
            currency="BRL",
            timezone="America/Sao_Paulo",
            room_types=(
                RoomTypeMap(
                    room_code="lvu",
                    room_type_id="rt-lvu",
                    rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-lvu"),),
                ),
            ),
        ),
    )
)


def test_each_value_is_one_line_with_codes_days_and_fields() -> None:
    body = orjson.dumps(
        {
            "values": [
                {
                    "property_id": "p1",
                    "rate_plan_id": "rp-lvu",
                    "date": "2026-12-15",
                    "rate": 77700,
                },
                {
                    "property_id": "p1",
                    "room_type_id": "rt-lvu",
                    "date_from": "2026-12-01",
                    "date_to": "2026-12-31",
                    "days": ["fr", "sa"],
                    "availability": 3,
                },
                {
                    "property_id": "p1",
                    "rate_plan_id": "unknown-plan-id",
                    "date": "2026-12-02",
                    "stop_sell": True,
                },
            ]
        }
    ).decode()
    assert compact_values(MAPPING, body) == (
        "lvu/padrao 2026-12-15 rate=77700",
        "lvu 2026-12-01..2026-12-31 fr,sa availability=3",
        "unknown- 2026-12-02 stop_sell=True",
    )


def test_other_bodies_show_nothing_and_a_cut_body_says_so() -> None:
    assert compact_values(MAPPING, None) == ()
    assert compact_values(MAPPING, '{"data": []}') == ()
    assert compact_values(MAPPING, '{"values": [{"property_id": "p1"') == ("(body cut short)",)
