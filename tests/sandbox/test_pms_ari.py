"""`GET /api/v1/channex/ari`: both shapes, whole documents, range checks, the bearer token."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.pms_ari import flat_document, per_date_document
from tests.sandbox.pms_harness import running

CATEGORIAS = ("lvu", "dlvu", "dlvl", "lvl", "ov", "ovp")
# 2027-03-04 Thu (alta, weekday), 03-05 Fri (last alta day, weekend), 03-06 Sat (media, weekend)
RATES = {
    "lvu": ("489.00", "579.00", "459.00"),
    "dlvu": ("619.00", "719.00", "569.00"),
    "dlvl": ("659.00", "759.00", "599.00"),
    "lvl": ("529.00", "619.00", "489.00"),
    "ov": ("789.00", "919.00", "729.00"),
    "ovp": ("989.00", "1149.00", "929.00"),
}
TOTALS = {"lvu": 11, "dlvu": 2, "dlvl": 2, "lvl": 11, "ov": 5, "ovp": 2}
DATES = ("2027-03-04", "2027-03-05", "2027-03-06")
MIN_STAY_ARRIVAL = (1, 2, 1)  # alta weekends ask for two nights


def plan(rate: str, min_stay_arrival: int = 1, plano: str = "padrao") -> dict[str, Any]:
    return {
        "plano": plano,
        "rate": rate,
        "min_stay_arrival": min_stay_arrival,
        "min_stay_through": 1,
        "max_stay": 0,
        "closed_to_arrival": False,
        "closed_to_departure": False,
        "stop_sell": False,
    }


def expected_per_date(available: dict[str, tuple[int, ...]]) -> dict[str, Any]:
    return {
        "currency": "BRL",
        "room_types": [
            {
                "categoria": c,
                "total": TOTALS[c],
                "days": [
                    {
                        "date": d,
                        "available": available.get(c, (TOTALS[c],) * 3)[i],
                        "rates": [plan(RATES[c][i], MIN_STAY_ARRIVAL[i])],
                    }
                    for i, d in enumerate(DATES)
                ],
            }
            for c in CATEGORIAS
        ],
    }


@pytest.fixture
def emulator() -> PmsEmulator:
    pms = PmsEmulator(hotel="duke_beach")
    pms.book_direct("ov", date(2027, 3, 5), date(2027, 3, 6))
    return pms


def test_per_date_document_across_a_weekend_and_a_season_boundary(emulator: PmsEmulator) -> None:
    document = per_date_document(emulator.state, date(2027, 3, 4), date(2027, 3, 6))
    assert document == expected_per_date({"ov": (5, 4, 5)})
    assert emulator.ari(date(2027, 3, 4), date(2027, 3, 6)) == document


def test_flat_document_takes_the_minimum_and_the_first_day_rate(emulator: PmsEmulator) -> None:
    document = flat_document(emulator.state, date(2027, 3, 4), date(2027, 3, 6))
    assert document == {
        "room_types": [
            {
                "categoria": c,
                "total": TOTALS[c],
                "available": 4 if c == "ov" else TOTALS[c],
                "rate": RATES[c][0],
                "currency": "BRL",
            }
            for c in CATEGORIAS
        ]
    }


def test_certification_serves_every_plan_of_a_categoria() -> None:
    pms = PmsEmulator(hotel="certification")
    pms.set_rate("double", "bb", date(2026, 11, 2), date(2026, 11, 2), Decimal("135"))
    pms.set_restrictions(
        "twin", "bar", date(2026, 11, 2), date(2026, 11, 2), closed_to_arrival=True
    )
    assert pms.ari(date(2026, 11, 2), date(2026, 11, 2)) == {
        "currency": "USD",
        "room_types": [
            {
                "categoria": "twin",
                "total": 10,
                "days": [
                    {
                        "date": "2026-11-02",
                        "available": 10,
                        "rates": [
                            {**plan("104.00", plano="bar"), "closed_to_arrival": True},
                            plan("126.00", plano="bb"),
                        ],
                    }
                ],
            },
            {
                "categoria": "double",
                "total": 10,
                "days": [
                    {
                        "date": "2026-11-02",
                        "available": 10,
                        "rates": [plan("109.00", plano="bar"), plan("135.00", plano="bb")],
                    }
                ],
            },
        ],
    }


async def test_the_route_serves_both_shapes(emulator: PmsEmulator) -> None:
    async with running(emulator) as client:
        status, body = await client.ari("2027-03-04", "2027-03-06")
        assert (status, body) == (200, expected_per_date({"ov": (5, 4, 5)}))
        emulator.shape = "flat"
        status, body = await client.ari("2027-03-05", "2027-03-05")
        assert status == 200
        assert body == flat_document(emulator.state, date(2027, 3, 5), date(2027, 3, 5))
        assert body["room_types"][4] == {
            "categoria": "ov",
            "total": 5,
            "available": 4,
            "rate": "919.00",
            "currency": "BRL",
        }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_to": "2027-03-04"}, "date_from is required (YYYY-MM-DD)"),
        ({"date_from": "2027-3-4", "date_to": "2027-03-04"},
         "date_from must be a date YYYY-MM-DD, got '2027-3-4'"),
        ({"date_from": "2027-03-04", "date_to": "2027-02-30"},
         "date_to must be a date YYYY-MM-DD, got '2027-02-30'"),
        ({"date_from": "2027-03-04", "date_to": "2027-03-03"},
         "date_to 2027-03-03 is before date_from 2027-03-04"),
        ({"date_from": "2027-01-01", "date_to": "2029-01-01"},
         "the range spans more than 731 days"),
    ],
)  # fmt: skip
async def test_bad_ranges_are_400_with_a_detail(query: dict[str, str], message: str) -> None:
    async with running(PmsEmulator()) as client:
        status, body = await client.call("GET", "/api/v1/channex/ari", query=query)
    assert (status, body) == (400, {"detail": message})


async def test_two_years_is_the_longest_range() -> None:
    async with running(PmsEmulator(shape="flat")) as client:
        status, body = await client.ari("2027-01-01", "2028-12-31")  # 731 days
    assert (status, len(body["room_types"])) == (200, 6)


async def test_bearer_token_is_enforced_when_set() -> None:
    pms = PmsEmulator(api_token="s3cret")
    async with running(pms) as client:
        none = await client.ari("2027-03-04", "2027-03-04")
        wrong = await client.ari(
            "2027-03-04", "2027-03-04", headers={"Authorization": "Bearer nope"}
        )
        right = await client.ari(
            "2027-03-04", "2027-03-04", headers={"Authorization": "Bearer s3cret"}
        )
    assert none == (401, {"detail": "Not authenticated"})
    assert wrong == (401, {"detail": "Invalid token"})
    assert right[0] == 200
    assert [(r.status, r.headers) for r in pms.requests] == [
        (401, {}),
        (401, {"authorization": "Bearer ****"}),
        (200, {"authorization": "Bearer ****"}),
    ]
