"""The flat sistema-os ARI shape (what sistema-os ships today: one `available` and one `rate`
per categoria for the whole queried range) end to end. The adapter must read it one day at a
time — a range answer is the minimum availability and the first day's rate — and the
middleware then sends availability and the first plan's rate only, one call per endpoint."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.flow import ota
from tests.flow.harness import System, start_system
from tests.kit.backends import Backend

SYNC_DAYS = 40
ENV = {"CHANNEX_SYNC_DAYS": str(SYNC_DAYS), "ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}
ARI_GET = "/api/v1/channex/ari"
SCOPE_KEYS = {"property_id", "room_type_id", "rate_plan_id", "date", "date_from", "date_to", "days"}


def _ari_reads(system: System) -> list[tuple[str, str]]:
    """(date_from, date_to) of every ARI read the PMS answered, in order."""
    return [
        (r.query["date_from"], r.query["date_to"])
        for r in system.pms.requests
        if r.method == "GET" and r.path == ARI_GET and r.status == 200
    ]


def _fields(values: list[dict[str, Any]]) -> set[str]:
    return {name for value in values for name in value if name not in SCOPE_KEYS}


def _differences(system: System, days: list[date]) -> list[str]:
    """Cells where Channex's availability or first-plan rate is not sistema-os's, per day."""
    availability = system.channex.availability(system.property_id)
    restrictions = system.channex.restrictions(system.property_id)
    problems = []
    for room in system.pms.state.hotel.room_types:
        code, plan = room.categoria, room.planos[0].plano
        room_type_id, rate_plan_id = system.room_type_id(code), system.rate_plan_id(code, plan)
        for day in days:
            want = system.pms.availability(code, day)
            got = availability.get(room_type_id, {}).get(day)
            if got != want:
                problems.append(f"{code} {day} availability: channex {got}, pms {want}")
            rate = system.pms.state.plan_day(code, plan, day).rate
            held = restrictions.get(rate_plan_id, {}).get(day, {}).get("rate")
            if held != rate:
                problems.append(f"{code} {day} rate: channex {held}, pms {rate}")
    return problems


async def test_flat_pms_full_sync_and_a_rate_change(tmp_path: Path, backend: Backend) -> None:
    async with start_system(tmp_path, backend, extra_env=ENV, pms_shape="flat") as system:
        today = system.today()
        horizon = [today + timedelta(days=n) for n in range(SYNC_DAYS)]
        # Bookings first, so availability differs from day to day.
        system.pms.book_direct("dlvu", today + timedelta(days=3), today + timedelta(days=6))
        system.pms.book_direct("dlvu", today + timedelta(days=4), today + timedelta(days=5))
        await system.settle()
        assert {system.pms.availability("dlvu", d) for d in horizon} == {0, 1, 2}
        # The first read asked for a range and taught the adapter the shape; no more ranges.
        before = _ari_reads(system)
        assert [r for r in before if r[0] != r[1]] == [before[0]]
        system.pms.requests.clear()
        system.channex.reset_requests()

        await system.full_sync()
        # The two lanes push side by side: which call Channex sees first is not decided (on
        # PostgreSQL their store round trips overlap), so the calls are compared sorted.
        statuses = sorted(
            (r.path, r.status)
            for r in system.channex.requests
            if r.method == "POST" and r.path in ("/api/v1/availability", "/api/v1/restrictions")
        )
        assert statuses == [("/api/v1/availability", 200), ("/api/v1/restrictions", 200)]
        (avail,) = system.posts("availability")
        (restr,) = system.posts("restrictions")
        assert (_fields(avail["values"]), _fields(restr["values"])) == ({"availability"}, {"rate"})
        assert _differences(system, horizon) == []
        # Every day of the horizon read on its own, once.
        assert Counter(_ari_reads(system)) == Counter(
            (d.isoformat(), d.isoformat()) for d in horizon
        )

        # A later rate change: one call with only that rate, read one day at a time.
        system.pms.requests.clear()
        system.channex.reset_requests()
        changed = [today + timedelta(days=n) for n in (10, 11, 12)]
        system.pms.set_rate("ov", "padrao", changed[0], changed[-1], Decimal("1234.50"))
        await system.settle()
        assert system.posts("availability") == []
        assert [r.status for r in system.channex.requests] == [200]
        assert system.posts("restrictions") == [
            {
                "values": [
                    {
                        "property_id": system.property_id,
                        "rate_plan_id": system.rate_plan_id("ov", "padrao"),
                        "date_from": changed[0].isoformat(),
                        "date_to": changed[-1].isoformat(),
                        "rate": 123450,
                    }
                ]
            }
        ]
        assert sorted(_ari_reads(system)) == [(d.isoformat(), d.isoformat()) for d in changed]
        assert _differences(system, horizon) == []


async def test_an_ota_booking_costs_one_pms_read_of_its_nights(
    tmp_path: Path, backend: Backend
) -> None:
    """sistema-os's change notice for the booking the middleware just wrote and the booking's
    own availability re-sync cover the same nights: they share one read."""
    async with start_system(tmp_path, backend, extra_env=ENV) as system:
        await system.full_sync()
        system.pms.requests.clear()
        system.channex.reset_requests()
        first = system.today() + timedelta(days=12)
        system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", first, first + timedelta(days=3))],
        )
        await system.settle()
        assert len(system.pms.notifier.sent) == 1  # sistema-os did send its change notice
        stay = (first.isoformat(), (first + timedelta(days=2)).isoformat())
        assert _ari_reads(system) == [stay]
        assert _differences(system, [first + timedelta(days=n) for n in range(3)]) == []
