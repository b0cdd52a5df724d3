"""Bookings in when things go wrong: duplicate, reordered and lost webhooks, sistema-os down,
an unmapped room type and a full hotel — against both emulators and the real middleware.

Each case ends in the state that matters: the PMS bookings (the sistema-os emulator is the
oracle), the acks Channex received per revision, and what `/status` shows a person.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from structlog.testing import capture_logs

from middleware.sandbox.channex_delivery import envelope
from middleware.sandbox.faults import FaultPlan
from middleware.sandbox.pms_faults import PmsFaultPlan
from middleware.store.revisions import STALE_REASON
from tests.flow import ota
from tests.flow.harness import System, start_system
from tests.kit.backends import Backend

D = date.fromisoformat
CHECKIN, CHECKOUT = D("2026-12-10"), D("2026-12-13")
DROP_ALL = FaultPlan(seed=3, p_drop_webhook=1.0)
FAST_ARI = {"ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}


def _book(system: System, code: str = "lvu", **spec: Any) -> tuple[str, str]:
    return system.channex.create_booking(
        property_id=system.property_id,
        rooms=[ota.room(system, code, CHECKIN, CHECKOUT)],
        **spec,
    )


def _webhook(system: System, event: str, booking_id: str, revision_id: str) -> dict[str, Any]:
    """A booking webhook as the emulator sends it, stamped now."""
    payload = {
        "booking_id": booking_id,
        "property_id": system.property_id,
        "revision_id": revision_id,
    }
    return envelope(event, system.property_id, payload, system.clock())


def _revision_fetches(system: System, revision_id: str) -> int:
    return len(system.channex.calls("GET", f"/booking_revisions/{revision_id}"))


ATTENTION_KEYS = ("revision_id", "booking_id", "reason", "reason_code", "title", "headline")


async def _attention(system: System) -> list[dict[str, Any]]:
    """`/status` bookings needing attention: ids, reason, code, title and headline."""
    status, body = await system.admin("GET", "/status")
    assert status == 200
    return [{k: item[k] for k in ATTENTION_KEYS} for item in body["bookings"]["needs_attention"]]


def _headline(system: System, revision_id: str, rooms: str = "") -> str:
    """What the hotel reads for an emulated Booking.com revision."""
    revision = system.channex.state.revisions[revision_id]
    code = revision["unique_id"] or revision["ota_reservation_code"]
    guest = f"{revision['customer']['name']} {revision['customer']['surname']}"
    stay = "Thu 10 Dec 2026 → Sun 13 Dec 2026"
    return f"Duke Beach · Booking.com {code} · {guest} · {stay}" + (f" · {rooms}" if rooms else "")


async def _open_notices(system: System) -> list[tuple[str, str | None]]:
    status, body = await system.admin("GET", "/status")
    assert status == 200
    return sorted((n["kind"], n["ref"]) for n in body["notices"])


async def test_duplicate_webhooks_make_exactly_one_pms_booking(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        system.channex.faults = FaultPlan(seed=5, p_duplicate_webhook=1.0)
        booking_id, revision_id = _book(system)
        await system.settle()
        # Channex delivered `booking` and `booking_new`, each twice; then the same body comes
        # a fifth and a sixth time, as a Channex retry would send it.
        bodies = ota.delivered_bodies(system, revision_id)
        assert sorted(b["event"] for b in bodies) == ["booking"] * 2 + ["booking_new"] * 2
        for _ in range(2):
            assert await ota.post_webhook(system, bodies[0]) == (200, {"status": "duplicate"})
        await system.settle()

        (made,) = system.pms.bookings()
        assert (made.channex_booking_id, made.quarto_indice, made.status) == (
            booking_id,
            0,
            "CONFIRMADA",
        )
        assert ota.pms_creates(system) == 1
        assert _revision_fetches(system, revision_id) == 1
        assert ota.acks(system) == Counter({revision_id: 1})
        status, body = await system.admin("GET", "/admin/webhooks")
        assert status == 200
        assert sorted(e["status"] for e in body["events"]) == ["duplicate"] * 5 + ["queued"]


async def test_a_modification_arriving_before_its_booking_ends_in_the_newest_state(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        system.channex.faults = DROP_ALL  # we deliver by hand, in the wrong order
        booking_id, new_rev = _book(system, customer={"name": "Ana", "surname": "Lima"})
        modified_rev = system.channex.modify_booking(
            booking_id,
            rooms=[ota.room(system, "ov", D("2026-12-11"), D("2026-12-15"), adults=3)],
            customer={"name": "Ana", "surname": "Costa"},
        )
        system.channex.faults = None

        modified = _webhook(system, "booking_modification", booking_id, modified_rev)
        assert await ota.post_webhook(system, modified) == (200, {"status": "queued"})
        await system.settle()
        new = _webhook(system, "booking_new", booking_id, new_rev)
        assert await ota.post_webhook(system, new) == (200, {"status": "queued"})
        await system.settle()

        (made,) = system.pms.bookings()
        assert (
            made.categoria,
            made.checkin,
            made.checkout,
            made.adults,
            made.guest.name,
            made.status,
            made.channex_revision_id,
        ) == ("ov", D("2026-12-11"), D("2026-12-15"), 3, "Ana Costa", "CONFIRMADA", modified_rev)
        assert ota.pms_creates(system) == 1
        assert [r.method for r in system.pms.requests if "/booking" in r.path] == ["POST"]
        assert ota.acks(system) == Counter({modified_rev: 1, new_rev: 1})
        status, body = await system.admin("GET", "/admin/revisions?status=stale")
        assert status == 200
        assert [(r["revision_id"], r["reason"]) for r in body["revisions"]] == [
            (new_rev, STALE_REASON)
        ]


async def test_a_cancellation_overtaking_its_booking_leaves_nothing_in_the_pms(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        system.channex.faults = DROP_ALL
        booking_id, new_rev = _book(system)
        cancel_rev = system.channex.cancel_booking(booking_id)
        system.channex.faults = None

        cancelled = _webhook(system, "booking_cancellation", booking_id, cancel_rev)
        assert await ota.post_webhook(system, cancelled) == (200, {"status": "queued"})
        await system.settle()
        new = _webhook(system, "booking_new", booking_id, new_rev)
        assert await ota.post_webhook(system, new) == (200, {"status": "queued"})
        await system.settle()

        assert system.pms.bookings() == []
        assert [r for r in system.pms.requests if "/booking" in r.path] == []
        assert ota.acks(system) == Counter({cancel_rev: 1, new_rev: 1})
        stale = await system.context.runtime.store.revisions.list_by_status(["stale"])
        assert [r.revision_id for r in stale] == [new_rev]


async def test_a_dropped_webhook_is_picked_up_by_the_feed_poll(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(
        tmp_path, backend, extra_env={**FAST_ARI, "FEED_POLL_INTERVAL": "1"}
    ) as system:
        system.channex.faults = DROP_ALL
        booking_id, revision_id = _book(system)
        assert sorted(event for _, event in system.channex.dropped_deliveries) == [
            "booking",
            "booking_new",
        ]
        assert system.channex.deliveries == []

        async def acked() -> bool:
            return ota.acks(system)[revision_id] == 1

        await ota.until(acked, timeout_s=15.0, what="the feed poll finds the revision")
        await system.settle()

        (made,) = system.pms.bookings()
        assert (made.channex_booking_id, made.status) == (booking_id, "CONFIRMADA")
        row = await system.context.runtime.store.revisions.get(revision_id)
        assert row is not None
        assert (row.source, row.status) == ("feed", "acked")
        assert ota.acks(system) == Counter({revision_id: 1})
        assert system.channex.calls("GET", "/booking_revisions/feed") != []


async def test_no_ack_while_the_pms_is_down_then_one_booking_and_one_ack(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        system.pms.faults = PmsFaultPlan(seed=7, down=True)
        _, revision_id = _book(system)
        store = system.context.runtime.store

        async def retried_twice() -> bool:
            row = await store.revisions.get(revision_id)
            return row is not None and row.attempts >= 2

        async def refused() -> bool:
            return any(r.status == 503 for r in system.pms.requests)

        await ota.until(refused, what="the PMS refuses the create")
        system.clock.advance(60)  # past the first back-off: a second try, still down
        await ota.until(retried_twice, what="a second attempt")

        assert system.pms.bookings() == []
        assert ota.acks(system) == Counter()
        row = await store.revisions.get(revision_id)
        assert row is not None
        assert row.status == "pending"
        assert row.reason is not None and row.reason.startswith("PMS: ")
        assert await _attention(system) == []  # retrying, not parked

        system.pms.faults = None
        system.clock.advance(600)  # past any back-off
        await system.settle()
        (made,) = system.pms.bookings()
        assert made.status == "CONFIRMADA"
        assert ota.acks(system) == Counter({revision_id: 1})
        creates = [r.status for r in system.pms.requests if r.path == "/api/v1/channex/booking"]
        assert creates[-1] == 201
        assert set(creates[:-1]) == {503}
        assert len(creates) >= 3
        keys = {
            r.headers["idempotency-key"]
            for r in system.pms.requests
            if r.path == "/api/v1/channex/booking"
        }
        assert keys == {f"{made.channex_booking_id}:0"}


async def test_an_unmapped_room_type_is_parked_and_stays_parked_on_replay(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        unmapped_room = {
            "room_type_id": None,
            "rate_plan_id": None,
            "checkin_date": CHECKIN.isoformat(),
            "checkout_date": CHECKOUT.isoformat(),
        }
        with capture_logs() as logs:
            booking_id, revision_id = system.channex.create_booking(
                property_id=system.property_id, rooms=[unmapped_room]
            )
            await system.settle()
        reason = "needs attention: room 0: room type missing (unmapped at the OTA)"
        expected = [
            {
                "revision_id": revision_id,
                "booking_id": booking_id,
                "reason": reason,
                "reason_code": "room_unmapped_at_ota",
                "title": "Room not mapped at the OTA",
                "headline": _headline(system, revision_id),
            }
        ]
        assert await _attention(system) == expected
        errors = [e for e in logs if e["log_level"] == "error"]
        assert [(e["event"], e["outcome"], e["revision_id"], e["reason"]) for e in errors] == [
            ("booking_revision_processed", "parked", revision_id, reason)
        ]
        assert await _open_notices(system) == [("booking_unmapped_room", revision_id)]
        assert [r for r in system.pms.requests if "/booking" in r.path] == []
        assert ota.acks(system) == Counter()

        status, body = await system.admin("POST", f"/admin/revisions/{revision_id}/replay")
        assert (status, body) == (202, {"status": "replaying", "revision_id": revision_id})
        await system.settle()
        assert await _attention(system) == expected
        assert _revision_fetches(system, revision_id) == 2
        assert ota.acks(system) == Counter()
        assert system.pms.bookings() == []


async def test_a_full_hotel_is_parked_then_replayed_once_a_room_is_free(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        direct = [system.pms.book_direct("dlvu", CHECKIN, CHECKOUT) for _ in range(2)]
        await system.settle()
        with capture_logs() as logs:
            booking_id, revision_id = _book(system, "dlvu")
            await system.settle()
        reason = (
            "PMS has no free apartment: no dlvu apartment is free every night"
            " from 2026-12-10 to 2026-12-13"
        )
        assert await _attention(system) == [
            {
                "revision_id": revision_id,
                "booking_id": booking_id,
                "reason": reason,
                "reason_code": "pms_no_vacancy",
                "title": "No free room in sistema-os",
                "headline": _headline(system, revision_id, "De Luxe Vista Urbana"),
            }
        ]
        errors = [e for e in logs if e["log_level"] == "error"]
        assert [(e["event"], e["outcome"], e["reason"]) for e in errors] == [
            ("booking_revision_processed", "parked", reason)
        ]
        assert await _open_notices(system) == [("booking_needs_attention", revision_id)]
        assert ota.acks(system) == Counter()
        assert [b.id for b in system.pms.bookings()] == direct

        system.pms.cancel_direct(direct[0])
        status, _ = await system.admin("POST", f"/admin/revisions/{revision_id}/replay")
        assert status == 202
        await system.settle()
        made = ota.pms_rooms(system, booking_id)
        assert [(b.categoria, b.status) for b in made] == [("dlvu", "CONFIRMADA")]
        assert ota.acks(system) == Counter({revision_id: 1})
        assert await _attention(system) == []
        revision = system.channex.state.revisions[revision_id]
        for text in (revision["customer"]["surname"].upper(), revision["ota_reservation_code"]):
            status, body = await system.admin("GET", f"/admin/revisions?q={text}")
            assert status == 200
            assert [
                (r["revision_id"], r["status"], r["headline"], r["received_at"][-6:])
                for r in body["revisions"]
            ] == [
                (
                    revision_id,
                    "acked",
                    _headline(system, revision_id, "De Luxe Vista Urbana"),
                    "-03:00",
                )
            ]
        assert await _attention(system) == []
        assert await _open_notices(system) == []
