"""The console with the web process alone: reading the calendar back from Channex and reading
the Channex catalog are asked of the worker, and the web calls Channex for neither (the
emulator's request log stays empty). Without a worker the page says the work is asked; once a
worker on the same database has done it, a refresh of the same page shows the result."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from playwright.async_api import expect

from middleware.worker import catalog
from tests.browser.kit import chromium, console_page, sign_in
from tests.flow.harness import start_system
from tests.web.test_admin_wakeups import WEB_ALONE, done, worker_beside

DAY = date(2026, 12, 15)


async def test_read_back_and_catalog_are_asked_of_the_worker_and_the_web_calls_nobody(
    tmp_path: Path,
) -> None:
    async with (
        start_system(tmp_path, extra_env=WEB_ALONE) as system,
        chromium() as browser,
        console_page(browser) as (_, page),
    ):
        async with worker_beside(system):
            await system.full_sync()
        stored = await catalog.stored(system.context.runtime.store, system.property_id)
        assert stored.read and stored.room_types  # read by the worker at its start
        system.pms.middleware_url = None
        system.pms.state.set_rate("lvu", "padrao", DAY, DAY, Decimal("777.00"))
        system.channex.reset_requests()
        await sign_in(page, system)

        await page.goto(system.url + "/console/calendar?month=2026-12&field=rate")
        cell = page.locator(f'td[data-row="lvu/padrao"][data-day="{DAY.isoformat()}"]')
        accepted = (await cell.locator(".acc").text_content() or "").strip()
        await page.get_by_role(
            "button", name="Read restrictions back from Channex (one call)"
        ).click()
        await expect(page.locator(".flash")).to_have_text(
            "Read-back requested: the worker reads Channex; refresh in a moment."
        )
        await expect(page.locator(".readback-asked")).to_have_text(
            "Read-back of restrictions requested: the worker reads Channex; refresh in a moment."
        )
        await expect(cell.locator(".now")).to_have_count(0)
        calendar_url = page.url
        assert re.search(r"[?&]read_back=1(&|$)", calendar_url)

        await page.goto(system.url + "/console/mapping")
        title = stored.room_types[system.room_type_id("lvu")]
        await expect(page.get_by_text(title).first).to_be_visible()  # the stored copy
        await page.get_by_role(
            "button", name="Read the room types and rate plans from Channex again"
        ).click()
        await expect(page.locator(".flash")).to_have_text(
            "Catalog read requested: the worker reads Channex; refresh in a moment."
        )
        assert system.channex.requests == []  # the web called nobody

        async with worker_beside(system):
            result = (await done(system, 1))["result"]
            assert result["outcome"] == "read"
            await done(system, 2)
        await page.goto(calendar_url)  # a refresh of the address the form sent it to
        await expect(page.locator(".readback-asked")).to_have_count(0)
        await expect(cell.locator(".now")).to_have_text(accepted)
        await expect(page.locator(".readback-at")).to_contain_text(
            "restrictions read back from Channex at"
        )
        reads = system.channex.calls("GET", "/api/v1/restrictions")
        assert len(reads) == 1  # by the worker
