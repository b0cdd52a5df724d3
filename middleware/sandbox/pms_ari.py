"""The `GET /api/v1/channex/ari` documents the sistema-os emulator serves, in both shapes.

`per_date`: every date of the inclusive range with its availability and every plan's rate and
restrictions. `flat` (what sistema-os ships today): one value per categoria for the whole
range, `available` the minimum over the range and `rate` the first plan's rate on `date_from`.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from middleware.sandbox.pms_calendar import days_between
from middleware.sandbox.pms_state import PmsState

Shape = Literal["per_date", "flat"]
SHAPES: tuple[Shape, ...] = ("per_date", "flat")
MAX_ARI_DAYS = 731


class AriQueryError(ValueError):
    """The date range is malformed; the message is the `detail` of a 400."""


def parse_range(date_from: str | None, date_to: str | None) -> tuple[date, date]:
    """Validate the query's dates: ISO dates, `date_to` ≥ `date_from`, at most 731 days."""
    parsed: list[date] = []
    for name, text in (("date_from", date_from), ("date_to", date_to)):
        if not text:
            raise AriQueryError(f"{name} is required (YYYY-MM-DD)")
        try:
            parsed.append(date.fromisoformat(text))
        except ValueError as exc:
            raise AriQueryError(f"{name} must be a date YYYY-MM-DD, got {text!r}") from exc
        if len(text) != len("YYYY-MM-DD"):
            raise AriQueryError(f"{name} must be a date YYYY-MM-DD, got {text!r}")
    first, last = parsed
    if last < first:
        raise AriQueryError(f"date_to {last} is before date_from {first}")
    if (last - first).days + 1 > MAX_ARI_DAYS:
        raise AriQueryError(f"the range spans more than {MAX_ARI_DAYS} days")
    return first, last


def ari_document(state: PmsState, date_from: date, date_to: date, shape: Shape) -> dict[str, Any]:
    if shape == "flat":
        return flat_document(state, date_from, date_to)
    return per_date_document(state, date_from, date_to)


def per_date_document(state: PmsState, date_from: date, date_to: date) -> dict[str, Any]:
    days = days_between(date_from, date_to)
    room_types = []
    for room in state.hotel.room_types:
        room_days = []
        for day in days:
            rates = []
            for plan in room.planos:
                cell = state.plan_day(room.categoria, plan.plano, day)
                r = cell.restrictions
                rates.append(
                    {
                        "plano": plan.plano,
                        "rate": str(cell.rate),
                        "min_stay_arrival": r.min_stay_arrival,
                        "min_stay_through": r.min_stay_through,
                        "max_stay": r.max_stay,
                        "closed_to_arrival": r.closed_to_arrival,
                        "closed_to_departure": r.closed_to_departure,
                        "stop_sell": r.stop_sell,
                    }
                )
            room_days.append(
                {
                    "date": day.isoformat(),
                    "available": state.available(room.categoria, day),
                    "rates": rates,
                }
            )
        room_types.append(
            {"categoria": room.categoria, "total": len(room.apartamentos), "days": room_days}
        )
    return {"currency": state.hotel.currency, "room_types": room_types}


def flat_document(state: PmsState, date_from: date, date_to: date) -> dict[str, Any]:
    days = days_between(date_from, date_to)
    room_types = []
    for room in state.hotel.room_types:
        first_plan = room.planos[0].plano
        room_types.append(
            {
                "categoria": room.categoria,
                "total": len(room.apartamentos),
                "available": min(state.available(room.categoria, day) for day in days),
                "rate": str(state.plan_day(room.categoria, first_plan, date_from).rate),
                "currency": state.hotel.currency,
            }
        )
    return {"room_types": room_types}
