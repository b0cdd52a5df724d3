"""Every console page in a real browser: axe-core finds no serious or critical violation, a
screenshot of each is written, Portuguese is chosen by the browser's language, and no response
the browser received — pages, redirects, assets, live events — carries the Channex API key, the
webhook secret, the admin token or a guest's e-mail or phone (the token is in no URL and no
log line either)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Response, expect
from structlog.testing import capture_logs

from tests.browser.kit import chromium, console_page, screenshot, serious_violations, sign_in
from tests.flow import ota
from tests.flow.harness import ADMIN_TOKEN, API_KEY, WEBHOOK_SECRET, start_system

PAGES = {
    "attention": "/console/",
    "lanes": "/console/lanes",
    "calendar": "/console/calendar?month=2026-12",
    "bookings": "/console/bookings",
    "calls": "/console/calls",
    "mapping": "/console/mapping",
}
MAIL, PHONE = "ana.lima@example.com", "+5511987654321"
OTHER_MAIL, OTHER_PHONE = "guest@example.com", "+10000000000"  # the emulator's default guest
SECRETS = (API_KEY, WEBHOOK_SECRET, ADMIN_TOKEN, MAIL, PHONE, OTHER_MAIL, OTHER_PHONE)
FAST_ARI = {"ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}


async def test_every_page_is_accessible_and_no_response_leaks_a_secret(tmp_path: Path) -> None:
    async with (
        start_system(tmp_path, extra_env=FAST_ARI) as system,
        chromium() as browser,
        console_page(browser) as (context, page),
    ):
        await system.full_sync()
        guest = ota.customer("Ana", "Lima", mail=MAIL, phone=PHONE)
        system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", date(2026, 12, 10), date(2026, 12, 13))],
            customer=guest,
        )
        unmapped = {"room_type_id": None, "rate_plan_id": None}
        system.channex.create_booking(
            property_id=system.property_id,
            rooms=[{**unmapped, "checkin_date": "2026-12-20", "checkout_date": "2026-12-22"}],
        )
        await system.settle()

        reads: list[asyncio.Task[str]] = []
        urls: list[str] = []

        async def read(response: Response) -> str:
            """Headers and body of a response, read as soon as it arrives."""
            kind = response.request.resource_type
            if response.status in (301, 302, 303, 307) or kind == "eventsource":
                return str(response.headers)
            try:
                body = (await response.body()).decode("utf-8", "replace")
            except PlaywrightError:
                # navigated away before its body was read (a live refresh, a script): asked
                # again with the same session cookie, so what it carries is still searched
                assert response.request.method == "GET", (kind, response.url)
                body = await (await context.request.get(response.url)).text()
            return f"{response.headers}\n{body}"

        page.on("response", lambda response: reads.append(asyncio.create_task(read(response))))
        page.on("request", lambda request: urls.append(request.url))
        with capture_logs() as logs:
            await page.goto(system.url + PAGES["attention"])
            assert await serious_violations(page) == []
            await screenshot(page, "sign-in")
            await sign_in(page, system)
            await expect(page.get_by_role("heading", level=1)).to_have_text("Attention")
        assert all(ADMIN_TOKEN not in repr(entry) for entry in logs)

        for name, path in PAGES.items():
            await page.goto(system.url + path)
            await expect(page.get_by_role("heading", level=1)).to_have_text(name.capitalize())
            assert (name, await serious_violations(page)) == (name, [])
            await screenshot(page, name)
        await page.goto(system.url + PAGES["calendar"])
        await page.get_by_role(
            "button", name="Read availability back from Channex (one call)"
        ).click()
        await expect(page.locator("td .now").first).to_be_visible()
        assert await serious_violations(page) == []
        await page.goto(system.url + PAGES["bookings"])
        await page.locator("details summary").first.click()  # the PMS bodies, opened
        await expect(page.locator("details pre").first).to_contain_text("Ana Lima")
        assert await serious_violations(page) == []

        bodies = await asyncio.gather(*reads)
        assert len(bodies) > 4 * len(PAGES)
        assert any("Ana Lima" in body for body in bodies)  # the bodies really were read
        leaks = [(s, i) for i, body in enumerate(bodies) for s in SECRETS if s in body]
        assert leaks == []
        assert [u for u in urls if ADMIN_TOKEN in u] == []

        pt = await browser.new_context(locale="pt-BR")
        try:
            session = next(c for c in await context.cookies() if c["name"] == "console_session")
            await pt.add_cookies(
                [
                    {
                        "name": session["name"],
                        "value": session["value"],
                        "url": system.url + "/console",
                    }
                ]
            )
            portuguese = await pt.new_page()
            await portuguese.goto(system.url + PAGES["attention"])
            await expect(portuguese.get_by_role("heading", level=1)).to_have_text("Atenção")
            assert await portuguese.get_attribute("html", "lang") == "pt-BR"
            await expect(portuguese.get_by_role("button", name="Reprocessar")).to_have_count(1)
            assert await serious_violations(portuguese) == []
        finally:
            await pt.close()
