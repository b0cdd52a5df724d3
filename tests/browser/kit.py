"""The browser tests' kit: the system's Chromium driven by Playwright, signed in to the console.

Chromium is the machine's Debian package (`chromium`; `.ci/run` installs it), launched by its
executable path — Playwright never downloads a browser here. Screenshots go to
`tests/browser/screenshots/` (git-ignored); axe-core's rules run in the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.flow.harness import ADMIN_TOKEN, System

SCREENSHOTS = Path(__file__).parent / "screenshots"
TIMEOUT_MS = 10_000
SERIOUS = ("serious", "critical")


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if found is None:
        raise RuntimeError("no chromium on PATH: apt-get install chromium (.ci/run does)")
    return found


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path())
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def console_page(
    browser: Browser, *, locale: str = "en-US"
) -> AsyncIterator[tuple[BrowserContext, Page]]:
    context = await browser.new_context(locale=locale, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    try:
        yield context, page
    finally:
        await context.close()


async def sign_in(page: Page, system: System, token: str = ADMIN_TOKEN) -> None:
    await page.goto(system.url + "/console/")
    await page.fill("#token", token)
    await page.click("form.sign-in button")


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core violations of impact serious or critical on the page as it is now."""
    results = await Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in violations
        if v["impact"] in SERIOUS
    ]


async def screenshot(page: Page, name: str, *, into: Path = SCREENSHOTS) -> Path:
    await asyncio.to_thread(into.mkdir, parents=True, exist_ok=True)
    path = into / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
