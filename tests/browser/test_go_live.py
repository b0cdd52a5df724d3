"""Going live from the console (issue 12: "the first sync full from the CLI, the route or the
console"): the Lanes page says a hotel is not live yet and nothing has reached Channex; its Go
live button records who put it live and the full sync that pushes the whole horizon."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.browser.kit import chromium, console_page, serious_violations, sign_in
from tests.flow.harness import start_system
from tests.flow.oracle import assert_channex_matches_pms


async def test_a_hotel_goes_live_from_the_lanes_page(tmp_path: Path) -> None:
    async with (
        start_system(tmp_path, live=False) as system,
        chromium() as browser,
        console_page(browser) as (_context, page),
    ):
        store = system.context.runtime.store
        await sign_in(page, system)
        await page.goto(system.url + "/console/lanes")
        await expect(page.locator("p.live")).to_have_text(
            "Not live yet: nothing is sent to Channex until it goes live."
        )
        assert await serious_violations(page) == []
        await system.settle()
        assert (system.posts("availability"), system.posts("restrictions")) == ([], [])

        await page.fill("form.go-live input[name=by]", "Maria")
        await page.get_by_role("button", name="Go live").click()
        await expect(page.get_by_role("status")).to_have_text(
            "Live: the full sync that pushes the whole horizon is recorded."
        )
        went = (await store.live.live_properties())[system.property_id]
        assert went.by == "Maria (console)" and went.since <= system.clock()
        since = went.since.isoformat()[:19].replace("T", " ")
        await expect(page.locator("p.live")).to_have_text(f"Live since {since} (Maria (console))")
        await system.settle()  # the full sync went out: Channex holds what sistema-os has
        await assert_channex_matches_pms(system, days=60)


async def test_a_crafted_done_link_shows_no_message(tmp_path: Path) -> None:
    """`?done=` names the outcome of a form; any other console text is not shown as one."""
    async with (
        start_system(tmp_path) as system,
        chromium() as browser,
        console_page(browser) as (_context, page),
    ):
        await sign_in(page, system)
        await page.goto(system.url + "/console/lanes?done=wrong_token")
        await expect(page.get_by_role("status")).to_have_count(0)
        await page.goto(system.url + "/console/lanes?done=done_retry")
        await expect(page.get_by_role("status")).to_have_text("Dead letters back in the queue.")
