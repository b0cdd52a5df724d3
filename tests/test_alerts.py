"""Operator alerts to `ALERT_WEBHOOK_URL`, caught by a receiver app on loopback.

Each problem kind produces one message (a booking needing attention, a dead-lettered push, a
Channex warning on a push, Channex's own warning webhook, a stale worker); a burst produces one
message per kind per interval, the next one saying how many were held back; the text never
carries a secret or a guest's e-mail or phone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from middleware.alerts import MAX_PER_HOUR, PER_KIND_INTERVAL_S, Alerter
from middleware.ops.watch import WORKER_STALE_ALERT, ProblemWatch
from middleware.sandbox.channex_delivery import envelope
from middleware.sandbox.faults import FaultPlan
from middleware.serving import serve_app
from tests.flow import ota
from tests.flow.harness import ADMIN_TOKEN, API_KEY, WEBHOOK_SECRET, System, start_system
from tests.kit.clocks import ManualClock
from tests.web.operator_kit import INSTANT_ARI, NO_WORKER, beat

D = date.fromisoformat
SOURCE = "[channex-middleware]"
WAIT_S = 10.0
CHECKIN, CHECKOUT = D("2026-12-10"), D("2026-12-13")
FULL_HOTEL = (
    "PMS has no free apartment: no dlvu apartment is free every night from 2026-12-10 to 2026-12-13"
)


class Receiver:
    """A Slack-compatible incoming webhook: keeps every JSON body it is sent."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        self.messages.append(await request.json())
        return JSONResponse({"ok": True})

    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages]

    async def wait_for(self, count: int) -> list[str]:
        """The texts once at least `count` messages arrived."""
        deadline = time.monotonic() + WAIT_S
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.messages)} alert(s), wanted {count}")
            await asyncio.sleep(0.02)
        return self.texts()


@contextlib.asynccontextmanager
async def receiving() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver()
    async with serve_app(receiver.app) as url:
        yield receiver, url + "/hook"


# --------------------------------------------------------------------------- the alerter


async def test_a_burst_is_one_message_per_kind_per_interval(clock: ManualClock) -> None:
    async with receiving() as (receiver, url), aiohttp.ClientSession() as session:
        alerter = Alerter(session, url, clock=clock)
        for n in range(5):
            await alerter.send("dead_letter", f"push {n} dead-lettered")
            await alerter.send("channex_warning", f"warning {n}")
        assert receiver.texts() == [
            f"{SOURCE} dead_letter: push 0 dead-lettered",
            f"{SOURCE} channex_warning: warning 0",
        ]
        assert (alerter.delivered, alerter.suppressed) == (2, 8)
        clock.now = clock.now.replace(minute=4, second=59)  # 299 s later: still held back
        await alerter.send("dead_letter", "push 5 dead-lettered")
        assert len(receiver.messages) == 2
        clock.now = clock.now.replace(minute=5)  # PER_KIND_INTERVAL_S after the first
        await alerter.send("dead_letter", "push 6 dead-lettered")
        assert receiver.texts()[2:] == [
            f"{SOURCE} dead_letter: push 6 dead-lettered (+5 more of this kind held back)"
        ]
    assert PER_KIND_INTERVAL_S == 300.0


async def test_no_more_than_max_per_hour_in_all(clock: ManualClock) -> None:
    async with receiving() as (receiver, url), aiohttp.ClientSession() as session:
        alerter = Alerter(session, url, clock=clock)
        for n in range(MAX_PER_HOUR + 5):
            await alerter.send(f"kind_{n}", "problem")
        assert len(receiver.messages) == MAX_PER_HOUR
        clock.now = clock.now.replace(hour=13, second=1)
        await alerter.send("kind_late", "problem")
        assert len(receiver.messages) == MAX_PER_HOUR + 1


async def test_the_text_is_masked() -> None:
    async with receiving() as (receiver, url), aiohttp.ClientSession() as session:
        alerter = Alerter(session, url, clock=ManualClock(), secrets=[API_KEY, ADMIN_TOKEN, "abc"])
        await alerter.send(
            "booking_needs_attention",
            f"key {API_KEY} token {ADMIN_TOKEN} guest ana.lima@example.com"
            " phone +55 48 99999-0000 ok abc",
        )
    assert receiver.texts() == [
        f"{SOURCE} booking_needs_attention: key *** token *** guest a***@*** phone *** ok abc"
    ]


async def test_an_unreachable_receiver_is_logged_not_raised() -> None:
    async with aiohttp.ClientSession() as session:
        alerter = Alerter(session, "http://127.0.0.1:9/hook", clock=ManualClock())
        await alerter.send("dead_letter", "lost")
        assert alerter.delivered == 0


# --------------------------------------------------------------------------- the problems


async def test_each_problem_kind_sends_one_message(tmp_path: Path) -> None:
    async with receiving() as (receiver, url):
        env = {**INSTANT_ARI, "ALERT_WEBHOOK_URL": url, "OUTBOX_MAX_ATTEMPTS": "1"}
        async with start_system(tmp_path, clock=ManualClock(), extra_env=env) as system:
            await system.full_sync()
            await _full_hotel(system)
            booking_id, revision_id = system.channex.create_booking(
                property_id=system.property_id,
                rooms=[ota.room(system, "dlvu", CHECKIN, CHECKOUT)],
                customer=ota.customer(
                    "Ana", "Lima", mail="ana.lima@example.com", phone="+55 48 99999-0000"
                ),
            )
            await system.settle()
            texts = await receiver.wait_for(1)
            code = system.channex.state.revisions[revision_id]["unique_id"]
            assert texts == [
                f"{SOURCE} booking_needs_attention: Duke Beach · Booking.com {code} · Ana Lima"
                " · Thu 10 Dec 2026 → Sun 13 Dec 2026 · De Luxe Vista Urbana — No free room in"
                " sistema-os. sistema-os has no free apartment of this room type for these"
                " nights (overbooking), so the booking could not be created. sistema-os said:"
                f" “{FULL_HOTEL.removeprefix('PMS has no free apartment: ')}” Next step: Free a"
                " room in sistema-os for these nights (move or cancel another booking), then"
                " replay the booking (python -m middleware replay REVISION_ID). If the guest"
                " cannot be hosted, arrange it with the OTA and mark it handled."
                f" (revision {revision_id})"
            ]

            system.channex.faults = FaultPlan(seed=1, p_warning=1.0)
            system.pms.set_rate("lvu", "padrao", D("2026-11-20"), D("2026-11-20"), Decimal("444"))
            await system.settle()
            texts = await receiver.wait_for(2)
            assert texts[1].startswith(
                f"{SOURCE} channex_warning: Channex dropped 1 value(s) of a restrictions push: "
            )

            system.channex.faults = FaultPlan(seed=1, p_5xx=1.0)
            system.pms.set_rate("ov", "padrao", D("2026-11-21"), D("2026-11-21"), Decimal("555"))
            await system.settle()
            texts = await receiver.wait_for(3)
            assert texts[2] == (
                f"{SOURCE} dead_letter: 1 restrictions change(s) dead-lettered: channex:"
                " POST /restrictions server error: internal_server_error Internal Server"
                " Error (HTTP 500)"
            )
            system.channex.faults = None

            status, _ = await ota.post_webhook(system, _non_acked(system, booking_id))
            assert status == 200
            watch = ProblemWatch(system.context.runtime, system.context.checker)
            assert await watch.check_once() == ["non_acked_booking"]
            assert await watch.check_once() == []  # not again
            texts = await receiver.wait_for(4)
            assert texts[3] == (
                f"{SOURCE} non_acked_booking: Channex sent non_acked_booking, booking {booking_id}"
            )
    assert len(receiver.messages) == 4
    for text in receiver.texts():
        for private in (API_KEY, WEBHOOK_SECRET, ADMIN_TOKEN, "ana.lima@example.com", "99999"):
            assert private not in text


async def test_a_stale_worker_is_one_message_per_stale_spell(
    clock: ManualClock, tmp_path: Path
) -> None:
    async with receiving() as (receiver, url):
        env = {**NO_WORKER, "ALERT_WEBHOOK_URL": url}
        async with start_system(tmp_path, clock=clock, extra_env=env) as system:
            watch = ProblemWatch(system.context.runtime, system.context.checker)
            assert await watch.check_once() == []  # no heartbeat yet, but it may be starting
            await beat(system)
            clock.advance(61)
            assert await watch.check_once() == [WORKER_STALE_ALERT]
            assert await watch.check_once() == []  # still the same stale spell
            await beat(system)
            assert await watch.check_once() == []
            clock.advance(PER_KIND_INTERVAL_S)  # stale again, after the alerter's interval
            assert await watch.check_once() == [WORKER_STALE_ALERT]
    assert receiver.texts() == [
        f"{SOURCE} worker_stale: worker last heartbeat 61 s ago (stale)",
        f"{SOURCE} worker_stale: worker last heartbeat 300 s ago (stale)",
    ]


async def test_the_web_process_watches_the_worker_by_itself(
    clock: ManualClock, tmp_path: Path
) -> None:
    async with receiving() as (receiver, url):
        env = {**NO_WORKER, "ALERT_WEBHOOK_URL": url, "HEARTBEAT_STALE": "1"}
        async with start_system(tmp_path, clock=clock, extra_env=env) as system:
            await beat(system)
            clock.advance(2)
            texts = await receiver.wait_for(1)  # the app's watch looks every second
    assert texts == [f"{SOURCE} worker_stale: worker last heartbeat 2 s ago (stale)"]


async def _full_hotel(system: System) -> None:
    """Both dlvu apartments taken at the desk for CHECKIN..CHECKOUT."""
    for _ in range(2):
        system.pms.book_direct("dlvu", CHECKIN, CHECKOUT)
    await system.settle()


def _non_acked(system: System, booking_id: str) -> dict[str, Any]:
    """Channex's warning that a booking was not acked in time."""
    payload = {"booking_id": booking_id, "property_id": system.property_id}
    return envelope("non_acked_booking", system.property_id, payload, system.clock())
