"""The mapping's lookups: by Channex id, and by code within a property."""

from typing import Any

from middleware.mapping_file import parse_mapping


def hotel_doc(property_id: str, suffix: str) -> dict[str, Any]:
    """A property mapping the codes every hotel of the group has: lvu and ov, plano padrao."""
    return {
        "channex_property_id": property_id,
        "name": f"Hotel {suffix}",
        "currency": "BRL",
        "timezone": "America/Sao_Paulo",
        "room_types": [
            {
                "categoria": code,
                "channex_room_type_id": f"rt-{code}-{suffix}",
                "rate_plans": [{"plano": "padrao", "channex_rate_plan_id": f"rp-{code}-{suffix}"}],
            }
            for code in ("lvu", "ov")
        ],
    }


def test_two_properties_may_map_the_same_categoria_and_plano() -> None:
    """Codes are unique per property (pms-contract §5.1): each lookup stays in its hotel."""
    mapping = parse_mapping({"properties": [hotel_doc("pa", "a"), hotel_doc("pb", "b")]})
    found = {
        (property_id, code): (ref.property.property_id, ref.room.room_type_id)
        for property_id in ("pa", "pb")
        for code in ("lvu", "ov")
        if (ref := mapping.by_room_code(property_id, code)) is not None
    }
    assert found == {
        ("pa", "lvu"): ("pa", "rt-lvu-a"),
        ("pa", "ov"): ("pa", "rt-ov-a"),
        ("pb", "lvu"): ("pb", "rt-lvu-b"),
        ("pb", "ov"): ("pb", "rt-ov-b"),
    }
    assert mapping.by_room_code("pa", "twin") is None
    assert mapping.by_room_code("nowhere", "lvu") is None
    prop_b = mapping.properties[1]
    room = prop_b.room("lvu")
    assert room is not None and room.room_type_id == "rt-lvu-b"
    plan = room.plan("padrao")
    assert plan is not None and plan.rate_plan_id == "rp-lvu-b"
    assert (prop_b.room("twin"), room.plan("cafe")) == (None, None)
    assert prop_b.room_codes() == ("lvu", "ov")
    assert mapping.room_codes() == ("lvu", "ov")  # each code once, whoever maps it
    assert [p.property_id for p in mapping.properties_with("lvu")] == ["pa", "pb"]
    assert mapping.properties_with("twin") == ()
    rate = mapping.by_rate_plan("rp-lvu-a")
    assert rate is not None and rate.plan is not None
    assert (rate.property.property_id, rate.room.room_code, rate.plan.plan_code) == (
        "pa",
        "lvu",
        "padrao",
    )
