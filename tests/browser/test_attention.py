"""Attention in a real browser: an OTA booking for a room type the mapping lacks shows with its
reason in hotel words and its age against Channex's 30-minute alarm; once the mapping is fixed,
Replay takes it to sistema-os and it is acked; Mark handled takes another off the page."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from pathlib import Path

from playwright.async_api import expect

from middleware.mapping import Mapping, write_mapping
from tests.browser.kit import chromium, console_page, screenshot, sign_in
from tests.flow import ota
from tests.flow.harness import start_system

D = date.fromisoformat
MISSING = "ovp"  # the categoria the operator's mapping lacks at first


def _without(mapping: Mapping, room_code: str) -> Mapping:
    prop = mapping.properties[0]
    rooms = tuple(r for r in prop.room_types if r.room_code != room_code)
    return Mapping((dataclasses.replace(prop, room_types=rooms),))


async def test_an_unmapped_room_is_replayed_from_attention_once_the_mapping_is_fixed(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path) as system, chromium() as browser:
        full = system.mapping
        ovp = full.by_room_code(system.property_id, MISSING)
        assert ovp is not None
        system.mapping = _without(full, MISSING)
        await system.restart()
        room = {
            "room_type_id": ovp.room.room_type_id,
            "rate_plan_id": ovp.room.rate_plans[0].rate_plan_id,
            "checkin_date": "2026-12-10",
            "checkout_date": "2026-12-12",
        }
        guest = ota.customer("Ana", "Lima", mail="ana.lima@example.com", phone="+5511987654321")
        booking_id, revision_id = system.channex.create_booking(
            property_id=system.property_id, rooms=[room], customer=guest, ota_name="BookingCom"
        )
        other_booking, other_revision = system.channex.create_booking(
            property_id=system.property_id, rooms=[room]
        )
        await system.settle()
        reason = f"needs attention: room 0: room type {ovp.room.room_type_id} is not mapped"

        async with console_page(browser) as (_, page):
            await sign_in(page, system)
            card = page.locator(f"#rev-{revision_id}")
            await expect(card.locator(".reason")).to_have_text(reason)
            await expect(card.locator("h3")).to_contain_text("Booking.com")
            await expect(card.locator("h3")).to_contain_text("Ana Lima")
            await expect(card).to_contain_text("2026-12-10 → 2026-12-12")
            await expect(card).to_contain_text("Ocean View Premier")  # Channex's title
            await expect(card).to_contain_text("Channex's non-ack alarm in 29 min")
            await screenshot(page, "attention")

            # Someone already dealt with the other one in sistema-os by hand.
            other = page.locator(f"#rev-{other_revision}")
            await other.get_by_label("What was done").fill("booked by phone")
            await other.get_by_role("button", name="Mark handled").click()
            await expect(page.get_by_role("status")).to_have_text("Marked handled.")
            await expect(page.locator(f"#rev-{other_revision}")).to_have_count(0)

            system.clock.advance(31 * 60)
            await page.reload()
            await expect(card).to_contain_text("past Channex's 30-minute non-ack alarm")
            assert system.pms.bookings() == []
            assert ota.acks(system) == Counter()

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
            assert ota.acks(system) == Counter({revision_id: 1})

            await page.get_by_role("link", name="Bookings").click()
            booking = page.locator(f"#booking-{booking_id}")
            await expect(booking.locator(".revision")).to_contain_text("acked")
            timeline = booking.locator(".timeline")
            await expect(timeline).to_contain_text("applied in sistema-os")
            await expect(timeline).to_contain_text("POST /api/v1/channex/booking → 201")
            await expect(timeline).to_contain_text("acked at Channex 200")
        assert other_booking not in {b.channex_booking_id for b in system.pms.bookings()}
