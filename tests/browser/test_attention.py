"""Attention in a real browser: an OTA booking for a room type the mapping lacks shows why it
stopped and the next step in hotel words (`domain.attention`) and its age against Channex's
30-minute alarm; once the mapping is fixed, Replay takes it to sistema-os and it is acked. Mark
handled closes another (`worker.handling.close_by_hand`): it ends `handled` with who and why, is
acked at Channex once and leaves the page; an ack Channex refuses is tried again from the page."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from pathlib import Path

from playwright.async_api import expect

from middleware.domain.mapping import Mapping
from middleware.mapping_file import write_mapping
from middleware.sandbox.faults import FaultPlan
from middleware.store.revisions import Handling
from tests.browser.kit import chromium, console_page, screenshot, sign_in
from tests.flow import ota
from tests.flow.harness import System, start_system

D = date.fromisoformat
MISSING = "ovp"  # the categoria the operator's mapping lacks at first


def _without(mapping: Mapping, room_code: str) -> Mapping:
    prop = mapping.properties[0]
    rooms = tuple(r for r in prop.room_types if r.room_code != room_code)
    return Mapping((dataclasses.replace(prop, room_types=rooms),))


async def unmapped_room(system: System) -> dict[str, str]:
    """A room of the categoria the operator's mapping lacks (the middleware restarts without
    it); the full mapping stays in `system.mapping`'s place for the caller to put back."""
    ovp = system.mapping.by_room_code(system.property_id, MISSING)
    assert ovp is not None
    system.mapping = _without(system.mapping, MISSING)
    await system.restart()
    return {
        "room_type_id": ovp.room.room_type_id,
        "rate_plan_id": ovp.room.rate_plans[0].rate_plan_id,
        "checkin_date": "2026-12-10",
        "checkout_date": "2026-12-12",
    }


def next_step_unmapped() -> str:
    return (
        "Add that room type to the mapping file (docs/pms.md, adding a room type), reload the"
        " mapping or restart, check with python -m middleware check, then replay the booking"
        " (python -m middleware replay REVISION_ID)."
    )


async def test_an_unmapped_room_is_replayed_from_attention_once_the_mapping_is_fixed(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path) as system, chromium() as browser:
        full = system.mapping
        room = await unmapped_room(system)
        guest = ota.customer("Ana", "Lima", mail="ana.lima@example.com", phone="+5511987654321")
        booking_id, revision_id = system.channex.create_booking(
            property_id=system.property_id, rooms=[room], customer=guest, ota_name="BookingCom"
        )
        other_booking, other_revision = system.channex.create_booking(
            property_id=system.property_id, rooms=[room]
        )
        await system.settle()
        room_type_id = room["room_type_id"]
        reason = f"needs attention: room 0: room type {room_type_id} is not mapped"
        store = system.context.runtime.store

        async with console_page(browser) as (_, page):
            await sign_in(page, system)
            card = page.locator(f"#rev-{revision_id}")
            await expect(card.locator(".title")).to_have_text("Room type not in the mapping")
            await expect(card.locator(".explanation")).to_have_text(
                f"The booking is for a Channex room type ({room_type_id}) that the mapping file"
                " does not link to any sistema-os categoria."
            )
            await expect(card.locator(".next-step")).to_have_text(next_step_unmapped())
            await expect(card.locator(".reason")).to_have_text(reason)  # the technical text
            await expect(card.locator("h3")).to_contain_text("Booking.com")
            await expect(card.locator("h3")).to_contain_text("Ana Lima")
            await expect(card).to_contain_text("2026-12-10 → 2026-12-12")
            await expect(card).to_contain_text("Ocean View Premier")  # Channex's title
            await expect(card).to_contain_text("Channex's non-ack alarm in 29 min")
            await screenshot(page, "attention")

            # Someone already dealt with the other one in sistema-os by hand.
            other = page.locator(f"#rev-{other_revision}")
            await other.get_by_label("Your name (optional)").fill("Ana")
            await other.get_by_label("What was done").fill("booked by phone")
            before = system.clock()
            await other.get_by_role("button", name="Mark handled").click()
            await expect(page.get_by_role("status")).to_have_text(
                "Marked handled and acked at Channex: its alarm stops."
            )
            await expect(page.locator(f"#rev-{other_revision}")).to_have_count(0)
            handled = await store.revisions.handling(other_revision)
            assert handled is not None and handled.ack_at is not None
            assert before <= handled.at <= handled.ack_at <= system.clock()
            assert dataclasses.replace(handled, at=before, ack_at=before) == Handling(
                revision_id=other_revision,
                by="Ana (console)",
                reason="booked by phone",
                at=before,
                prior_status="parked",
                prior_reason=reason,
                channex_ack="acked",
                ack_detail=None,
                ack_at=before,
            )
            row = await store.revisions.get(other_revision)
            assert row is not None and row.status == "handled"
            assert ota.acks(system) == Counter({other_revision: 1})

            system.clock.advance(31 * 60)
            await page.reload()
            await expect(card).to_contain_text("past Channex's 30-minute non-ack alarm")
            await expect(page.locator(f"#rev-{other_revision}")).to_have_count(0)
            assert system.pms.bookings() == []
            assert ota.acks(system) == Counter({other_revision: 1})

            # The operator adds the room type to the mapping and restarts the middleware.
            write_mapping(tmp_path / "mapping.json", full)
            system.mapping = full
            await system.restart()
            await page.reload()
            await card.get_by_role("button", name="Replay").click()
            await expect(page.locator(".flowing")).to_have_text(
                "All flowing: nothing needs a person."
            )
            await system.settle()
            (made,) = ota.pms_rooms(system, booking_id)
            assert (made.categoria, made.status, made.guest.name) == (
                MISSING,
                "CONFIRMADA",
                "Ana Lima",
            )
            assert ota.acks(system) == Counter({revision_id: 1, other_revision: 1})

            await page.get_by_role("link", name="Bookings").click()
            booking = page.locator(f"#booking-{booking_id}")
            await expect(booking.locator(".revision")).to_contain_text("acked")
            timeline = booking.locator(".timeline")
            await expect(timeline).to_contain_text("applied in sistema-os")
            await expect(timeline).to_contain_text("POST /api/v1/channex/booking → 201")
            await expect(timeline).to_contain_text("acked at Channex 200")
            at = handled.at.strftime("%Y-%m-%d %H:%M")
            await expect(page.locator(f"#booking-{other_booking} .handling")).to_have_text(
                f"Handled: Ana (console) · {at} · booked by phone · Ack at Channex: acked"
            )
        assert other_booking not in {b.channex_booking_id for b in system.pms.bookings()}


async def test_an_ack_channex_refuses_is_tried_again_from_attention(tmp_path: Path) -> None:
    async with start_system(tmp_path) as system, chromium() as browser:
        room = await unmapped_room(system)
        _, revision_id = system.channex.create_booking(property_id=system.property_id, rooms=[room])
        await system.settle()
        store = system.context.runtime.store

        async with console_page(browser) as (_, page):
            await sign_in(page, system)
            card = page.locator(f"#rev-{revision_id}")
            await card.get_by_label("What was done").fill("a test booking, cancelled at the OTA")
            system.channex.faults = FaultPlan(3, p_5xx=1.0)  # Channex answers 500 to everything
            await card.get_by_role("button", name="Mark handled").click()
            await expect(page.get_by_role("status")).to_have_text(
                "Marked handled, but Channex did not take the ack: try the ack again below."
            )
            await expect(card).to_have_count(0)
            owed = page.locator(f"#owed-{revision_id}")
            await expect(owed.locator(".handling")).to_contain_text(
                "console · "  # no name given
            )
            await expect(owed.locator(".handling")).to_contain_text(
                "a test booking, cancelled at the OTA"
            )
            await expect(owed).to_contain_text("failed")
            assert ota.acks(system) == Counter()
            failed = await store.revisions.handling(revision_id)
            assert failed is not None and (failed.by, failed.channex_ack) == ("console", "failed")
            await screenshot(page, "attention-owed-ack")

            system.channex.faults = None
            await owed.get_by_role("button", name="Try the ack again").click()
            await expect(page.locator(".flash")).to_have_text(
                "Marked handled and acked at Channex: its alarm stops."
            )
            await expect(page.locator(".flowing")).to_have_text(
                "All flowing: nothing needs a person."
            )
            assert ota.acks(system) == Counter({revision_id: 1})
            done = await store.revisions.handling(revision_id)
            assert done is not None
            assert (done.by, done.reason, done.channex_ack, done.ack_detail) == (
                "console",
                "a test booking, cancelled at the OTA",
                "acked",
                None,
            )
