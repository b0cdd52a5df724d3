"""Signing in to the console in a real browser: the right token opens Attention, a wrong one
is refused and slowed down, a POST without the CSRF token is refused, sign-out ends it."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from middleware.clock import utc_now
from middleware.sandbox.system import open_system
from middleware.sandbox.system_emulators import SANDBOX
from tests.browser.kit import chromium, console_page, sign_in
from tests.flow.harness import ADMIN_TOKEN, start_system


async def test_sign_in_refuses_a_wrong_token_and_a_post_without_csrf(tmp_path: Path) -> None:
    async with (
        start_system(tmp_path) as system,
        chromium() as browser,
        console_page(browser) as (context, page),
    ):
        await page.goto(system.url + "/console/lanes")
        await expect(page).to_have_url(system.url + "/console/sign-in")

        await sign_in(page, system, token="not-the-admin-token")
        await expect(page.get_by_role("alert")).to_have_text("That token is not the admin token.")
        assert "console_session" not in {c["name"] for c in await context.cookies()}

        await sign_in(page, system)
        await expect(page).to_have_url(system.url + "/console/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Attention")
        (session,) = [c for c in await context.cookies() if c["name"] == "console_session"]
        assert (session["httpOnly"], session["sameSite"], session["path"]) == (
            True,
            "Strict",
            "/console",
        )
        assert ADMIN_TOKEN not in session["value"]

        # The session is good, but a form posted without its CSRF token is refused.
        refused = await page.request.post(
            system.url + "/console/outbox/retry", form={"kind": "availability"}
        )
        assert refused.status == 403
        forged = await page.request.post(
            system.url + "/console/outbox/retry", form={"csrf": "0" * 64}
        )
        assert forged.status == 403
        # …and with it, accepted (a redirect back to Attention).
        csrf = await page.locator("form.sign-out input[name=csrf]").get_attribute("value")
        assert csrf is not None
        accepted = await page.request.post(
            system.url + "/console/outbox/retry", form={"csrf": csrf}, max_redirects=0
        )
        assert (accepted.status, accepted.headers["location"]) == (
            303,
            "/console/?done=done_retry",
        )

        await page.click("form.sign-out button")
        await expect(page).to_have_url(system.url + "/console/sign-in")
        after = await page.request.get(system.url + "/console/calls", max_redirects=0)
        assert (after.status, after.headers["location"]) == (303, "/console/sign-in")


async def test_the_console_is_off_without_an_admin_token(tmp_path: Path) -> None:
    async with (
        start_system(tmp_path, extra_env={"ADMIN_TOKEN": ""}) as system,
        chromium() as browser,
        console_page(browser) as (_, page),
    ):
        answer = await page.goto(system.url + "/console/")
        assert answer is not None and answer.status == 404
        await expect(page.locator("main")).to_contain_text("The console is off")


async def test_the_sandbox_link_signs_in_once_without_the_token_in_it(tmp_path: Path) -> None:
    async with (
        open_system(tmp_path, clock=utc_now) as stack,
        chromium() as browser,
        console_page(browser) as (context, page),
    ):
        link = stack.console_sign_in_url()
        assert link.startswith(stack.url + "/console/sign-in/once/")
        assert SANDBOX.admin_token not in link
        await page.goto(link)
        await expect(page).to_have_url(stack.url + "/console/")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Attention")

        await context.clear_cookies()
        await page.goto(link)  # used up
        await expect(page).to_have_url(stack.url + "/console/sign-in")
