"""The whole §2.2 booking body: stored, shown back on GET, changed by PATCH, cancelled with a
`multa`; money in the currency's own decimals; card data refused anywhere."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.pms_booking_details import Booker, NightPrice, Payment, Service, Tax
from middleware.sandbox.pms_payload import booking_json
from tests.sandbox.pms_harness import API, booking_body, running

CREATE = API + "/booking"
KEY = {"Idempotency-Key": "0f1e2d3c-0000-4000-8000-000000000001:0"}


def full_body(**overrides: Any) -> dict[str, Any]:
    """pms-contract §2.2's example, every field."""
    body: dict[str, Any] = dict(
        plano="padrao",
        bebes=1,
        idades_criancas=[7],
        hora_chegada="15:00",
        reservado_por={
            "nome": "João Souza",
            "email": "joao@example.com",
            "telefone": "+55 21 98888-0000",
            "pais": "BR",
            "idioma": "pt",
            "empresa": None,
        },
        diarias=[
            {"data": "2026-12-10", "valor": "450.00"},
            {"data": "2026-12-11", "valor": "450.00"},
            {"data": "2026-12-12", "valor": "450.00"},
        ],
        servicos=[{"nome": "Breakfast", "tipo": "meal", "quantidade": 2, "valor_total": "40.00"}],
        impostos=[{"nome": "City tax", "valor": "7.56", "incluso": False}],
        impostos_retidos_ota=[{"nome": "VAT", "valor": "12.00"}],
        comissao_ota="202.50",
        pagamento={
            "cobranca": "ota",
            "tipo": "cartao",
            "cartao_virtual": True,
            "bandeira": "MC",
            "instrucoes": "Collect payment from Expedia (virtual card)",
        },
        valor_total_reserva="2740.00",
        quartos_na_reserva=2,
    )
    return booking_body(**{**body, **overrides})


def problem(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": "value_error"}


async def test_the_whole_body_is_stored_and_shown_back_under_its_wire_names() -> None:
    pms = PmsEmulator()
    body = full_body()
    async with running(pms) as client:
        created = await client.call("POST", CREATE, body, headers=KEY)
        shown = await client.call("GET", f"{CREATE}/1")
        missing = await client.call("GET", f"{CREATE}/2")
    assert created == (201, {"id": 1, "apartamento": "OV-109", "status": "CONFIRMADA"})
    assert shown == (
        200,
        {
            **body,
            "id": 1,
            "apartamento": "OV-109",
            "status": "CONFIRMADA",
            "hospede_id": 1,
            "motivo_cancelamento": None,
            "multa": None,
        },
    )
    assert missing == (404, {"detail": "booking 2 not found"})
    assert [(r.method, r.body) for r in pms.requests[:1]] == [("POST", body)]  # the body, logged
    (booking,) = pms.bookings()
    assert (booking.plan, booking.infants, booking.children_ages, booking.arrival_hour) == (
        "padrao",
        1,
        (7,),
        "15:00",
    )
    assert booking.booker == Booker(
        name="João Souza",
        email="joao@example.com",
        phone="+55 21 98888-0000",
        country="BR",
        language="pt",
    )
    assert booking.services == (
        Service(name="Breakfast", kind="meal", quantity=2, total=dec("40")),
    )
    assert booking.taxes == (Tax(name="City tax", amount=dec("7.56"), included=False),)
    assert booking.payment == Payment(
        collector="ota",
        kind="cartao",
        virtual_card=True,
        brand="MC",
        instructions="Collect payment from Expedia (virtual card)",
    )
    assert booking.nightly[0] == NightPrice(day=booking.checkin, amount=dec("450"))
    assert (booking.ota_commission, booking.booking_total, booking.rooms_in_booking) == (
        dec("202.50"),
        dec("2740.00"),
        2,
    )


def dec(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


async def test_money_follows_the_currency_decimals() -> None:
    pms = PmsEmulator()
    kwd = full_body(moeda="KWD", valor_total="1350.125", comissao_ota=12, diarias=None)
    jpy = booking_body(moeda="JPY", valor_total="135000")
    async with running(pms) as client:
        assert (await client.call("POST", CREATE, kwd))[0] == 201
        assert (await client.call("POST", CREATE, jpy))[0] == 201
        brl = await client.call("POST", CREATE, full_body(valor_total="1350.125"))
        yen = await client.call("POST", CREATE, booking_body(moeda="JPY", valor_total="1350.5"))
        _, shown = await client.call("GET", f"{CREATE}/1")
    assert (shown["valor_total"], shown["comissao_ota"], shown["servicos"][0]["valor_total"]) == (
        "1350.125",
        "12.000",
        "40.000",
    )
    assert booking_json(pms.bookings()[1])["valor_total"] == "135000"
    assert brl == (
        422,
        {
            "detail": [
                problem(
                    ["valor_total"],
                    "must be a non-negative amount with at most 2 decimals, got '1350.125'",
                )
            ]
        },
    )
    assert yen[1]["detail"][0]["msg"] == (
        "must be a non-negative amount with at most 0 decimals, got '1350.5'"
    )


CARD = "card data is refused: send only the brand (bandeira) and cartao_virtual"


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"numero_cartao": "4111111111111111"}, [problem(["numero_cartao"], CARD)]),
        ({"card_number": "4111111111111111", "cvv": "737"},
         [problem(["card_number"], CARD), problem(["cvv"], CARD)]),
        ({"pagamento": {"cobranca": "hotel", "validade": "10/2030"}},
         [problem(["pagamento", "validade"], CARD)]),
        ({"reservado_por": {"nome": "X", "titular_cartao": "X"}},
         [problem(["reservado_por", "titular_cartao"], CARD)]),
        ({"servicos": [{"nome": "Spa", "valor_total": "1.00", "cvc": "1"}]},
         [problem(["servicos", 0, "cvc"], CARD)]),
        ({"pagamento": {"cobranca": "guest"}},
         [problem(["pagamento", "cobranca"], "must be one of ['ota', 'hotel']")]),
        ({"pagamento": {"cobranca": "ota", "cartao_virtual": 1}},
         [problem(["pagamento", "cartao_virtual"], "must be true or false")]),
        ({"pagamento": {"tipo": "cartao"}}, [problem(["pagamento", "cobranca"], "field required")]),
        ({"impostos": [{"nome": "VAT", "valor": "1.001", "incluso": True}]},
         [problem(["impostos", 0, "valor"],
                  "must be a non-negative amount with at most 2 decimals, got '1.001'")]),
        ({"diarias": [{"data": "10/12/2026", "valor": "1"}]},
         [problem(["diarias", 0, "data"], "must be a date YYYY-MM-DD, got '10/12/2026'")]),
        ({"idades_criancas": [7, 30], "criancas": 2},
         [problem(["idades_criancas", 1], "must be an age from 0 to 17")]),
        ({"idades_criancas": [7, 8]},
         [problem(["idades_criancas"], "must list one age per child (1)")]),
        ({"diarias": [{"data": "2026-12-10", "valor": "1"}]},
         [problem(["diarias"], "must price each night of the stay once")]),
        ({"plano": "suite"},
         [problem(["plano"], "categoria 'ov' has no plano 'suite' (known: padrao)")]),
        ({"hora_chegada": "3pm", "quartos_na_reserva": 0},
         [problem(["hora_chegada"], "must be an hour HH:MM, got '3pm'"),
          problem(["quartos_na_reserva"], "must be an integer >= 1")]),
        ({"reservado_por": {"nome": 7}}, [problem(["reservado_por", "nome"], "must be a string")]),
    ],
)  # fmt: skip
async def test_a_bad_detail_is_422_at_its_place_and_card_data_is_refused_anywhere(
    overrides: dict[str, Any], detail: list[dict[str, Any]]
) -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        answer = await client.call("POST", CREATE, full_body(**overrides))
    assert answer == (422, {"detail": detail})
    assert pms.bookings() == []


async def test_patch_changes_any_detail_and_null_empties_what_may_be_empty() -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        await client.call("POST", CREATE, full_body(), headers=KEY)
        path = f"{CREATE}/1"
        status, patched = await client.call(
            "PATCH",
            path,
            {
                "data_checkout": "2026-12-12",
                "diarias": [
                    {"data": "2026-12-10", "valor": "480.00"},
                    {"data": "2026-12-11", "valor": "480.00"},
                ],
                "servicos": [],
                "bebes": 0,
                "hora_chegada": None,
                "pagamento": {"cobranca": "hotel", "tipo": None},
                "reservado_por": {"nome": "João Souza", "email": None},
                "comissao_ota": "96.00",
                "observacoes": None,
                "hospede_telefone": None,
                "channex_revision_id": "rev-2",
            },
        )
        stale = await client.call("PATCH", path, {"data_checkout": "2026-12-13"})
        plano = await client.call("PATCH", path, {"plano": None, "idades_criancas": []})
    assert status == 200
    assert patched == {
        **booking_json(pms.bookings()[0]),
        "data_checkout": "2026-12-12",
        "diarias": [
            {"data": "2026-12-10", "valor": "480.00"},
            {"data": "2026-12-11", "valor": "480.00"},
        ],
        "servicos": [],
        "bebes": 0,
        "hora_chegada": None,
        "pagamento": {
            "cobranca": "hotel",
            "tipo": None,
            "cartao_virtual": False,
            "bandeira": None,
            "instrucoes": None,
        },
        "reservado_por": {
            "nome": "João Souza",
            "email": None,
            "telefone": None,
            "pais": None,
            "idioma": None,
            "empresa": None,
        },
        "comissao_ota": "96.00",
        "observacoes": None,
        "hospede_telefone": None,
        "channex_revision_id": "rev-2",
    }
    # a stay that no longer matches the stored nights must bring its diarias
    assert stale == (
        422,
        {"detail": [problem(["diarias"], "must price each night of the stay once")]},
    )
    assert plano == (
        422,
        {"detail": [problem(["idades_criancas"], "must list one age per child (1)")]},
    )
    booking = pms.bookings()[0]  # the refused PATCHes changed nothing
    assert (booking.plan, booking.children_ages, booking.checkout.isoformat()) == (
        "padrao",
        (7,),
        "2026-12-12",
    )


async def test_cancel_keeps_the_multa_and_a_second_cancel_changes_nothing() -> None:
    pms = PmsEmulator()
    async with running(pms) as client:
        await client.call("POST", CREATE, full_body(moeda="EUR"), headers=KEY)
        path = f"{CREATE}/1/cancel"
        wrong = await client.call("POST", path, {"multa": "76.50", "moeda": "BRL", "fee": "1"})
        cents = await client.call("POST", path, {"multa": "76.505"})
        first = await client.call(
            "POST", path, {"motivo": "cancelled at Booking.com", "multa": "76.50", "moeda": "EUR"}
        )
        second = await client.call("POST", path, {"motivo": "again", "multa": "1.00"})
        bare = await client.call("POST", CREATE, booking_body(), headers={"Idempotency-Key": "b"})
        plain = await client.call("POST", f"{CREATE}/{bare[1]['id']}/cancel")
    assert wrong == (
        422,
        {
            "detail": [
                problem(["fee"], "unknown field"),
                problem(["moeda"], "must be the booking's currency 'EUR'"),
            ]
        },
    )
    assert cents[0] == 422
    assert first[0] == second[0] == 200
    assert first[1] == second[1]
    assert (first[1]["status"], first[1]["motivo_cancelamento"], first[1]["multa"]) == (
        "CANCELADA",
        "cancelled at Booking.com",
        "76.50",
    )
    assert (plain[0], plain[1]["multa"], plain[1]["motivo_cancelamento"]) == (200, None, None)
