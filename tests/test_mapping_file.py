"""The mapping file: parsed into lookups, every problem named, written atomically."""

from pathlib import Path
from typing import Any

import pytest

from middleware.domain.mapping import PmsLink
from middleware.errors import MappingFileError
from middleware.mapping_file import load_mapping, mapping_document, parse_mapping, write_mapping
from tests.domain.test_mapping import hotel_doc

DOC = {
    "properties": [
        {
            "channex_property_id": "p1",
            "name": "Duke Beach",
            "currency": "BRL",
            "timezone": "America/Sao_Paulo",
            "room_types": [
                {
                    "categoria": "lvu",
                    "channex_room_type_id": "rt1",
                    "rate_plans": [{"plano": "padrao", "channex_rate_plan_id": "rp1"}],
                },
                {
                    "categoria": "ov",
                    "channex_room_type_id": "rt2",
                    "rate_plans": [
                        {"plano": "padrao", "channex_rate_plan_id": "rp2"},
                        {"plano": "cafe", "channex_rate_plan_id": "rp3"},
                    ],
                },
            ],
        }
    ]
}


def test_lookups_by_id_and_code(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"
    write_mapping(path, parse_mapping(DOC))
    mapping = load_mapping(path)
    ref = mapping.by_rate_plan("rp3")
    assert ref is not None and ref.plan is not None
    assert (ref.property.property_id, ref.room.room_code, ref.plan.plan_code) == (
        "p1",
        "ov",
        "cafe",
    )
    room = mapping.by_room_type("rt1")
    assert room is not None and room.room.room_code == "lvu"
    assert mapping.room_codes() == ("lvu", "ov")
    assert mapping_document(mapping) == DOC


def test_a_code_twice_in_one_property_is_refused_even_when_others_share_it() -> None:
    """A categoria twice in one hotel, or a plano twice in one categoria, is still refused;
    the same codes in another hotel are not a problem."""
    twice = hotel_doc("pb", "b")
    twice["room_types"].append(
        {
            "categoria": "lvu",
            "channex_room_type_id": "rt-lvu-b2",
            "rate_plans": [
                {"plano": "padrao", "channex_rate_plan_id": "rp-x1"},
                {"plano": "padrao", "channex_rate_plan_id": "rp-x2"},
            ],
        }
    )
    with pytest.raises(MappingFileError) as caught:
        parse_mapping({"properties": [hotel_doc("pa", "a"), twice]})
    assert caught.value.problems == (
        "properties[1].room_types[2]: categoria 'lvu' is mapped twice in this property",
        "properties[1].room_types[2].rate_plans[1]: plano 'padrao' is mapped twice in this"
        " categoria",
    )


def test_channex_ids_stay_unique_across_properties() -> None:
    other = hotel_doc("pb", "a")  # the same Channex room type and rate plan ids as hotel a
    with pytest.raises(MappingFileError) as caught:
        parse_mapping({"properties": [hotel_doc("pa", "a"), other]})
    assert caught.value.problems == (
        "properties[1].room_types[0]: id rt-lvu-a is used twice",
        "properties[1].room_types[0].rate_plans[0]: id rp-lvu-a is used twice",
        "properties[1].room_types[1]: id rt-ov-a is used twice",
        "properties[1].room_types[1].rate_plans[0]: id rp-ov-a is used twice",
    )


def test_every_problem_is_named() -> None:
    bad = {
        "properties": [
            {
                "channex_property_id": "p1",
                "currency": "REAL",
                "timezone": "Mars/Olympus",
                "room_types": [
                    {"categoria": "lvu", "channex_room_type_id": "rt1", "rate_plans": []},
                    {
                        "categoria": "lvu",
                        "channex_room_type_id": "rt1",
                        "rate_plans": [{"plano": "padrao"}],
                    },
                ],
            }
        ]
    }
    with pytest.raises(MappingFileError) as caught:
        parse_mapping(bad)
    assert caught.value.problems == (
        "properties[0]: currency 'REAL' is not an ISO-4217 code",
        "properties[0]: timezone 'Mars/Olympus' is unknown",
        "properties[0].room_types[0]: 'rate_plans' must be a non-empty list",
        "properties[0].room_types[1]: categoria 'lvu' is mapped twice in this property",
        "properties[0].room_types[1]: id rt1 is used twice",
        "properties[0].room_types[1].rate_plans[0]: "
        "'channex_rate_plan_id' must be a non-empty string",
    )


def test_missing_and_corrupt_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(MappingFileError, match="cannot be read"):
        load_mapping(tmp_path / "absent.json")
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{not json")
    with pytest.raises(MappingFileError, match="not valid JSON"):
        load_mapping(corrupt)


def test_a_room_type_title_is_optional_and_round_trips() -> None:
    document: dict[str, Any] = {
        "properties": [
            {
                "channex_property_id": "p-1",
                "name": "Duke Beach",
                "currency": "BRL",
                "timezone": "America/Sao_Paulo",
                "room_types": [
                    {
                        "categoria": "ov",
                        "title": "Ocean View",
                        "channex_room_type_id": "rt-ov",
                        "rate_plans": [{"plano": "padrao", "channex_rate_plan_id": "rp-ov"}],
                    },
                    {
                        "categoria": "lvu",
                        "channex_room_type_id": "rt-lvu",
                        "rate_plans": [{"plano": "padrao", "channex_rate_plan_id": "rp-lvu"}],
                    },
                ],
            }
        ]
    }
    mapping = parse_mapping(document)
    assert [(r.room_code, r.title) for r in mapping.properties[0].room_types] == [
        ("ov", "Ocean View"),
        ("lvu", ""),
    ]
    assert mapping_document(mapping) == document
    document["properties"][0]["room_types"][1]["title"] = 7
    with pytest.raises(MappingFileError) as caught:
        parse_mapping(document)
    assert caught.value.problems == ("properties[0].room_types[1]: 'title' must be a string",)


PMS_BLOCK = {
    "adapter": "sistemaos",
    "base_url": "http://duke.internal:8000/",
    "token_env": "PMS_API_TOKEN_DUKE",
    "webhook_token_env": "PMS_WEBHOOK_TOKEN_DUKE",
}


def test_a_property_may_name_its_own_pms_and_the_file_keeps_it(tmp_path: Path) -> None:
    doc = {"properties": [{**DOC["properties"][0], "pms": PMS_BLOCK}]}
    mapping = parse_mapping(doc)
    prop = mapping.find("Duke Beach")
    assert prop is not None and prop is mapping.find("p1")
    assert prop.pms == PmsLink(
        adapter="sistemaos",
        base_url="http://duke.internal:8000",
        token_env="PMS_API_TOKEN_DUKE",
        webhook_token_env="PMS_WEBHOOK_TOKEN_DUKE",
    )
    path = tmp_path / "mapping.json"
    write_mapping(path, mapping)
    assert load_mapping(path) == mapping
    assert parse_mapping(DOC).properties[0].pms is None  # no block: the global PMS
    assert mapping.find("elsewhere") is None


def test_every_problem_of_a_pms_block_is_named() -> None:
    bad = {"adapter": "qloapps", "base_url": "ftp://x", "token_env": "SECRET", "port": 1}
    with pytest.raises(MappingFileError) as caught:
        parse_mapping({"properties": [{**DOC["properties"][0], "pms": bad}]})
    assert caught.value.problems == (
        "properties[0].pms: unknown key(s) port",
        "properties[0].pms: adapter 'qloapps' is unknown (sistemaos)",
        "properties[0].pms: base_url 'ftp://x' is not an http(s) URL",
        "properties[0].pms: 'token_env' must name a variable PMS_API_TOKEN_<NAME>",
    )
