"""Oracles for flow tests: Channex's stored ARI equals the PMS's, cell by cell.

Reads the sistema-os emulator's own ARI document and the Channex emulator's stored state; it
uses none of the middleware's parsing or encoding, so it checks them rather than repeats them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from middleware.domain.mapping import Mapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator


class Parties(Protocol):
    """Both emulators and the mapping between them (`tests.flow.harness.System` is one)."""

    @property
    def channex(self) -> ChannexEmulator: ...
    @property
    def pms(self) -> PmsEmulator: ...
    @property
    def mapping(self) -> Mapping: ...
    @property
    def property_id(self) -> str: ...
    def today(self) -> date: ...


RESTRICTION_FIELDS = (
    "min_stay_arrival",
    "min_stay_through",
    "max_stay",
    "closed_to_arrival",
    "closed_to_departure",
    "stop_sell",
)


def ari_differences(system: Parties, *, days: int, first: date | None = None) -> list[str]:
    """Every cell where the Channex emulator disagrees with the PMS over `days` from today."""
    start = first or system.today()
    end = start + timedelta(days=days - 1)
    document: dict[str, Any] = system.pms.ari(start, end)
    availability = system.channex.availability(system.property_id)
    restrictions = system.channex.restrictions(system.property_id)
    problems: list[str] = []
    for room in document["room_types"]:
        code = room["categoria"]
        ref = system.mapping.by_room_code(system.property_id, code)
        if ref is None:
            continue
        plans = {p.plan_code: p.rate_plan_id for p in ref.room.rate_plans}
        for day in room["days"]:
            when = date.fromisoformat(day["date"])
            want = max(0, min(int(day["available"]), int(room["total"])))
            got = availability.get(ref.room.room_type_id, {}).get(when)
            if got != want:
                problems.append(f"{code} {when} availability: channex {got}, pms {want}")
            for rate in day.get("rates", []):
                plan_id = plans.get(rate["plano"])
                if plan_id is None:
                    continue
                held = restrictions.get(plan_id, {}).get(when, {})
                if Decimal(str(held.get("rate"))) != Decimal(str(rate["rate"])):
                    problems.append(
                        f"{code}/{rate['plano']} {when} rate: channex {held.get('rate')},"
                        f" pms {rate['rate']}"
                    )
                for name in RESTRICTION_FIELDS:
                    if rate.get(name) is not None and held.get(name) != rate[name]:
                        problems.append(
                            f"{code}/{rate['plano']} {when} {name}: channex {held.get(name)},"
                            f" pms {rate[name]}"
                        )
    return problems


async def assert_channex_matches_pms(system: Parties, *, days: int) -> None:
    differences = ari_differences(system, days=days)
    assert differences == [], f"{len(differences)} cells differ, first: {differences[:5]}"
