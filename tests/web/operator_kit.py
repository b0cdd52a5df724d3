"""Shared by the operator-surface tests (/health, /status, /metrics, alerts, disabled mode):
a clock that stands still unless advanced, and small request helpers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from middleware.worker.runner import HEARTBEAT_NAME
from tests.flow.harness import START, ShiftedClock, System

CHECKS = (
    "settings",
    "database",
    "channex",
    "mapping",
    "channex_settings",
    "pms",
    "worker",
    "outbox",
    "bookings",
    "webhook",
    "live",
)
# No worker in the web process: the tests write the heartbeat themselves.
NO_WORKER = {"WORKER_IN_PROCESS": "false"}
# A worker whose pushes and PMS reads go out at once (the frozen clock never lets a debounce pass).
INSTANT_ARI = {
    "ARI_DEBOUNCE": "0",
    "ARI_MAX_DELAY": "0",
    "PMS_READ_COALESCE": "0",
    "CHANNEX_SYNC_DAYS": "60",
}


class FrozenClock(ShiftedClock):
    """Stands still at `start`; only `advance` moves it (every age and timestamp is exact)."""

    def __init__(self, start: datetime = START) -> None:
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


async def get(system: System, path: str) -> tuple[int, Any]:
    """An unauthenticated GET; the JSON body."""
    async with system.session.get(system.url + path) as response:
        return response.status, await response.json()


async def get_text(system: System, path: str) -> tuple[int, str]:
    async with system.session.get(system.url + path) as response:
        return response.status, await response.text()


async def beat(system: System) -> None:
    """A worker heartbeat at the system's current time."""
    await system.context.runtime.store.audit.heartbeat(HEARTBEAT_NAME, system.clock())
