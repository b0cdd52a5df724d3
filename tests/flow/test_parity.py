"""Channex parity against the emulators: drift at Channex is read back, compared with
sistema-os and healed by the normal outbox, within one reconciliation period.

Each test goes live (full sync), makes Channex differ from the PMS the way hotels see it
happen — an edit in the Channex UI, a push Channex answered 200 but applied partly, its own
auto-decrement on a new booking — with no webhook reaching the middleware, then moves the
shared clock one `PARITY_INTERVAL` on. Only the scheduled read-back can notice.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from middleware.ops.watch import ProblemWatch
from middleware.sandbox.faults import FaultPlan
from tests.flow import ota
from tests.flow.harness import System, start_system
from tests.flow.oracle import ari_differences
from tests.kit.backends import Backend

SYNC_DAYS = 60
INTERVAL_S = 60
ENV = {
    "CHANNEX_SYNC_DAYS": str(SYNC_DAYS),
    "ARI_DEBOUNCE": "0.1",
    "ARI_MAX_DELAY": "0.5",
    "PARITY_INTERVAL": str(INTERVAL_S),
    "PARITY_DAYS": "30",
    "PARITY_FULL_HOUR": "",
}


@pytest.fixture
async def system(tmp_path: Path, backend: Backend) -> AsyncIterator[System]:
    async with start_system(tmp_path, backend, extra_env=ENV) as running:
        await running.full_sync()
        await _read_backs_armed(running)
        running.channex.reset_requests()
        yield running


async def _read_backs_armed(system: System) -> None:
    """The worker has seen the lanes once (their period starts then)."""

    async def armed() -> bool:
        keys = [
            f"parity_last:{system.property_id}:{kind}" for kind in ("availability", "restrictions")
        ]
        return all([await system.context.runtime.store.audit.get_value(k) for k in keys])

    await ota.until(armed, what="the parity loop's first look")


def _gets(system: System, endpoint: str) -> list[Any]:
    return system.channex.calls("GET", f"/{endpoint}")


async def _one_period_heals(system: System) -> None:
    """Move the clock one period on; the read-back must bring Channex back to the PMS."""
    assert ari_differences(system, days=30) != []
    system.clock.advance(INTERVAL_S)
    deadline = time.monotonic() + 15
    while ari_differences(system, days=30):
        assert time.monotonic() < deadline, ari_differences(system, days=30)[:5]
        await system.settle()
    await system.settle()


async def test_a_rate_and_a_stop_sell_edited_in_the_channex_ui_are_healed_by_the_schedule(
    system: System,
) -> None:
    day = system.today() + timedelta(days=5)
    plan_id = system.rate_plan_id("lvu", "padrao")
    pms_rate = Decimal(system.pms.ari(day, day)["room_types"][0]["days"][0]["rates"][0]["rate"])
    system.channex.edit_ari(
        "restrictions",
        [
            {
                "property_id": system.property_id,
                "rate_plan_id": plan_id,
                "date": day.isoformat(),
                "rate": "99.00",
                "stop_sell": True,
            },
        ],
        deliver=False,
    )
    await _one_period_heals(system)
    cell = system.channex.restrictions(system.property_id, day, day)[plan_id][day]
    assert (cell["rate"], cell["stop_sell"]) == (pms_rate, False)
    [push] = system.posts("restrictions")
    assert push == {
        "values": [
            {
                "property_id": system.property_id,
                "rate_plan_id": plan_id,
                "date": day.isoformat(),
                "rate": int(pms_rate * 100),
                "stop_sell": False,
            }
        ]
    }
    assert system.posts("availability") == []
    assert (len(_gets(system, "availability")), len(_gets(system, "restrictions"))) == (1, 1)


async def test_a_push_channex_applied_only_partly_is_healed(system: System) -> None:
    first = system.today() + timedelta(days=3)
    system.channex.faults = FaultPlan(11, p_partial=1.0)
    system.pms.set_rate("ov", "padrao", first, first + timedelta(days=1), Decimal("612.00"))
    system.pms.set_rate("dlvl", "padrao", first, first, Decimal("701.00"))
    await system.settle()
    assert system.channex.fault_counts == {"partial": 1}
    system.channex.faults = None
    await _one_period_heals(system)
    assert len(system.posts("restrictions")) == 2  # the partly applied push, then the heal


async def test_channex_auto_decrement_on_a_new_booking_is_reconciled_to_the_pms(
    system: System,
) -> None:
    """The booking's webhook never arrives (and the feed poll is off): Channex took a unit by
    itself; the PMS, which never heard of the booking, still has it free."""
    checkin = system.today() + timedelta(days=7)
    before = system.pms.availability("ov", checkin)
    system.channex.create_booking(
        property_id=system.property_id,
        rooms=[ota.room(system, "ov", checkin, checkin + timedelta(days=2))],
        deliver=False,
    )
    room_type = system.room_type_id("ov")
    assert system.channex.availability(system.property_id, checkin, checkin)[room_type] == {
        checkin: before - 1
    }
    await _one_period_heals(system)
    nights = [checkin, checkin + timedelta(days=1)]
    assert system.channex.availability(system.property_id, nights[0], nights[1])[room_type] == {
        night: system.pms.availability("ov", night) for night in nights
    }
    assert system.pms.availability("ov", checkin) == before
    [push] = system.posts("availability")
    assert push["values"] == [
        {
            "property_id": system.property_id,
            "room_type_id": room_type,
            "date_from": nights[0].isoformat(),
            "date_to": nights[1].isoformat(),
            "availability": before,
        }
    ]


async def test_no_drift_costs_two_reads_and_no_push(system: System) -> None:
    system.clock.advance(INTERVAL_S)

    async def read_back() -> bool:
        # both lanes' reads: they run side by side, in no fixed order (the settle below does
        # not wait for a read, only for pushes; waiting for one lane's read raced the other's)
        return bool(_gets(system, "restrictions")) and bool(_gets(system, "availability"))

    await ota.until(read_back, what="the scheduled read-back")
    await system.settle()
    assert system.posts("availability") == system.posts("restrictions") == []
    assert (len(_gets(system, "availability")), len(_gets(system, "restrictions"))) == (1, 1)


async def test_a_ui_edit_announced_by_webhook_is_healed_without_waiting_for_the_schedule(
    system: System,
) -> None:
    """A rate and a stop-sell edited in the Channex UI: the `ari` webhook names the cells,
    which are read back at once (no clock advance), exactly those days, and healed."""
    day = system.today() + timedelta(days=9)
    plan_id = system.rate_plan_id("ov", "padrao")
    [ov] = [r for r in system.pms.ari(day, day)["room_types"] if r["categoria"] == "ov"]
    pms_rate = Decimal(ov["days"][0]["rates"][0]["rate"])
    payload = system.channex.edit_ari(
        "restrictions",
        [
            {
                "property_id": system.property_id,
                "rate_plan_id": plan_id,
                "date": day.isoformat(),
                "rate": "99.00",
                "stop_sell": True,
            }
        ],
    )
    assert [(item["rate"], item["stop_sell"]) for item in payload] == [("99.00", True)]
    deadline = time.monotonic() + 15
    while ari_differences(system, days=30):
        assert time.monotonic() < deadline, ari_differences(system, days=30)[:5]
        await system.settle()
    [read] = _gets(system, "restrictions")
    assert (read.query["filter[date][gte]"], read.query["filter[date][lte]"]) == (
        day.isoformat(),
        day.isoformat(),
    )
    assert _gets(system, "availability") == []
    assert system.posts("restrictions") == [
        {
            "values": [
                {
                    "property_id": system.property_id,
                    "rate_plan_id": plan_id,
                    "date": day.isoformat(),
                    "rate": int(pms_rate * 100),
                    "stop_sell": False,
                }
            ]
        }
    ]


async def test_the_echo_of_an_own_push_costs_no_read(system: System) -> None:
    day = system.today() + timedelta(days=4)
    plan_id = system.rate_plan_id("lvu", "padrao")
    held = system.channex.restrictions(system.property_id, day, day)[plan_id][day]
    status, _ = await ota.post_webhook(
        system,
        {
            "event": "ari",
            "property_id": system.property_id,
            "user_id": None,
            "timestamp": system.clock().isoformat().replace("+00:00", "Z"),
            "payload": [
                {
                    "date": day.isoformat(),
                    "rate_plan_id": plan_id,
                    "rate": f"{held['rate']:.2f}",
                    "stop_sell": held["stop_sell"],
                }
            ],
        },
    )
    assert status == 200
    [event] = await system.context.runtime.store.inbox.list_events(limit=1)
    assert (event.event, event.status, event.detail) == (
        "ari",
        "ignored",
        "echo of the middleware's own push",
    )
    assert await system.context.runtime.store.parity_drift.requests() == []


async def test_channex_sync_errors_become_notices_with_their_reasons(system: System) -> None:
    status, _ = await ota.post_webhook(
        system,
        {
            "event": "sync_error",
            "property_id": system.property_id,
            "user_id": None,
            "timestamp": system.clock().isoformat().replace("+00:00", "Z"),
            "payload": {
                "channel": "BookingCom",
                "channel_name": "Booking.com",
                "error_type": "invalid_rate",
                "property_name": "Duke Beach",
            },
        },
    )
    assert status == 200
    [notice] = await system.context.runtime.store.notices.open_notices()
    assert (notice.kind, notice.detail) == (
        "sync_error",
        "Channex sent sync_error, channel_name: Booking.com, channel: BookingCom,"
        " error_type: invalid_rate, property_name: Duke Beach",
    )
    watch = ProblemWatch(system.context.runtime, system.context.checker)
    assert await watch.check_once() == ["sync_error"]  # an alert, once
    assert await watch.check_once() == []


async def test_the_nightly_whole_horizon_comparison_shows_in_status(
    tmp_path: Path, backend: Backend
) -> None:
    """At PARITY_FULL_HOUR (09:00 at the hotel when the harness clock starts) the whole
    horizon is compared; /status shows when, over which days, and what was found."""
    env = {**ENV, "PARITY_FULL_HOUR": "9"}
    async with start_system(tmp_path, backend, extra_env=env) as system:

        async def compared() -> bool:
            status, body = await system.admin("GET", "/status")
            return status == 200 and body["properties"][0]["parity"]["last_full_comparison"]

        await ota.until(compared, what="the whole-horizon comparison")
        await system.settle()
        _, body = await system.admin("GET", "/status")
        last = body["properties"][0]["parity"]["last_full_comparison"]
        today = system.today()
        cells = 6 * SYNC_DAYS + 6 * SYNC_DAYS  # duke beach: 6 room types, one plan each
        assert {k: last[k] for k in ("date_from", "date_to", "cells")} == {
            "date_from": today.isoformat(),
            "date_to": (today + timedelta(days=SYNC_DAYS - 1)).isoformat(),
            "cells": cells,
        }
        assert last["drift"] == last["queued"] > 0  # before go-live Channex holds nothing
        assert ari_differences(system, days=SYNC_DAYS) == []  # healed with no full sync
