"""The tour's whole-booking steps: a two-room Expedia-collect booking with breakfast arrives,
then Expedia removes its first room.

The steps print what sistema-os was sent for each room — money (the room's total, its
services, the reservation's total), who collects and how, who stays and who booked — and
check that the totals add up to Channex's amount, that the breakfast rides on the first
room, that the OTA collects, and that removing the first room cancels exactly that room's
sistema-os booking while the other keeps its apartment.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from middleware.clock import Clock
from middleware.sandbox import tour_checks as checks
from middleware.sandbox.pms_state import Booking
from middleware.sandbox.system import System
from middleware.sandbox.tour_checks import Check
from middleware.sandbox.tour_log import PMS_API, StepLog

LEAD_DAYS = 26  # after the tour's other stays
NIGHTS = 2
INSTRUCTION = "Expedia Collect: charge the Expedia virtual card for the stay"
BOOKER = {"name": "Maria", "surname": "Silva", "mail": "maria@example.com"}
ROOM_GUESTS = ({"name": "Ana", "surname": "Lima"}, {"name": "João", "surname": "Souza"})
BREAKFAST = {"name": "Breakfast", "type": "meal", "total_price": "40.00", "nights": 2}


def body_lines(body: dict[str, Any]) -> list[str]:
    """A sistema-os booking body in a few readable lines (money, payment, guests)."""
    money = body.get("moeda", "")
    services = ", ".join(f"{s['nome']} {s['valor_total']}" for s in body.get("servicos") or [])
    payment = body.get("pagamento") or {}
    booker = body.get("reservado_por") or {}
    return [
        f"      quarto {body.get('quarto_indice')}: {body.get('categoria')}/{body.get('plano')}"
        f"  valor_total {body.get('valor_total')} {money}"
        + (f" (serviços: {services})" if services else "")
        + f"  reserva {body.get('valor_total_reserva')} {money}"
        f" em {body.get('quartos_na_reserva')} quarto(s)",
        f"      pagamento: cobrança {payment.get('cobranca')}, {payment.get('tipo')}"
        f"{' virtual' if payment.get('cartao_virtual') else ''} {payment.get('bandeira') or ''}"
        f"  hóspede {body.get('hospede_nome')}, reservado por {booker.get('nome')}",
    ]


def patch_line(body: dict[str, Any]) -> str:
    """The fields a PATCH changed, compactly (lists of services by name and amount)."""
    parts = []
    for key, value in body.items():
        if key == "channex_revision_id":
            continue
        if key == "servicos":
            value = "[" + ", ".join(f"{s['nome']} {s['valor_total']}" for s in value) + "]"
        elif key == "observacoes":
            value = "…"
        parts.append(f"{key}={value}")
    return "      " + " ".join(parts)


class WholeBookingSteps:
    def __init__(
        self, stack: System[Clock], rooms: tuple[str, str], plan: str, start: date
    ) -> None:
        self._stack = stack
        self.rooms = rooms
        self._plan = plan
        self.stay = (start + timedelta(days=LEAD_DAYS), start + timedelta(LEAD_DAYS + NIGHTS))
        self.booking_id = ""
        self.revision = ""
        self._before: list[Booking] = []

    def title_new(self) -> str:
        first, last = self.stay
        return (
            f"A two-room Expedia-collect booking with breakfast arrives: "
            f"{' + '.join(self.rooms)}, {first} → {last}"
        )

    def title_removed(self) -> str:
        return f"Expedia removes the first room ({self.rooms[0]})"

    # ------------------------------------------------------------------ actions

    async def book(self) -> None:
        s = self._stack
        meta = {"payment_instruction": INSTRUCTION}
        self.booking_id, self.revision = s.channex.create_booking(
            property_id=s.property_id,
            ota_name="A-Expedia",
            customer=BOOKER,
            payment_collect=None,
            guarantee={"card_type": "MC", "is_virtual": True},
            services=[BREAKFAST],
            rooms=[
                {
                    "room_type_id": s.room_type_id(room),
                    "rate_plan_id": s.rate_plan_id(room, self._plan),
                    "checkin_date": self.stay[0].isoformat(),
                    "checkout_date": self.stay[1].isoformat(),
                    "guests": [guest],
                    "meta": meta,
                }
                for room, guest in zip(self.rooms, ROOM_GUESTS, strict=True)
            ],
        )

    async def remove_first_room(self) -> None:
        self._before = self.pms_rooms()
        self.revision = self._stack.channex.modify_booking(self.booking_id, rooms=[{"from": 1}])

    # ------------------------------------------------------------------ what it shows

    def pms_rooms(self) -> list[Booking]:
        found = [b for b in self._stack.pms.bookings() if b.channex_booking_id == self.booking_id]
        return sorted(found, key=lambda b: b.quarto_indice or 0)

    def sent_lines(self, log: StepLog) -> list[str]:
        out = []
        for call in log.pms:
            body = call.body
            if not isinstance(body, dict) or "valor_total" not in body:
                continue
            if call.method == "POST":
                out += ["    sistema-os POST body:", *body_lines(body)]
            elif call.method == "PATCH":
                out += [
                    f"    sistema-os PATCH {call.path.removeprefix(PMS_API)}:",
                    patch_line(body),
                ]
        return out

    def expect_new(self, log: StepLog) -> list[Check]:
        amount = Decimal(self._stack.channex.state.revisions[self.revision]["amount"])
        creates = [c.body for c in log.pms_calls("POST", "/booking") if c.status == 201]
        totals = sum((Decimal(b["valor_total"]) for b in creates), Decimal(0))
        first = creates[0] if creates else {}
        return [
            *checks.revision_handled(log, self.revision),
            (
                "two sistema-os bookings, one per room",
                None if len(creates) == 2 else f"{len(creates)}",
            ),
            (
                f"their totals add up to Channex's amount {amount}",
                None if totals == amount else f"{totals}",
            ),
            (
                "the breakfast rides on the first room",
                None
                if [bool(b.get("servicos")) for b in creates] == [True, False]
                else f"{[b.get('servicos') for b in creates]}",
            ),
            (
                "Expedia collects (virtual card MC)",
                None
                if first.get("pagamento", {}).get("cobranca") == "ota"
                else f"{first.get('pagamento')}",
            ),
            (
                "each room's own guest stays, the booker is recorded",
                None
                if [b.get("hospede_nome") for b in creates] == ["Ana Lima", "João Souza"]
                and first.get("reservado_por", {}).get("nome") == "Maria Silva"
                else f"{[b.get('hospede_nome') for b in creates]}",
            ),
        ]

    def expect_removed(self, log: StepLog) -> list[Check]:
        if len(self._before) != 2:
            return [("the booking had two rooms", f"{len(self._before)}")]
        gone, kept = self._before
        after = {b.id: b for b in self.pms_rooms()}
        cancels = [c.path for c in log.pms if c.path.endswith("/cancel")]
        stays = (after[gone.id].status, after[kept.id].status, after[kept.id].apartamento)
        return [
            *checks.revision_handled(log, self.revision),
            (
                f"exactly the first room's booking #{gone.id} cancelled",
                None if cancels == [f"/api/v1/channex/booking/{gone.id}/cancel"] else f"{cancels}",
            ),
            (
                "the other room stays, in its apartment",
                None if stays == ("CANCELADA", "CONFIRMADA", kept.apartamento) else f"{stays}",
            ),
            (
                "the room that stays now carries the breakfast and the whole booking",
                None
                if after[kept.id].services and after[kept.id].rooms_in_booking == 1
                else f"{after[kept.id].services} {after[kept.id].rooms_in_booking}",
            ),
        ]
