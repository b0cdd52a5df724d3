"""`GET /status` (admin): the whole document after a full sync, a booking parked by a full
hotel, a push Channex answered with a warning and a push answered 429 (the lane paused).

The clock stands still, so every timestamp is the start instant (or the pause's end); the
call counts are read from the Channex emulator's request log, not from the middleware.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from middleware.sandbox.faults import FaultPlan
from tests.flow import ota
from tests.flow.harness import START, System, start_system
from tests.web.operator_kit import INSTANT_ARI, FrozenClock

D = date.fromisoformat
T0 = START.isoformat()
PAUSE_END = "2026-10-31T12:01:00+00:00"  # the first 429 pauses a lane for one window (60 s)
RATE_LIMITED = (
    "channex: POST /restrictions rate limited: http_too_many_requests Too Many Requests (HTTP 429)"
)
FULL_HOTEL = (
    "PMS has no free apartment: no dlvu apartment is free every night from 2026-12-10 to 2026-12-13"
)
WAIT_S = 10.0


async def _paused(system: System) -> None:
    """Wait until a lane has been paused by a 429."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        states = await system.context.runtime.store.lanes.states(system.clock())
        if any(s.pause_count for s in states):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no lane was paused")


def _lane(
    *,
    pending: int,
    dead: int,
    used: int,
    last_error: str | None = None,
    paused: bool = False,
) -> dict[str, Any]:
    return {
        "pending": pending,
        "in_flight": 0,
        "dead_lettered": dead,
        "oldest_pending_at": T0 if pending else None,
        "last_push_at": T0,
        "last_success_at": T0,
        "last_error": last_error,
        "rate_limit": {
            "per_minute": 10,
            "window_s": 60.0,
            "used_in_window": used,
            "tokens_left": 10 - used,
            "paused": paused,
            "paused_until": PAUSE_END if paused else None,
            "pause_count": 1 if paused else 0,
        },
    }


async def test_status_after_a_full_sync_a_parked_booking_a_warning_and_a_429(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=INSTANT_ARI) as system:
        await system.full_sync()
        url, system.pms.middleware_url = system.pms.middleware_url, None
        for _ in range(2):  # both dlvu apartments taken at the desk, announced in one notice
            system.pms.book_direct("dlvu", D("2026-12-10"), D("2026-12-13"))
        system.pms.middleware_url = url
        await system.pms.notify(["dlvu"], D("2026-12-10"), D("2026-12-12"))
        await system.settle()
        booking_id, revision_id = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "dlvu", D("2026-12-10"), D("2026-12-13"))],
        )
        await system.settle()
        system.channex.faults = FaultPlan(seed=1, p_warning=1.0)
        system.pms.set_rate("lvu", "padrao", D("2026-11-20"), D("2026-11-20"), Decimal("444"))
        await system.settle()
        system.channex.faults = FaultPlan(seed=1, p_429=1.0)
        system.pms.set_rate("ov", "padrao", D("2026-11-21"), D("2026-11-21"), Decimal("555"))
        await _paused(system)

        async with system.session.get(system.url + "/status") as response:
            assert response.status == 401  # admin only
        status, body = await system.admin("GET", "/status")

    assert status == 200
    calls = [(r.path.removeprefix("/api/v1/"), r.status) for r in system.channex.requests]
    pushes = [c for c in calls if c[0] in ("availability", "restrictions")]
    assert pushes == [
        ("availability", 200),  # full sync
        ("restrictions", 200),  # full sync
        ("availability", 200),  # the two desk bookings
        ("availability", 200),  # the nights Channex took for the OTA booking, re-synced
        ("restrictions", 200),  # the lvu rate, one value dropped with a warning
        ("restrictions", 429),  # the ov rate: paused
    ]
    pid = system.property_id
    warning_value = {
        "property_id": pid,
        "rate_plan_id": system.rate_plan_id("lvu", "padrao"),
        "date": "2026-11-20",
        "rate": 44400,
        "warning": {"value": ["rejected by the channel manager (injected fault)"]},
    }
    warning = {
        "id": 2,
        "at": T0,
        "kind": "channex_warning",
        "property_id": pid,
        "ref": None,
        "detail": "Channex dropped 1 value(s) of a restrictions push: "
        + orjson.dumps(warning_value).decode(),
    }
    revision = system.channex.state.revisions[revision_id]
    code = revision["unique_id"] or revision["ota_reservation_code"]
    guest = f"{revision['customer']['name']} {revision['customer']['surname']}"
    headline = (
        f"Duke Beach · Booking.com {code} · {guest} · Thu 10 Dec 2026 → Sun 13 Dec 2026"
        " · De Luxe Vista Urbana"
    )
    title = "No free room in sistema-os"
    explanation = (
        "sistema-os has no free apartment of this room type for these nights (overbooking),"
        " so the booking could not be created. sistema-os said: “no dlvu apartment is free"
        " every night from 2026-12-10 to 2026-12-13”"
    )
    next_step = (
        "Free a room in sistema-os for these nights (move or cancel another booking), then"
        " replay the booking (python -m middleware replay REVISION_ID). If the guest cannot"
        " be hosted, arrange it with the OTA and mark it handled."
    )
    attention = {
        "revision_id": revision_id,
        "booking_id": booking_id,
        "reason": FULL_HOTEL,
        "reason_code": "pms_no_vacancy",
        "title": title,
        "explanation": explanation,
        "next_step": next_step,
        "headline": headline,
        "hotel": "Duke Beach",
        "ota": "Booking.com",
        "ota_code": code,
        "guest": guest,
        "arrival": "2026-12-10",
        "departure": "2026-12-13",
        "room_types": ["De Luxe Vista Urbana"],
        "timezone": "America/Sao_Paulo",
        "since": "2026-10-31T09:00:00-03:00",  # T0 in the hotel's time
    }
    assert body["properties"] == [
        {
            "property_id": pid,
            "name": "Duke Beach",
            "live": {"since": T0, "by": "test harness"},
            "last_full_sync": "2026-10-31T12:00:00.000000Z",
            "parity": {"last_full_comparison": None, "open_drift": 0},
            "lanes": {
                "availability": _lane(pending=0, dead=0, used=3),
                # the dropped value is dead-lettered; the ov rate waits for the pause to end
                "restrictions": _lane(
                    pending=1, dead=1, used=3, last_error=RATE_LIMITED, paused=True
                ),
            },
            "channex_warnings": [warning],
            "needs_attention": [attention],
        }
    ]
    recent = [{**p, "task_ids": len(p["task_ids"])} for p in body.pop("recent_pushes")]
    assert body == {
        "now": T0,
        "channex_enabled": True,
        "properties": body["properties"],
        "bookings": {
            "revisions": {
                "pending": 0,
                "applied": 0,
                "acked": 0,
                "stale": 0,
                "parked": 1,
                "handled": 0,
                "unknown": 0,
            },
            "oldest_unacked_at": T0,
            "needs_attention": [attention],
        },
        "webhooks": {"waiting": 0},
        "sync_requests": {"pending": 0, "last_error": None},
        "channex_warnings": [warning],
        "notices": [
            {
                "id": 1,
                "at": T0,
                "kind": "booking_needs_attention",
                "property_id": pid,
                "ref": revision_id,
                "detail": f"{headline} — {title}. {explanation} Next step: {next_step}",
            }
        ],
    }

    def push(
        id: int, endpoint: str, status: str, values: int | None, **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": id,
            "property_id": pid,
            "endpoint": endpoint,
            "status": status,
            "values": values,
            "calls": None if values is None else 1,
            "task_ids": 0 if status in ("failed", "partial") else 1,
            "warnings": 0,
            "error": None,
            "full_sync": False,
            "at": T0,
            **extra,
        }

    assert recent == [
        push(6, "restrictions", "failed", None, error=RATE_LIMITED),
        push(5, "restrictions", "partial", 1, warnings=1),
        push(4, "availability", "sent", 1),
        push(3, "availability", "sent", 1),
        push(2, "restrictions", "sent", 42, full_sync=True),
        push(1, "availability", "sent", 6, full_sync=True),
    ]
