"""Shared by the operator-surface tests (/health, /status, /metrics, alerts, disabled mode):
the settings they share and small request helpers."""

from __future__ import annotations

from typing import Any

from middleware.worker.runner import HEARTBEAT_NAME
from tests.flow.harness import System

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


async def get(system: System, path: str) -> tuple[int, Any]:
    """An unauthenticated GET; the JSON body."""
    async with system.session.get(system.url + path) as response:
        return response.status, await response.json()


async def get_text(system: System, path: str) -> tuple[int, str]:
    async with system.session.get(system.url + path) as response:
        return response.status, await response.text()


async def beat(system: System) -> None:
    """A worker heartbeat at the system's current time: the in-process worker's own, or (no
    worker in the process) one worker's."""
    worker = system.context.worker
    name = HEARTBEAT_NAME if worker is None else worker.heartbeat_name
    await system.context.runtime.store.audit.heartbeat(name, system.clock())
