"""Driving OTA bookings through the Channex emulator and reading what came of them.

The Channex emulator plays the OTA side (`create_booking` / `modify_booking` /
`cancel_booking` fire the booking webhooks at the middleware); the sistema-os emulator's
`bookings()` is the oracle for what reached the hotel, and the emulator's request log says
what the middleware asked of Channex (revision fetches, acks, availability pushes).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from middleware.sandbox.pms_state import Booking
from tests.flow.harness import SECRET_HEADER, WEBHOOK_SECRET, System

ACK_SUFFIX = "/ack"
REVISIONS_PATH = "/api/v1/booking_revisions/"

Cells = dict[tuple[str, date], int]


def room(
    system: System,
    code: str,
    checkin: date,
    checkout: date,
    *,
    adults: int = 2,
    children: int = 0,
    plan: str = "padrao",
) -> dict[str, Any]:
    """One room of an OTA booking, mapped to categoria `code`."""
    return {
        "room_type_id": system.room_type_id(code),
        "rate_plan_id": system.rate_plan_id(code, plan),
        "checkin_date": checkin.isoformat(),
        "checkout_date": checkout.isoformat(),
        "adults": adults,
        "children": children,
    }


def customer(name: str, surname: str, *, mail: str, phone: str) -> dict[str, str]:
    return {"name": name, "surname": surname, "mail": mail, "phone": phone}


def acks(system: System) -> Counter[str]:
    """Accepted `POST /booking_revisions/:id/ack` calls per revision id."""
    return Counter(
        r.path.removeprefix(REVISIONS_PATH).removesuffix(ACK_SUFFIX)
        for r in system.channex.requests
        if r.method == "POST"
        and r.path.startswith(REVISIONS_PATH)
        and r.path.endswith(ACK_SUFFIX)
        and r.status == 200
    )


def pms_rooms(system: System, channex_booking_id: str) -> list[Booking]:
    """The PMS bookings made for one Channex booking, by room index."""
    found = [b for b in system.pms.bookings() if b.channex_booking_id == channex_booking_id]
    return sorted(found, key=lambda b: (b.quarto_indice or 0, b.id))


def pms_creates(system: System) -> int:
    """`POST /api/v1/channex/booking` calls the PMS emulator received (any answer)."""
    return sum(
        1 for r in system.pms.requests if r.method == "POST" and r.path == "/api/v1/channex/booking"
    )


def availability_cells(system: System, since: int = 0) -> Cells:
    """(categoria, night) → availability from the accepted `POST /availability` calls recorded
    at or after index `since` of the emulator's request log; later calls win."""
    codes = {r.room_type_id: r.room_code for p in system.mapping.properties for r in p.room_types}
    cells: Cells = {}
    for request in system.channex.requests[since:]:
        if request.method != "POST" or request.path != "/api/v1/availability":
            continue
        if request.status != 200 or not isinstance(request.body, dict):
            continue
        for value in request.body["values"]:
            first = date.fromisoformat(value.get("date") or value["date_from"])
            last = date.fromisoformat(value.get("date") or value["date_to"])
            while first <= last:
                cells[(codes[value["room_type_id"]], first)] = value["availability"]
                first += timedelta(days=1)
    return cells


def stay_cells(code: str, checkin: date, checkout: date, availability: int) -> Cells:
    """The cells of a stay's nights (checkout excluded), all at `availability`."""
    nights = (checkout - checkin).days
    return {(code, checkin + timedelta(days=n)): availability for n in range(nights)}


async def post_webhook(system: System, body: dict[str, Any]) -> tuple[int, Any]:
    """POST a webhook body to the middleware as Channex would (with the secret header)."""
    headers = {SECRET_HEADER: WEBHOOK_SECRET}
    async with system.session.post(
        system.url + "/webhook/channex", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


def delivered_bodies(system: System, revision_id: str) -> list[dict[str, Any]]:
    """The webhook bodies the emulator delivered about one revision (every event name),
    whichever key names it (`booking_revision_id`, as real Channex, or `revision_id`)."""
    return [
        d.body
        for d in system.channex.deliveries
        if isinstance(d.body.get("payload"), dict)
        and revision_id
        in (d.body["payload"].get("booking_revision_id"), d.body["payload"].get("revision_id"))
    ]


async def until(
    condition: Callable[[], Awaitable[bool]], *, timeout_s: float = 15.0, what: str = ""
) -> None:
    """Wait (polling) until `condition()` is true; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.05)
