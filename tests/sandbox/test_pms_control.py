"""Control methods and `/_control` routes, and the `/webhook/pms` calls every ARI change makes."""

import asyncio
import socket
from datetime import date
from decimal import Decimal
from typing import Any

from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.pms_faults import PmsFaultPlan
from middleware.sandbox.pms_notify import Notification
from middleware.serving import serve_app
from tests.sandbox.pms_harness import API, Receiver, booking_body, running

TOKEN = "Bearer hook-token"


def change(categorias: list[str], date_from: str, date_to: str) -> dict[str, Any]:
    return {"categorias": categorias, "date_from": date_from, "date_to": date_to}


async def test_each_control_method_tells_the_middleware() -> None:
    receiver = Receiver()
    async with serve_app(receiver.app()) as hook_root:
        pms = PmsEmulator(middleware_url=hook_root, middleware_token="hook-token")
        pms.set_rate("lvu", "padrao", date(2026, 9, 1), date(2026, 9, 7), Decimal("349.00"))
        await pms.drain_notifications()
        pms.set_restrictions("ov", "padrao", date(2026, 9, 5), date(2026, 9, 6), stop_sell=True)
        await pms.drain_notifications()
        booking_id = pms.book_direct("ovp", date(2026, 9, 14), date(2026, 9, 17), "Ana Lima")
        await pms.drain_notifications()
        pms.cancel_direct(booking_id)
        pms.cancel_direct(booking_id)  # nothing changes the second time: no call
        await pms.drain_notifications()
        await pms.notify(["dlvl", "dlvu"], date(2026, 9, 1), date(2026, 9, 1))
    assert receiver.calls == [
        (change(["lvu"], "2026-09-01", "2026-09-07"), TOKEN),
        (change(["ov"], "2026-09-05", "2026-09-06"), TOKEN),
        (change(["ovp"], "2026-09-14", "2026-09-16"), TOKEN),
        (change(["ovp"], "2026-09-14", "2026-09-16"), TOKEN),
        (change(["dlvl", "dlvu"], "2026-09-01", "2026-09-01"), TOKEN),
    ]
    assert [n.status for n in pms.notifier.sent] == [202] * 5
    assert pms.bookings()[0].valor_total == Decimal("2397.00")  # 3 media weekdays at 799.00


async def test_booking_routes_tell_the_middleware_about_the_nights_they_touch() -> None:
    receiver = Receiver()
    async with serve_app(receiver.app()) as hook_root:
        pms = PmsEmulator(middleware_url=hook_root)
        async with running(pms) as client:
            _, created = await client.call("POST", API + "/booking", booking_body())
            path = f"{API}/booking/{created['id']}"
            await client.call("PATCH", path, {"hospede_nome": "Maria Souza"})  # ARI unchanged
            await pms.drain_notifications()
            await client.call("PATCH", path, {"categoria": "lvu", "data_checkout": "2026-12-15"})
            await pms.drain_notifications()
            await client.call("POST", path + "/cancel", {"motivo": "no-show"})
            await pms.drain_notifications()
    assert receiver.calls == [
        (change(["ov"], "2026-12-10", "2026-12-12"), None),
        (change(["lvu", "ov"], "2026-12-10", "2026-12-14"), None),
        (change(["lvu"], "2026-12-10", "2026-12-14"), None),
    ]


def test_a_change_made_with_no_loop_is_sent_by_the_next_drain() -> None:
    receiver = Receiver()
    pms = PmsEmulator(hotel="certification", middleware_url="http://127.0.0.1:9")
    pms.set_rate("twin", "bb", date(2026, 10, 1), date(2026, 10, 2), Decimal("125.00"))

    async def scenario() -> None:
        async with serve_app(receiver.app()) as hook_root:
            pms.middleware_url = hook_root
            await pms.drain_notifications()

    asyncio.run(scenario())
    assert receiver.calls == [(change(["twin"], "2026-10-01", "2026-10-02"), None)]


async def test_an_unreachable_middleware_is_recorded_not_raised() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    pms = PmsEmulator(middleware_url=f"http://127.0.0.1:{closed_port}")
    pms.book_direct("lvu", date(2026, 9, 1), date(2026, 9, 2))
    await pms.drain_notifications()
    assert pms.notifier.sent == [
        Notification(
            body=change(["lvu"], "2026-09-01", "2026-09-01"),
            status=None,
            error="ClientConnectorError",
        )
    ]


async def test_control_routes_drive_the_emulator() -> None:
    receiver = Receiver()
    async with serve_app(receiver.app()) as hook_root:
        pms = PmsEmulator(middleware_url=hook_root, today=lambda: date(2026, 9, 1))
        async with running(pms) as client:
            rate = {"categoria": "ov", "plano": "padrao", "date_from": "2026-09-01",
                    "date_to": "2026-09-02", "rate": "555.00"}  # fmt: skip
            assert await client.call("POST", "/_control/rates", rate) == (200, {"ok": True})
            restrictions = {**rate, "min_stay_arrival": 2, "closed_to_departure": True}
            del restrictions["rate"]
            answer = await client.call("POST", "/_control/restrictions", restrictions)
            assert answer == (200, {"ok": True})
            stay = {"categoria": "ovp", "checkin": "2026-09-01", "checkout": "2026-09-02"}
            status, booked = await client.call("POST", "/_control/bookings", stay)
            assert (status, booked["apartamento"], booked["canal"]) == (201, "OVP-405", "Direto")
            status, cancelled = await client.call(
                "POST", f"/_control/bookings/{booked['id']}/cancel"
            )
            assert (status, cancelled["status"]) == (200, "CANCELADA")
            status, listed = await client.call("GET", "/_control/bookings")
            assert (status, listed) == (200, {"bookings": [cancelled]})
            status, ari = await client.call("GET", "/_control/ari")  # today + 30 days
            assert ari == pms.ari(date(2026, 9, 1), date(2026, 10, 1))
            ov_first_day = ari["room_types"][4]["days"][0]["rates"][0]
            assert (ov_first_day["rate"], ov_first_day["min_stay_arrival"]) == ("555.00", 2)
            assert ov_first_day["closed_to_departure"] is True
            answer = await client.call("PUT", "/_control/shape", {"shape": "flat"})
            assert (answer, pms.shape) == ((200, {"shape": "flat"}), "flat")
            plan = {"seed": 7, "p_5xx": 0.25}
            status, faults = await client.call("PUT", "/_control/faults", plan)
            assert pms.faults == PmsFaultPlan(7, p_5xx=0.25)
            assert (status, faults["faults"]["p_5xx"]) == (200, 0.25)
            answer = await client.call("PUT", "/_control/faults", None)
            assert (answer, pms.fault_runner) == ((200, {"faults": None}), None)
            await pms.drain_notifications()
            status, log = await client.call("GET", "/_control/requests")
    assert [(r["method"], r["path"], r["status"]) for r in log["requests"]] == [
        ("POST", "/_control/rates", 200),
        ("POST", "/_control/restrictions", 200),
        ("POST", "/_control/bookings", 201),
        ("POST", "/_control/bookings/1/cancel", 200),
        ("GET", "/_control/bookings", 200),
        ("GET", "/_control/ari", 200),
        ("PUT", "/_control/shape", 200),
        ("PUT", "/_control/faults", 200),
        ("PUT", "/_control/faults", 200),
    ]
    assert log["requests"][0]["body"] == rate
    assert sorted(str(body) for body, _ in receiver.calls) == sorted(
        str(c)
        for c in (
            change(["ov"], "2026-09-01", "2026-09-02"),
            change(["ov"], "2026-09-01", "2026-09-02"),
            change(["ovp"], "2026-09-01", "2026-09-01"),
            change(["ovp"], "2026-09-01", "2026-09-01"),
        )
    )


async def test_control_errors_name_the_problem() -> None:
    pms = PmsEmulator()
    pms.book_direct("ovp", date(2026, 9, 1), date(2026, 9, 2))
    pms.book_direct("ovp", date(2026, 9, 1), date(2026, 9, 2))
    async with running(pms) as client:
        full = await client.call(
            "POST",
            "/_control/bookings",
            {"categoria": "ovp", "checkin": "2026-09-01", "checkout": "2026-09-03"},
        )
        missing = await client.call("POST", "/_control/bookings/42/cancel")
        bad_rate = await client.call(
            "POST",
            "/_control/rates",
            {"categoria": "ov", "plano": "bb", "date_from": "2026-09-01",
             "date_to": "2026-09-01", "rate": "1.00"},
        )  # fmt: skip
        bad_plan = await client.call("PUT", "/_control/faults", {"seed": 1, "p_5xx": 2})
        bad_shape = await client.call("PUT", "/_control/shape", {"shape": "tall"})
    assert full == (
        409,
        {"detail": "no ovp apartment is free every night from 2026-09-01 to 2026-09-03"},
    )
    assert missing == (404, {"detail": "booking 42 not found"})
    assert bad_rate == (400, {"detail": "categoria 'ov' has no plano 'bb'"})
    assert bad_plan == (400, {"detail": "bad fault plan: p_5xx must be within [0, 1]"})
    assert bad_shape == (400, {"detail": "shape must be one of ['per_date', 'flat']"})
