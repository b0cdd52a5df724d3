"""The Calendar and the Calls view in a real browser: a rate changed in sistema-os shows as a
difference (PMS value against what Channex accepted, and Channex's own read-back), "Resync
these dates" sends it, and the difference is gone once Channex accepted the push — which the
Calls view, open in another tab, shows as it happens without a reload."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from playwright.async_api import expect

from tests.browser.kit import chromium, console_page, screenshot, sign_in
from tests.flow.harness import start_system

DAY = date(2026, 12, 15)
FAST_ARI = {"ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}


async def test_a_pms_rate_change_differs_until_its_push_is_accepted_and_calls_show_it_live(
    tmp_path: Path,
) -> None:
    async with (
        start_system(tmp_path, extra_env=FAST_ARI) as system,
        chromium() as browser,
        console_page(browser) as (context, page),
    ):
        await system.full_sync()
        await sign_in(page, system)
        calls = await context.new_page()
        await calls.goto(system.url + "/console/calls")
        await expect(calls.get_by_role("heading", level=1)).to_have_text("Calls")

        # sistema-os changes a price but its change notice does not arrive.
        system.pms.middleware_url = None
        system.pms.state.set_rate("lvu", "padrao", DAY, DAY, Decimal("777.00"))
        await page.goto(system.url + "/console/calendar?month=2026-12&field=rate")
        cell = page.locator(f'td[data-row="lvu/padrao"][data-day="{DAY.isoformat()}"]')
        await expect(cell).to_have_class(re.compile(r"\bdiff\b"))
        await expect(cell.locator(".pms")).to_have_text("777.00")
        accepted = await cell.locator(".acc").text_content()
        assert accepted is not None and accepted.strip() not in ("777.00", "·")
        await expect(page.locator("#diff-count")).to_have_text("Cells that differ: 1")
        await expect(page.locator("td.diff")).to_have_count(1)

        reads_before = len(system.channex.calls("GET", "/api/v1/restrictions"))
        await page.get_by_role(
            "button", name="Read restrictions back from Channex (one call)"
        ).click()
        await expect(cell.locator(".now")).to_have_text(accepted.strip())
        assert len(system.channex.calls("GET", "/api/v1/restrictions")) == reads_before + 1
        await screenshot(page, "calendar")

        system.pms.middleware_url = system.url
        await page.get_by_role("button", name=re.compile("^Resync these dates")).click()
        await expect(page.get_by_role("status")).to_contain_text("Resync recorded")
        await expect(page.locator("#diff-count")).to_have_text("No differences")
        await expect(cell.locator(".acc")).to_have_text("777.00")
        await expect(cell).not_to_have_class(re.compile(r"\bdiff\b"))
        assert [b["values"] for b in system.posts("restrictions")][-1] == [
            {
                "property_id": system.property_id,
                "rate_plan_id": system.rate_plan_id("lvu", "padrao"),
                "date": DAY.isoformat(),
                "rate": 77700,
            }
        ]

        # The Calls tab was never reloaded: the live refresh brought the push in.
        push_line = calls.locator("table.calls tr", has_text="/api/v1/restrictions").filter(
            has_text="rate=77700"
        )
        await expect(push_line).to_have_count(1)
        await expect(push_line).to_contain_text(f"lvu/padrao {DAY} rate=77700")
        await expect(push_line).to_contain_text("POST")
        await expect(calls.locator("table.pushes tbody tr").first).to_contain_text("sent")
        await screenshot(calls, "calls")
