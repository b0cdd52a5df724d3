"""Booking routes: create (guest, apartment, 409, 422, idempotency), PATCH, cancel."""

from datetime import date
from typing import Any

import pytest

from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.pms_payload import booking_json
from tests.sandbox.pms_harness import API, booking_body, running

CREATE = API + "/booking"
KNOWN = "lvu, dlvu, dlvl, lvl, ov, ovp"


def key(n: int) -> dict[str, str]:
    return {"Idempotency-Key": f"0f1e2d3c-0000-4000-8000-00000000000{n}:0"}


def nights_free(pms: PmsEmulator, categoria: str, first: date, count: int) -> list[int]:
    return [
        pms.availability(categoria, date.fromordinal(first.toordinal() + i)) for i in range(count)
    ]


async def test_create_assigns_an_apartment_and_takes_the_nights() -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        created = await client.call("POST", CREATE, booking_body(), headers=key(1))
    assert created == (201, {"id": 1, "apartamento": "OV-109", "status": "CONFIRMADA"})
    assert [booking_json(b) for b in pms.bookings()] == [
        {
            "id": 1,
            "categoria": "ov",
            "plano": None,
            "apartamento": "OV-109",
            "status": "CONFIRMADA",
            "data_checkin": "2026-12-10",
            "data_checkout": "2026-12-13",
            "hospede_id": 1,
            "hospede_nome": "Maria Silva",
            "hospede_email": "maria@example.com",
            "hospede_telefone": "+55 11 99999-0000",
            "adultos": 2,
            "criancas": 1,
            "bebes": 0,
            "idades_criancas": [],
            "valor_total": "1350.00",
            "moeda": "BRL",
            "canal": "Booking.com",
            "codigo_ota": "BDC-9996013801",
            "channex_booking_id": "0f1e2d3c-0000-4000-8000-000000000001",
            "channex_revision_id": "0f1e2d3c-0000-4000-8000-0000000000aa",
            "quarto_indice": 0,
            "observacoes": "late arrival",
            "hora_chegada": None,
            "reservado_por": None,
            "diarias": [],
            "servicos": [],
            "impostos": [],
            "impostos_retidos_ota": [],
            "comissao_ota": None,
            "pagamento": None,
            "valor_total_reserva": None,
            "quartos_na_reserva": None,
            "motivo_cancelamento": None,
            "multa": None,
        }
    ]
    assert nights_free(pms, "ov", date(2026, 12, 9), 5) == [5, 4, 4, 4, 5]


async def test_no_free_apartment_is_409_and_creates_nothing() -> None:
    pms = PmsEmulator()
    body = booking_body(categoria="ovp")
    async with running(pms) as client:
        first = await client.call("POST", CREATE, body, headers=key(1))
        second = await client.call("POST", CREATE, body, headers=key(2))
        third = await client.call("POST", CREATE, body, headers=key(3))
    assert [first[1]["apartamento"], second[1]["apartamento"]] == ["OVP-405", "OVP-406"]
    assert third == (
        409,
        {"detail": "no ovp apartment is free every night from 2026-12-10 to 2026-12-13"},
    )
    assert [b.id for b in pms.bookings()] == [1, 2]


def problem(field: str, msg: str) -> dict[str, Any]:
    return {"loc": ["body", field], "msg": msg, "type": "value_error"}


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"categoria": "suite"},
         [problem("categoria", f"unknown categoria 'suite' (known: {KNOWN})")]),
        ({"data_checkout": "2026-12-10"}, [problem("data_checkout", "must be after data_checkin")]),
        ({"hospede_nome": None, "data_checkin": None},
         [problem("data_checkin", "field required"), problem("hospede_nome", "field required")]),
        ({"valor_total": "1.350,00"},
         [problem("valor_total",
                  "must be a non-negative amount with at most 2 decimals, got '1.350,00'")]),
        ({"valor_total": "-10.00"},
         [problem("valor_total",
                  "must be a non-negative amount with at most 2 decimals, got '-10.00'")]),
        ({"valor_total": True},
         [problem("valor_total", 'must be a decimal amount like "1350.00"')]),
        ({"adultos": 0, "hospede_idade": 33},
         [problem("hospede_idade", "unknown field"),
          problem("adultos", "must be an integer >= 1")]),
        ({"data_checkin": "10/12/2026"},
         [problem("data_checkin", "must be a date YYYY-MM-DD, got '10/12/2026'")]),
    ],
)  # fmt: skip
async def test_bad_payload_is_422_naming_the_field(
    overrides: dict[str, Any], detail: list[dict[str, Any]]
) -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        answer = await client.call("POST", CREATE, booking_body(**overrides), headers=key(1))
    assert answer == (422, {"detail": detail})
    assert pms.bookings() == []


async def test_money_may_be_a_json_number() -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        status, _ = await client.call("POST", CREATE, booking_body(valor_total=1350.5))
    assert (status, str(pms.bookings()[0].valor_total)) == (201, "1350.50")


async def test_a_repeated_idempotency_key_returns_the_same_booking() -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        first = await client.call("POST", CREATE, booking_body(), headers=key(1))
        again = await client.call(
            "POST", CREATE, booking_body(valor_total="1351.00", observacoes=None), headers=key(1)
        )
        other = await client.call("POST", CREATE, booking_body(), headers=key(2))
    assert first == again == (201, {"id": 1, "apartamento": "OV-109", "status": "CONFIRMADA"})
    assert other == (201, {"id": 2, "apartamento": "OV-110", "status": "CONFIRMADA"})
    assert [(b.id, str(b.valor_total)) for b in pms.bookings()] == [(1, "1350.00"), (2, "1350.00")]
    assert [(r.status, r.headers) for r in pms.requests] == [
        (201, {"idempotency-key": key(n)["Idempotency-Key"], "content-type": "application/json"})
        for n in (1, 1, 2)
    ]


async def test_guest_is_found_by_email_then_by_phone() -> None:
    pms = PmsEmulator()
    bodies = [
        booking_body(),
        booking_body(hospede_nome="Maria S.", hospede_telefone="+55 11 90000-0000"),
        booking_body(hospede_email=None, hospede_telefone="5511999990000"),
        booking_body(hospede_nome="João", hospede_email="joao@example.com",
                     hospede_telefone="+55 21 98888-1111"),
    ]  # fmt: skip
    async with running(pms) as client:
        for n, body in enumerate(bodies):
            status, _ = await client.call("POST", CREATE, body, headers=key(n))
            assert status == 201
    assert [b.guest.id for b in pms.bookings()] == [1, 1, 1, 2]
    assert [(g.id, g.name, g.email) for g in pms.state.guests()] == [
        (1, "Maria Silva", "maria@example.com"),
        (2, "João", "joao@example.com"),
    ]


async def test_patch_changes_guest_fields_and_reassigns_on_date_or_categoria_change() -> None:
    pms = PmsEmulator()
    pms.book_direct("ov", date(2026, 12, 12), date(2026, 12, 15))  # OV-109 from the last night
    async with running(pms) as client:
        _, created = await client.call("POST", CREATE, booking_body(), headers=key(1))
        booking_id = created["id"]
        path = f"{CREATE}/{booking_id}"
        status, body = await client.call("PATCH", path, {"hospede_nome": "Maria S. Silva"})
        assert (status, body["hospede_nome"], body["apartamento"]) == (
            200,
            "Maria S. Silva",
            "OV-110",
        )
        # OV-109 is free again for the shorter stay, but the booking keeps its apartment
        status, body = await client.call("PATCH", path, {"data_checkout": "2026-12-12"})
        assert (status, body["data_checkout"], body["apartamento"]) == (200, "2026-12-12", "OV-110")
        status, body = await client.call(
            "PATCH", path, {"categoria": "lvu", "valor_total": "980.00", "adultos": 1}
        )
    assert status == 200
    assert body == {
        **booking_json(pms.state.booking(booking_id)),
        "categoria": "lvu",
        "apartamento": "LVU-101",
        "valor_total": "980.00",
        "adultos": 1,
    }
    assert nights_free(pms, "ov", date(2026, 12, 10), 5) == [5, 5, 4, 4, 4]
    assert nights_free(pms, "lvu", date(2026, 12, 10), 3) == [10, 10, 11]


async def test_patch_that_finds_no_apartment_is_409_and_changes_nothing() -> None:
    pms = PmsEmulator()
    for _ in range(2):
        pms.book_direct("ovp", date(2026, 12, 12), date(2026, 12, 14))
    async with running(pms) as client:
        _, created = await client.call("POST", CREATE, booking_body(), headers=key(1))
        before = booking_json(pms.state.booking(created["id"]))
        path = f"{CREATE}/{created['id']}"
        moved = await client.call("PATCH", path, {"categoria": "ovp", "hospede_nome": "X"})
        bad = await client.call("PATCH", path, {"data_checkin": "2026-12-13"})
        unknown = await client.call("PATCH", f"{CREATE}/999", {"adultos": 3})
    assert moved == (
        409,
        {"detail": "no ovp apartment is free every night from 2026-12-10 to 2026-12-13"},
    )
    assert bad == (
        422,
        {"detail": [problem("data_checkout",
                            "data_checkout 2026-12-13 must be after data_checkin 2026-12-13")]},
    )  # fmt: skip
    assert unknown == (404, {"detail": "booking 999 not found"})
    assert booking_json(pms.state.booking(created["id"])) == before


async def test_cancel_frees_the_nights_and_twice_is_still_200() -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        _, created = await client.call("POST", CREATE, booking_body(), headers=key(1))
        path = f"{CREATE}/{created['id']}/cancel"
        first = await client.call("POST", path, {"motivo": "cancelled at Booking.com"})
        second = await client.call("POST", path, {"motivo": "again"})
        unknown = await client.call("POST", f"{CREATE}/77/cancel", {"motivo": "x"})
        patched = await client.call("PATCH", f"{CREATE}/{created['id']}", {"adultos": 3})
    assert first[0] == second[0] == 200
    assert first[1] == second[1]
    assert (first[1]["status"], first[1]["motivo_cancelamento"]) == (
        "CANCELADA",
        "cancelled at Booking.com",
    )
    assert unknown == (404, {"detail": "booking 77 not found"})
    assert patched == (409, {"detail": "booking 1 is CANCELADA"})
    assert nights_free(pms, "ov", date(2026, 12, 10), 3) == [5, 5, 5]
