"""Channex emulator webhooks: delivery to a loopback receiver, headers, payloads, retries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from middleware.sandbox.channex import ChannexEmulator
from tests.sandbox.channex_harness import Hotel, hook, make_hotel, receiver, running, stay

NOW = datetime(2026, 11, 21, 12, 30, 0, tzinfo=UTC)


def emulator() -> ChannexEmulator:
    return ChannexEmulator(
        today=lambda: date(2026, 11, 1), now=lambda: NOW, webhook_retry_backoff_s=0.01
    )


async def test_booking_delivers_generic_and_specific_events_with_custom_headers() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        await hook(
            api,
            rec,
            "main",
            h.property_id,
            event_mask="booking;booking_new",
            is_active=True,
            send_data=True,
            headers={"X-Channex-Secret": "s3cr3t"},
            request_params={"hotel": "duke"},
        )
        await hook(api, rec, "lean", h.property_id, event_mask="booking_new", is_active=True)
        await hook(api, rec, "off", h.property_id, event_mask="*", is_active=False)
        booking_id, revision_id = emu.create_booking(**stay(h))
        await emu.deliver_pending()
    main = sorted((g for g in rec.got if g["name"] == "main"), key=lambda g: g["json"]["event"])
    payload = {
        "booking_id": booking_id,
        "booking_revision_id": revision_id,
        "revision_id": revision_id,
        "property_id": h.property_id,
        "booking_unique_id": "BDC-9996013801",
        "ota_code": "BDC",
        "arrival_date": "2026-11-21",
        "amount": "100.00",
        "currency": "USD",
        "count_of_rooms": 1,
        "count_of_nights": 1,
        "customer_name": "Guest Sandbox",
        "channel_id": emu.state.revisions[revision_id]["channel_id"],
    }
    assert [g["json"] for g in main] == [
        {
            "event": "booking",
            "payload": payload,
            "property_id": h.property_id,
            "user_id": None,
            "timestamp": "2026-11-21T12:30:00.000Z",
        },
        {
            "event": "booking_new",
            "payload": payload,
            "property_id": h.property_id,
            "user_id": None,
            "timestamp": "2026-11-21T12:30:00.000Z",
        },
    ]
    assert {g["headers"]["x-channex-secret"] for g in main} == {"s3cr3t"}
    assert {g["headers"]["content-type"] for g in main} == {"application/json"}
    assert [g["query"] for g in main] == [{"hotel": "duke"}, {"hotel": "duke"}]
    assert [g["json"] for g in rec.got if g["name"] == "lean"] == [
        {
            "event": "booking_new",
            "property_id": h.property_id,
            "user_id": None,
            "timestamp": "2026-11-21T12:30:00.000Z",
        },
    ]
    assert rec.events("off") == []
    assert sorted((d.event, d.status, d.attempt) for d in emu.deliveries) == [
        ("booking", 200, 1),
        ("booking_new", 200, 1),
        ("booking_new", 200, 1),
    ]


async def test_modification_cancellation_and_unmapped_room_events() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        await hook(api, rec, "all", h.property_id, event_mask="*", is_active=True, send_data=True)
        booking_id, _ = emu.create_booking(**stay(h))
        await emu.deliver_pending()
        emu.modify_booking(booking_id, notes="x")
        await emu.deliver_pending()
        emu.cancel_booking(booking_id)
        await emu.deliver_pending()
        _, unmapped_rev = emu.create_booking(**stay(h, "unmapped"))
        await emu.deliver_pending()
    events = rec.events("all")
    assert sorted(events[0:2]) == ["booking", "booking_new"]
    assert sorted(events[2:4]) == ["booking", "booking_modification"]
    assert sorted(events[4:6]) == ["booking", "booking_cancellation"]
    assert sorted(events[6:]) == ["booking", "booking_new", "booking_unmapped_room"]
    unmapped = next(g["json"] for g in rec.got if g["json"]["event"] == "booking_unmapped_room")
    assert unmapped["payload"] == {
        "booking_id": emu.state.revisions[unmapped_rev]["booking_id"],
        "booking_revision_id": unmapped_rev,
    }


async def test_property_webhook_wins_over_global_and_global_covers_the_rest() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        own = await make_hotel(api)
        other = await make_hotel(api)
        await hook(api, rec, "own", own.property_id, event_mask="booking", is_active=True)
        await hook(api, rec, "global", None, event_mask="booking", is_active=True, is_global=True)
        emu.create_booking(**stay(own))
        emu.create_booking(**stay(other))
        await emu.deliver_pending()
    assert [g["json"]["property_id"] for g in rec.got if g["name"] == "own"] == [own.property_id]
    assert [g["json"]["property_id"] for g in rec.got if g["name"] == "global"] == [
        other.property_id
    ]


async def test_receiver_5xx_is_retried_and_4xx_is_not() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        rec.script = {"flaky": [500, 503, 200], "picky": [400]}
        await hook(api, rec, "flaky", h.property_id, event_mask="booking_new", is_active=True)
        await hook(api, rec, "picky", h.property_id, event_mask="booking_new", is_active=True)
        emu.create_booking(**stay(h))
        await emu.deliver_pending()
    by_url = sorted((d.url.rsplit("/", 1)[1], d.attempt, d.status) for d in emu.deliveries)
    assert by_url == [("flaky", 1, 500), ("flaky", 2, 503), ("flaky", 3, 200), ("picky", 1, 400)]


async def test_webhooks_test_route_posts_a_test_message_and_returns_the_answer() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        body = {
            "webhook": {
                "callback_url": f"{rec.root}/probe",
                "event_mask": "*",
                "property_id": h.property_id,
                "headers": {"X-Secret": "t"},
            }
        }
        assert await api.post("/webhooks/test", body) == (
            200,
            {"data": {"status_code": 200, "body": "ok probe"}},
        )
        assert await api.get("/webhooks") == (
            200,
            {"data": [], "meta": {"page": 1, "limit": 10, "total": 0}},
        )
    assert [(g["json"]["event"], g["headers"]["x-secret"]) for g in rec.got] == [("test", "t")]


async def test_non_acked_booking_names_the_waiting_revision_with_its_summary() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api, currency="EUR")
        await hook(api, rec, "all", h.property_id, event_mask="*", is_active=True, send_data=True)
        booking_id, revision_id = emu.create_booking(
            **two_night_stay(h),
            customer={"name": "Ana", "surname": "Lima"},
            deliver=False,
        )
        status, body = await api.post(f"/_control/revisions/{revision_id}/non_acked")
        await emu.deliver_pending()
        unknown = await api.post("/_control/revisions/nope/non_acked")
    payload = {
        "booking_revision_id": revision_id,
        "booking_id": booking_id,
        "booking_unique_id": "BDC-9996013801",
        "ota_code": "BDC",
        "arrival_date": "2026-11-21",
        "amount": "200.00",
        "currency": "EUR",
        "count_of_rooms": 1,
        "count_of_nights": 2,
        "customer_name": "Ana Lima",
        "channel_id": emu.state.revisions[revision_id]["channel_id"],
        "property_id": h.property_id,
    }
    assert (status, body) == (200, {"revision_id": revision_id, "payload": payload})
    # the booking itself was not delivered: only the non_acked_booking event arrived
    assert [g["json"] for g in rec.got] == [
        {
            "event": "non_acked_booking",
            "payload": payload,
            "property_id": h.property_id,
            "user_id": None,
            "timestamp": "2026-11-21T12:30:00.000Z",
        }
    ]
    assert unknown == (404, {"error": "unknown revision 'nope'"})


async def test_undelivered_revisions_raise_no_webhook_but_sit_in_the_feed() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        await hook(api, rec, "all", h.property_id, event_mask="*", is_active=True, send_data=True)
        status, made = await api.post("/_control/bookings", {**stay(h), "deliver": False})
        booking_id = made["booking_id"]
        await api.post(f"/_control/bookings/{booking_id}/modify", {"notes": "x", "deliver": False})
        await api.post(f"/_control/bookings/{booking_id}/cancel", {"deliver": False})
        await emu.deliver_pending()
        _, feed = await api.get("/booking_revisions/feed")
        bad = await api.post("/_control/bookings", {**stay(h), "deliver": "no"})
    assert status == 201
    assert rec.got == [] and emu.deliveries == []
    assert feed["meta"]["total"] == 3
    assert bad == (400, {"error": "deliver must be a boolean, got 'no'"})
    assert len(emu.state.bookings) == 1


async def test_which_keys_name_the_revision_is_an_emulator_setting() -> None:
    emu = emulator()
    async with receiver() as rec, running(emu) as api:
        h = await make_hotel(api)
        await hook(
            api, rec, "all", h.property_id, event_mask="booking", is_active=True, send_data=True
        )
        assert await api.call("GET", "/_control/settings") == (
            200,
            {"webhook_revision_keys": ["booking_revision_id", "revision_id"],
             "availability_task_ids": True},
        )  # fmt: skip
        status, settings = await api.call(
            "PUT", "/_control/settings", {"webhook_revision_keys": ["booking_revision_id"]}
        )
        _, revision_id = emu.create_booking(**stay(h))
        await emu.deliver_pending()
        refused = await api.call("PUT", "/_control/settings", {"webhook_revision_keys": ["id"]})
    assert (status, settings["webhook_revision_keys"]) == (200, ["booking_revision_id"])
    (got,) = rec.got
    assert got["json"]["payload"]["booking_revision_id"] == revision_id
    assert "revision_id" not in got["json"]["payload"]
    assert refused == (
        400,
        {"error": "webhook_revision_keys must be among ('booking_revision_id', 'revision_id')"},
    )


def two_night_stay(h: Hotel) -> dict[str, Any]:
    spec = stay(h)
    spec["rooms"][0]["checkout_date"] = "2026-11-23"
    return spec
