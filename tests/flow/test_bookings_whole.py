"""Every booking whole: revisions shaped like Channex's own (§5.2a) reach sistema-os with who
stays, what they pay, who collects the money and each room — through the real middleware,
against the emulators, each revision acked once and only after sistema-os has it."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from middleware.sandbox.pms_faults import PmsFaultPlan
from tests.flow import ota
from tests.flow.harness import System, start_system
from tests.kit.backends import Backend
from tests.store_sql import rows

D = date.fromisoformat
IN, OUT = D("2026-12-10"), D("2026-12-12")
FAST_ARI = {"CHANNEX_SYNC_DAYS": "60", "ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}
BOOKING_PATH = "/api/v1/channex/booking"
MARIA = {
    "name": "Maria",
    "surname": "Silva",
    "mail": "maria@example.com",
    "phone": "+5511999990000",
}
BOOKER = {
    "nome": "Maria Silva",
    "email": "maria@example.com",
    "telefone": "+5511999990000",
    "pais": None,
    "idioma": None,
    "empresa": None,
}
BREAKFAST = {"name": "Breakfast", "type": "meal", "total_price": "20.00", "nights": 2}
EXPEDIA_COLLECT = "Expedia Collect: charge the Expedia virtual card for the stay"


def creates(system: System, booking_id: str) -> list[dict[str, Any]]:
    """The create bodies sistema-os accepted for one Channex booking, in order."""
    return [
        r.body
        for r in system.pms.requests
        if r.method == "POST"
        and r.path == BOOKING_PATH
        and r.status == 201
        and r.body["channex_booking_id"] == booking_id
    ]


def later_calls(system: System, since: int) -> list[tuple[str, str, Any]]:
    """(method, path, body) of the booking calls sistema-os answered since index `since`."""
    return [
        (r.method, r.path, r.body)
        for r in system.pms.requests[since:]
        if r.path.startswith(BOOKING_PATH) and r.status in (200, 201)
    ]


def nights(*prices: tuple[str, str]) -> list[dict[str, str]]:
    return [{"data": day, "valor": price} for day, price in prices]


async def live(system: System) -> None:
    await system.full_sync()
    system.channex.reset_requests()


async def test_booking_level_services_reach_the_pms_and_the_room_guest_stays(
    tmp_path: Path,
    backend: Backend,
) -> None:
    """Channex's Booking.com example: 220.00 = a 200.00 room + a 20.00 breakfast at booking
    level; the room's own guest is who stays, the booker is recorded apart."""
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await live(system)
        booking_id, revision_id = system.channex.create_booking(
            currency="EUR",
            customer=MARIA,
            services=[BREAKFAST],
            rooms=[
                {
                    **ota.room(system, "ov", IN, OUT),
                    "amount": "200.00",
                    "guests": [{"name": "Ana", "surname": "Lima"}],
                }
            ],
        )
        await system.settle()
        revision = system.channex.state.revisions[revision_id]
        assert revision["amount"] == "220.00"
        assert creates(system, booking_id) == [
            {
                "categoria": "ov",
                "plano": "padrao",
                "data_checkin": "2026-12-10",
                "data_checkout": "2026-12-12",
                "hospede_nome": "Ana Lima",
                "adultos": 2,
                "criancas": 0,
                "valor_total": "220.00",
                "moeda": "EUR",
                "canal": "Booking.com",
                "codigo_ota": revision["unique_id"],
                "channex_booking_id": booking_id,
                "channex_revision_id": revision_id,
                "quarto_indice": 0,
                "observacoes": (
                    "[Channex] Pagamento: no hotel, cartão VI | Serviços: Breakfast (20.00 EUR)"
                ),
                "bebes": 0,
                "reservado_por": BOOKER,
                "diarias": nights(("2026-12-10", "100.00"), ("2026-12-11", "100.00")),
                "servicos": [
                    {"nome": "Breakfast", "tipo": "meal", "quantidade": 2, "valor_total": "20.00"}
                ],
                "pagamento": {
                    "cobranca": "hotel",
                    "tipo": "cartao",
                    "cartao_virtual": False,
                    "bandeira": "VI",
                    "instrucoes": None,
                },
                "valor_total_reserva": "220.00",
                "quartos_na_reserva": 1,
            }
        ]
        (held,) = ota.pms_rooms(system, booking_id)
        assert (held.guest.name, held.valor_total, held.booking_total) == (
            "Ana Lima",
            Decimal("220.00"),
            Decimal("220.00"),
        )
        assert ota.acks(system) == Counter({revision_id: 1})


async def test_two_room_expedia_collect_with_breakfast_then_the_first_room_removed(
    tmp_path: Path,
    backend: Backend,
) -> None:
    """A virtual-card Expedia-collect booking of two rooms: the OTA collects, totals add up,
    the breakfast rides on room 0; removing the FIRST room cancels exactly its PMS booking
    and the room that stays takes the booking-level extras."""
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await live(system)
        instruction = {"payment_instruction": EXPEDIA_COLLECT}
        booking_id, first_rev = system.channex.create_booking(
            ota_name="A-Expedia",
            customer=MARIA,
            payment_collect=None,
            guarantee={"card_type": "MC", "is_virtual": True},
            services=[BREAKFAST],
            rooms=[
                {**ota.room(system, "ov", IN, OUT), "amount": "500.00", "meta": instruction},
                {**ota.room(system, "lvu", IN, OUT), "amount": "300.00", "meta": instruction},
            ],
        )
        await system.settle()
        made = creates(system, booking_id)
        assert [(b["categoria"], b["quarto_indice"], b["valor_total"]) for b in made] == [
            ("ov", 0, "520.00"),
            ("lvu", 1, "300.00"),
        ]
        assert {b["valor_total_reserva"] for b in made} == {"820.00"}
        assert [b.get("servicos") for b in made] == [
            [{"nome": "Breakfast", "tipo": "meal", "quantidade": 2, "valor_total": "20.00"}],
            None,
        ]
        assert made[1]["pagamento"] == {
            "cobranca": "ota",
            "tipo": "cartao",
            "cartao_virtual": True,
            "bandeira": "MC",
            "instrucoes": EXPEDIA_COLLECT,
        }
        assert made[1]["canal"] == "Expedia"
        rooms_before = ota.pms_rooms(system, booking_id)

        mark = len(system.pms.requests)
        second_rev = system.channex.modify_booking(booking_id, rooms=[{"from": 1}])
        await system.settle()
        ov, lvu = rooms_before
        assert later_calls(system, mark) == [
            ("POST", f"{BOOKING_PATH}/{ov.id}/cancel", {"motivo": "room removed at Expedia"}),
            (
                "PATCH",
                f"{BOOKING_PATH}/{lvu.id}",
                {
                    "valor_total": "320.00",
                    "observacoes": (
                        "[Channex] Pagamento: cobrado pela OTA, cartão virtual MC"
                        " | Serviços: Breakfast (20.00 BRL)"
                    ),
                    "servicos": [
                        {
                            "nome": "Breakfast",
                            "tipo": "meal",
                            "quantidade": 2,
                            "valor_total": "20.00",
                        }
                    ],
                    "valor_total_reserva": "320.00",
                    "quartos_na_reserva": 1,
                    "channex_revision_id": second_rev,
                },
            ),
        ]
        after = {b.id: b for b in ota.pms_rooms(system, booking_id)}
        assert (after[ov.id].status, after[lvu.id].status) == ("CANCELADA", "CONFIRMADA")
        assert after[lvu.id].apartamento == lvu.apartamento  # the guest keeps the apartment
        assert ota.acks(system) == Counter({first_rev: 1, second_rev: 1})


async def test_goibibo_collect_by_bank_transfer_in_thb_and_kwd_with_three_decimals(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await live(system)
        goibibo, _ = system.channex.create_booking(
            ota_name="Goibibo",
            secondary_ota="MakeMyTrip",
            currency="THB",
            payment_collect="ota",
            payment_type="bank_transfer",
            guarantee=None,
            customer={"name": "Arjun", "surname": "Rao"},
            ota_commission="150.00",
            rooms=[{**ota.room(system, "lvu", IN, OUT), "amount": "3000.00"}],
        )
        kuwait, _ = system.channex.create_booking(
            currency="KWD",
            customer=MARIA,
            rooms=[
                {
                    **ota.room(system, "ov", IN, OUT),
                    "days": {"2026-12-10": "61.725", "2026-12-11": "61.725"},
                    "taxes": [{"name": "City tax", "total_price": "1.005"}],
                }
            ],
        )
        await system.settle()
        (thb,) = creates(system, goibibo)
        assert (thb["moeda"], thb["valor_total"], thb["comissao_ota"], thb["canal"]) == (
            "THB",
            "3000.00",
            "150.00",
            "Goibibo",
        )
        assert thb["pagamento"] == {
            "cobranca": "ota",
            "tipo": "transferencia",
            "cartao_virtual": False,
            "bandeira": None,
            "instrucoes": None,
        }
        assert (thb["hospede_nome"], "hospede_email" in thb) == ("Arjun Rao", False)
        assert thb["observacoes"] == (
            "[Channex] Pagamento: cobrado pela OTA, transferência | Vendido por: MakeMyTrip"
        )
        (kwd,) = creates(system, kuwait)
        assert (
            kwd["valor_total"],
            kwd["valor_total_reserva"],
            kwd["diarias"],
            kwd["impostos"],
        ) == (
            "124.455",
            "124.455",
            nights(("2026-12-10", "61.725"), ("2026-12-11", "61.725")),
            [{"nome": "City tax", "valor": "1.005", "incluso": False}],
        )


async def test_channex_renews_the_room_id_and_the_room_stays_one_patch_no_cancel(
    tmp_path: Path,
    backend: Backend,
) -> None:
    """Channex's own Booking.com example changes `booking_room_id` between revisions while
    `ota_unique_id` stays: the room is the same, its change is one PATCH."""
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await live(system)
        booking_id, first_rev = system.channex.create_booking(
            customer=MARIA, rooms=[ota.room(system, "ov", IN, OUT)]
        )
        await system.settle()
        (before,) = ota.pms_rooms(system, booking_id)
        mark = len(system.pms.requests)
        second_rev = system.channex.modify_booking(
            booking_id, renew_booking_room_ids=True, rooms=[{"from": 0, "adults": 1}]
        )
        await system.settle()
        old, new = (system.channex.state.revisions[r]["rooms"][0] for r in (first_rev, second_rev))
        assert old["booking_room_id"] != new["booking_room_id"]
        assert old["ota_unique_id"] == new["ota_unique_id"] == "49"
        assert later_calls(system, mark) == [
            (
                "PATCH",
                f"{BOOKING_PATH}/{before.id}",
                {"adultos": 1, "channex_revision_id": second_rev},
            )
        ]
        assert ota.acks(system) == Counter({first_rev: 1, second_rev: 1})


async def test_reordered_rooms_and_a_notes_only_change(tmp_path: Path, backend: Backend) -> None:
    """A reordered room list moves no apartment and sends no categoria or date; a change of
    notes alone reaches sistema-os in a PATCH before the ack."""
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await live(system)
        booking_id, _ = system.channex.create_booking(
            ota_name="Airbnb",
            customer=MARIA,
            rooms=[ota.room(system, "ov", IN, OUT), ota.room(system, "lvu", IN, OUT)],
        )
        await system.settle()
        before = ota.pms_rooms(system, booking_id)
        mark = len(system.pms.requests)
        system.channex.modify_booking(booking_id, rooms=[{"from": 1}, {"from": 0}])
        await system.settle()
        assert later_calls(system, mark) == []
        assert ota.pms_rooms(system, booking_id) == before

        # A notes-only change while sistema-os is down: not acked until sistema-os has it.
        system.pms.faults = PmsFaultPlan(seed=3, down=True)
        notes_rev = system.channex.modify_booking(booking_id, notes="Arriving by boat")

        async def refused() -> bool:
            return any(r.status == 503 and r.method == "PATCH" for r in system.pms.requests)

        await ota.until(refused, what="sistema-os refuses the PATCH")
        assert ota.acks(system)[notes_rev] == 0
        system.pms.faults = None
        mark = len(system.pms.requests)
        system.clock.advance(600)  # past the back-off
        await system.settle()
        assert [(method, body["observacoes"]) for method, _, body in later_calls(system, mark)] == [
            ("PATCH", "Arriving by boat\n[Channex] Pagamento: cobrado pela OTA"),
            ("PATCH", "Arriving by boat\n[Channex] Pagamento: cobrado pela OTA"),
        ]
        assert ota.acks(system)[notes_rev] == 1


async def test_a_cancellation_with_its_fee_and_an_airbnb_payout(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await live(system)
        booking_id, _ = system.channex.create_booking(
            currency="EUR",
            customer=MARIA,
            rooms=[{**ota.room(system, "ov", IN, OUT), "amount": "153.00"}],
        )
        airbnb_id, _ = system.channex.create_booking(
            ota_name="Airbnb", customer=MARIA, rooms=[ota.room(system, "lvu", IN, OUT)]
        )
        await system.settle()
        (room,) = ota.pms_rooms(system, booking_id)
        (home,) = ota.pms_rooms(system, airbnb_id)
        mark = len(system.pms.requests)
        cancelled_rev = system.channex.cancel_booking(booking_id, fee="76.50")
        system.channex.cancel_booking(airbnb_id, fee="120.00")
        await system.settle()
        revision = system.channex.state.revisions[cancelled_rev]
        assert (revision["amount"], revision["services"][-1]["name"]) == (
            "76.50",
            "Cancellation Fee",
        )
        assert sorted(later_calls(system, mark), key=str) == sorted(
            [
                (
                    "POST",
                    f"{BOOKING_PATH}/{room.id}/cancel",
                    {"motivo": "cancelled at Booking.com", "multa": "76.50", "moeda": "EUR"},
                ),
                (
                    "POST",
                    f"{BOOKING_PATH}/{home.id}/cancel",
                    {"motivo": "cancelled at Airbnb", "multa": "120.00", "moeda": "BRL"},
                ),
            ],
            key=str,
        )
        (cancelled,) = ota.pms_rooms(system, booking_id)
        assert (cancelled.status, cancelled.cancel_fee) == ("CANCELADA", Decimal("76.50"))


async def test_a_non_acked_booking_brings_in_a_revision_nothing_else_did(
    tmp_path: Path, backend: Backend
) -> None:
    """No webhook and no feed poll brought the revision in; Channex's 30-minute alarm names
    it: it is fetched, booked and acked, and the alarm shows as a notice."""
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await live(system)
        booking_id, revision_id = system.channex.create_booking(
            customer=MARIA, rooms=[ota.room(system, "ov", IN, OUT)], deliver=False
        )
        await system.settle()
        assert ota.pms_rooms(system, booking_id) == []
        system.channex.send_non_acked(revision_id)
        await system.settle()
        (held,) = ota.pms_rooms(system, booking_id)
        assert (held.channex_revision_id, held.status) == (revision_id, "CONFIRMADA")
        assert ota.acks(system) == Counter({revision_id: 1})
        found = await rows(
            system.context.runtime.store,
            "SELECT kind, ref FROM notices WHERE kind = 'non_acked_booking'",
        )
        assert found == [("non_acked_booking", revision_id)]
