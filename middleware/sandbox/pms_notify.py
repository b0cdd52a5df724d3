"""sistema-os telling the middleware what changed: `POST {middleware_url}/webhook/pms`.

Fire-and-forget like the real PMS: a change schedules a background send and carries on;
`drain()` awaits every send still under way (tests, shutdown). A change made with no event
loop running is kept and sent by the next `drain()`. Failures are recorded, never raised.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiohttp

NOTIFY_TIMEOUT_S = 5.0
WEBHOOK_PATH = "/webhook/pms"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notification:
    """One webhook the emulator sent: its body and how it went."""

    body: dict[str, Any]
    status: int | None  # None: no answer arrived
    error: str | None = None


def change_body(categorias: list[str], date_from: date, date_to: date) -> dict[str, Any]:
    return {
        "categorias": categorias,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
    }


class Notifier:
    def __init__(
        self, url: str | None, token: str | None, *, timeout_s: float = NOTIFY_TIMEOUT_S
    ) -> None:
        self.url = url
        self.token = token
        self.timeout_s = timeout_s
        self.sent: list[Notification] = []
        self._tasks: set[asyncio.Task[Notification]] = set()
        self._unsent: list[dict[str, Any]] = []

    def schedule(self, categorias: list[str], date_from: date, date_to: date) -> None:
        """Send in the background (when a middleware URL is configured)."""
        if self.url is None:
            return
        body = change_body(categorias, date_from, date_to)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._unsent.append(body)
            return
        task = loop.create_task(self.send(body), name="pms-notify")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(self, body: dict[str, Any]) -> Notification:
        """POST one change now; the outcome is recorded in `sent` and returned."""
        if self.url is None:
            raise RuntimeError("no middleware_url configured")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.url.rstrip("/") + WEBHOOK_PATH, json=body, headers=headers) as r,
            ):
                await r.read()
                outcome = Notification(body=body, status=r.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = Notification(body=body, status=None, error=type(exc).__name__)
        self.sent.append(outcome)
        return outcome

    async def drain(self) -> None:
        """Send what waited for a loop, then await every send under way."""
        unsent, self._unsent = self._unsent, []
        for body in unsent:
            await self.send(body)
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
