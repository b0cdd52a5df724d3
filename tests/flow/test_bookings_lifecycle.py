"""Bookings in, end to end: an OTA booking made in the Channex emulator reaches the sistema-os
emulator through the real middleware — created, modified, cancelled, one PMS booking per
room — each revision acked exactly once, and the availability it moved pushed back out."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import orjson
from structlog.testing import capture_logs

from middleware.config import load_settings
from middleware.ops import runtime
from middleware.sandbox.faults import FaultPlan
from middleware.store import keys
from middleware.store.port import Store
from tests.flow import ota
from tests.flow.harness import System, start_system
from tests.flow.oracle import assert_channex_matches_pms
from tests.kit.backends import Backend

D = date.fromisoformat
SYNC_DAYS = 60
FAST_ARI = {
    "CHANNEX_SYNC_DAYS": str(SYNC_DAYS),
    "ARI_DEBOUNCE": "0.1",
    "ARI_MAX_DELAY": "0.5",
}
LVU_UNITS, DLVU_UNITS = 11, 2
NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)


async def _live(system: System) -> None:
    """Go live (full sync), then forget its calls: each step counts only its own."""
    await system.full_sync()
    system.channex.reset_requests()


async def test_new_modified_cancelled_reaches_the_pms_acked_once_with_availability(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await _live(system)

        booking_id, new_rev = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", D("2026-12-10"), D("2026-12-13"))],
            customer=ota.customer(
                "Maria", "Silva", mail="maria@example.com", phone="+55 11 99999-0000"
            ),
            notes="late arrival",
        )
        await system.settle()
        (created,) = ota.pms_rooms(system, booking_id)
        assert (
            created.categoria,
            created.checkin,
            created.checkout,
            created.status,
            created.guest.name,
            created.guest.email,
            created.adults,
            created.channel,
            created.ota_code,
            created.quarto_indice,
            created.channex_revision_id,
            created.notes,
        ) == (
            "lvu",
            D("2026-12-10"),
            D("2026-12-13"),
            "CONFIRMADA",
            "Maria Silva",
            "maria@example.com",
            2,
            "Booking.com",
            "BDC-9996013801",
            0,
            new_rev,
            "late arrival\n[Channex] Pagamento: no hotel, cartão VI",
        )
        assert ota.availability_cells(system) == ota.stay_cells(
            "lvu", D("2026-12-10"), D("2026-12-13"), LVU_UNITS - 1
        )
        await assert_channex_matches_pms(system, days=SYNC_DAYS)

        mark = len(system.channex.requests)
        modified_rev = system.channex.modify_booking(
            booking_id,
            # the same room (as at the OTA), moved to another type and dates
            rooms=[
                {
                    **ota.room(system, "dlvu", D("2026-12-15"), D("2026-12-18"), adults=3),
                    "from": 0,
                }
            ],
            customer={"name": "Maria", "surname": "Souza"},
        )
        await system.settle()
        (modified,) = ota.pms_rooms(system, booking_id)
        assert modified.id == created.id  # modified in place, not re-created
        assert (
            modified.categoria,
            modified.apartamento.startswith("DLVU-"),
            modified.checkin,
            modified.checkout,
            modified.status,
            modified.guest.name,
            modified.adults,
        ) == (
            "dlvu",
            True,
            D("2026-12-15"),
            D("2026-12-18"),
            "CONFIRMADA",
            "Maria Souza",
            3,
        )
        # The old nights give their unit back, the new ones take one.
        assert ota.availability_cells(system, mark) == {
            **ota.stay_cells("lvu", D("2026-12-10"), D("2026-12-13"), LVU_UNITS),
            **ota.stay_cells("dlvu", D("2026-12-15"), D("2026-12-18"), DLVU_UNITS - 1),
        }
        await assert_channex_matches_pms(system, days=SYNC_DAYS)

        mark = len(system.channex.requests)
        cancelled_rev = system.channex.cancel_booking(booking_id)
        await system.settle()
        (cancelled,) = ota.pms_rooms(system, booking_id)
        assert (
            cancelled.id,
            cancelled.status,
            cancelled.categoria,
            cancelled.checkin,
            cancelled.checkout,
            cancelled.guest.name,
            cancelled.cancel_reason,
        ) == (
            created.id,
            "CANCELADA",
            "dlvu",
            D("2026-12-15"),
            D("2026-12-18"),
            "Maria Souza",
            "cancelled at Booking.com",
        )
        assert ota.availability_cells(system, mark) == ota.stay_cells(
            "dlvu", D("2026-12-15"), D("2026-12-18"), DLVU_UNITS
        )
        await assert_channex_matches_pms(system, days=SYNC_DAYS)

        assert ota.acks(system) == Counter({new_rev: 1, modified_rev: 1, cancelled_rev: 1})
        assert len(system.pms.bookings()) == 1
        assert ota.pms_creates(system) == 1
        status, body = await system.admin("GET", "/status")
        assert status == 200
        assert body["bookings"]["revisions"] == {
            "pending": 0,
            "applied": 0,
            "acked": 3,
            "stale": 0,
            "parked": 0,
            "handled": 0,
            "unknown": 0,
        }
        assert body["bookings"]["needs_attention"] == []


async def test_multi_room_booking_is_one_pms_booking_per_room_and_a_removed_room_is_cancelled(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await _live(system)
        rooms = [
            ota.room(system, "ov", D("2026-12-20"), D("2026-12-23")),
            ota.room(system, "ov", D("2026-12-20"), D("2026-12-23"), adults=1),
            ota.room(system, "lvl", D("2026-12-21"), D("2026-12-22")),
        ]
        booking_id, new_rev = system.channex.create_booking(
            property_id=system.property_id,
            rooms=rooms,
            customer=ota.customer("Ana", "Lima", mail="ana@example.com", phone="+55 21 98888"),
        )
        await system.settle()
        made = ota.pms_rooms(system, booking_id)
        assert [(b.quarto_indice, b.categoria, b.adults, b.status) for b in made] == [
            (0, "ov", 2, "CONFIRMADA"),
            (1, "ov", 1, "CONFIRMADA"),
            (2, "lvl", 2, "CONFIRMADA"),
        ]
        assert len({b.apartamento for b in made}) == 3
        # Each room's total is its own amount at the OTA; together the booking's amount.
        revision = system.channex.state.revisions[new_rev]
        assert [b.valor_total for b in made] == [Decimal(r["amount"]) for r in revision["rooms"]]
        assert sum(b.valor_total for b in made) == Decimal(revision["amount"])
        assert ota.availability_cells(system) == {
            **ota.stay_cells("ov", D("2026-12-20"), D("2026-12-23"), 5 - 2),
            **ota.stay_cells("lvl", D("2026-12-21"), D("2026-12-22"), 11 - 1),
        }

        mark = len(system.channex.requests)
        modified_rev = system.channex.modify_booking(booking_id, rooms=[{"from": 0}, {"from": 1}])
        await system.settle()
        after = ota.pms_rooms(system, booking_id)
        assert [(b.id, b.quarto_indice, b.status) for b in after] == [
            (made[0].id, 0, "CONFIRMADA"),
            (made[1].id, 1, "CONFIRMADA"),
            (made[2].id, 2, "CANCELADA"),
        ]
        # The rooms that stayed keep their stay and apartment; only what the booking as a
        # whole says changed (two rooms now, and their total).
        total = Decimal(system.channex.state.revisions[modified_rev]["amount"])
        assert after[:2] == [
            dataclasses.replace(
                room,
                rooms_in_booking=2,
                booking_total=total,
                channex_revision_id=modified_rev,
            )
            for room in made[:2]
        ]
        assert total == sum(b.valor_total for b in after[:2])
        assert after[2].cancel_reason == "room removed at Booking.com"
        assert ota.availability_cells(system, mark) == ota.stay_cells(
            "lvl", D("2026-12-21"), D("2026-12-22"), 11
        )
        await assert_channex_matches_pms(system, days=SYNC_DAYS)
        assert ota.acks(system) == Counter({new_rev: 1, modified_rev: 1})
        assert ota.pms_creates(system) == 3


async def test_a_legacy_booking_imported_at_start_is_cancelled_in_the_pms_never_created(
    tmp_path: Path,
    backend: Backend,
) -> None:
    """The old integration's `bookings.json` beside the database is imported once at start;
    a later cancellation at the OTA cancels its `pms_reserva_id`, with no create."""
    async with start_system(tmp_path, backend, extra_env=FAST_ARI) as system:
        await _live(system)
        # The old integration took this booking: it saw the revision (the middleware did not)
        # and acked it, and made the booking in sistema-os itself.
        system.channex.faults = FaultPlan(seed=1, p_drop_webhook=1.0)
        checkin, checkout = D("2026-12-05"), D("2026-12-08")
        booking_id, legacy_rev = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", checkin, checkout)],
        )
        system.channex.faults = None
        system.channex.state.acked.add(legacy_rev)
        pms_id = system.pms.book_direct("lvu", checkin, checkout, guest_name="Legacy Guest")
        (tmp_path / "bookings.json").write_bytes(
            orjson.dumps(
                {
                    booking_id: {
                        "pms_reserva_id": pms_id,
                        "status": "new",
                        "revision_id": legacy_rev,
                        "property_id": system.property_id,
                    },
                    "bk-broken": {"status": "new"},
                }
            )
        )
        await system.settle()
        with capture_logs() as first_start:
            await system.restart()
        imports = [e for e in first_start if e["event"].startswith("legacy_bookings")]
        assert imports == [
            {
                "event": "legacy_bookings_imported",
                "log_level": "warning",
                "path": str(tmp_path / "bookings.json"),
                "imported": 1,
                "skipped": 0,
                "problems": ["bk-broken: no pms_reserva_id or qloapps_order_id"],
            }
        ]

        mark = len(system.channex.requests)
        cancel_rev = system.channex.cancel_booking(booking_id)
        await system.settle()
        (legacy,) = system.pms.bookings()
        assert (legacy.id, legacy.status, legacy.cancel_reason) == (
            pms_id,
            "CANCELADA",
            "cancelled at Booking.com",
        )
        assert ota.pms_creates(system) == 0
        assert ota.acks(system) == Counter({cancel_rev: 1})
        assert ota.availability_cells(system, mark) == ota.stay_cells(
            "lvu", checkin, checkout, LVU_UNITS
        )

        with capture_logs() as second_start:
            await system.restart()
        assert [e for e in second_start if e["event"].startswith("legacy_bookings")] == []


async def test_an_unreadable_legacy_file_is_tried_again_at_the_next_start(
    tmp_path: Path, store: Store
) -> None:
    settings = load_settings(
        {"CHANNEX_API_KEY": "k", "DATABASE_PATH": str(tmp_path / "m.db")}, env_file=None
    )
    legacy = tmp_path / "bookings.json"
    legacy.write_text("{not json")
    with capture_logs() as logs:
        await runtime.import_legacy_once(store, settings, NOW)
    assert [(e["event"], e["log_level"], e["imported"]) for e in logs] == [
        ("legacy_bookings_import_failed", "error", 0)
    ]
    assert await store.audit.get_value(keys.LEGACY_IMPORTED_KEY) is None

    legacy.write_bytes(orjson.dumps({"bk-1": {"pms_reserva_id": 7, "status": "new"}}))
    await runtime.import_legacy_once(store, settings, NOW)
    await runtime.import_legacy_once(store, settings, NOW)  # the marker: not again
    marker = await store.audit.get_value(keys.LEGACY_IMPORTED_KEY)
    assert marker is not None
    assert orjson.loads(marker) == {
        "path": str(legacy),
        "imported": 1,
        "skipped": 0,
        "problems": [],
    }
    record = await store.booking_map.load("bk-1")
    assert record is not None
    assert (record.imported, record.rooms[0].pms_id) == (True, "7")
