"""Webhook delivery for the emulator: POST each event in a background task, retry on 5xx.

Every attempt is recorded in `deliveries`. Seeded faults may drop, duplicate or hold back
(reorder) a delivery. `drain()` waits until nothing is in flight (tests use it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp

from middleware.sandbox.channex_state import JsonObject
from middleware.sandbox.faults import FaultInjector, WebhookFault

MAX_ATTEMPTS = 4
TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One delivery attempt; `status` None = no HTTP answer (see `error`)."""

    webhook_id: str
    url: str
    event: str
    attempt: int
    status: int | None
    body: JsonObject
    headers: dict[str, str]
    error: str | None = None


def envelope(event: str, property_id: str | None, payload: Any, now: datetime) -> JsonObject:
    body: JsonObject = {"event": event}
    if payload is not None:
        body["payload"] = payload
    body["property_id"] = property_id
    body["user_id"] = None
    body["timestamp"] = (
        now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    return body


async def post_once(
    url: str, body: JsonObject, headers: dict[str, str], timeout_s: float = TIMEOUT_S
) -> tuple[int | None, str]:
    """POST `body`; (status, response text) or (None, error text)."""
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=body, headers=headers) as response,
        ):
            return response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def target_url(webhook: JsonObject) -> str:
    url = str(webhook["callback_url"])
    params = webhook.get("request_params") or {}
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params)


class Deliverer:
    def __init__(
        self,
        *,
        injector: Callable[[], FaultInjector],
        retry_backoff_s: float = 0.2,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self._injector = injector
        self.retry_backoff_s = retry_backoff_s
        self.max_attempts = max_attempts
        self.deliveries: list[Delivery] = []
        self.dropped: list[tuple[str, str]] = []  # (webhook id, event) lost to a fault
        self._tasks: set[asyncio.Task[None]] = set()
        self._unstarted: list[Coroutine[Any, Any, None]] = []

    def send(self, webhook: JsonObject, body: JsonObject) -> None:
        """Schedule delivery of `body` to `webhook` (with its custom headers)."""
        fault = self._injector().webhook_delivery()
        if fault.drop:
            self.dropped.append((webhook["id"], body["event"]))
            return
        for _ in range(fault.copies):
            self._start(self._deliver(dict(webhook), body, fault))

    def _start(self, job: Coroutine[Any, Any, None]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._unstarted.append(job)  # no loop yet: `drain()` starts it
            return
        task = loop.create_task(job, name="channex-webhook")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, webhook: JsonObject, body: JsonObject, fault: WebhookFault) -> None:
        if fault.delay_s > 0:
            await asyncio.sleep(fault.delay_s)
        url = target_url(webhook)
        headers = {"Content-Type": "application/json", **webhook.get("headers", {})}
        for attempt in range(1, self.max_attempts + 1):
            status, text = await post_once(url, body, headers)
            self.deliveries.append(
                Delivery(
                    webhook_id=webhook["id"],
                    url=url,
                    event=body["event"],
                    attempt=attempt,
                    status=status,
                    body=body,
                    headers=headers,
                    error=text if status is None else None,
                )
            )
            if status is not None and status < 500:
                return
            if attempt < self.max_attempts:
                await asyncio.sleep(self.retry_backoff_s * attempt)

    async def drain(self) -> None:
        """Wait for every scheduled delivery (including retries and held-back ones)."""
        while self._unstarted:
            self._start(self._unstarted.pop(0))
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for job in self._unstarted:
            job.close()
        self._unstarted.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
