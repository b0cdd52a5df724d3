"""At worker start: read each property's Channex settings once and say what parity needs.

`state_length` shorter than the horizon, `min_stay_type` other than `both` or an availability
auto-update left on (`channex.property_settings`) make Channex drift from the PMS by itself.
`/health` shows the same finding while it lasts; this is the start-up look that logs it,
raises a `channex_settings` notice and alerts — and resolves the notice once the settings
are right (the setup script sets them).
"""

from __future__ import annotations

from typing import Any, Protocol

import structlog

from middleware import alerts
from middleware import clock as clocks
from middleware.channex import property_settings
from middleware.domain.mapping import Mapping
from middleware.errors import MiddlewareError
from middleware.store.port import Store

log = structlog.get_logger(__name__)

NOTICE = "channex_settings"
FIX_HINT = "run scripts/setup_channex_duke.py to fix"


class PropertyReader(Protocol):
    async def get_property(self, property_id: str) -> dict[str, Any]: ...


async def verify_property_settings(
    store: Store,
    channex: PropertyReader,
    mapping: Mapping,
    sync_days: int,
    *,
    clock: clocks.Clock = clocks.utc_now,
    alert: alerts.Alert = alerts.no_alert,
) -> dict[str, list[str]] | None:
    """What is wrong per property id (an empty list: as parity needs); None when Channex
    could not be read (the caller tries again later)."""
    found: dict[str, list[str]] = {}
    for prop in mapping:
        try:
            resource = await channex.get_property(prop.property_id)
        except MiddlewareError as exc:
            log.warning("channex_settings_unread", property_id=prop.property_id, error=str(exc))
            return None
        found[prop.property_id] = property_settings.problems(
            property_settings.settings_of(resource), sync_days
        )
    now = clock()
    for property_id, wrong in found.items():
        ref = f"{property_id}:settings"
        if not wrong:
            log.info("channex_settings_ok", property_id=property_id)
            await store.notices.resolve(now, kind=NOTICE, ref=ref)
            continue
        detail = f"property {property_id}: " + "; ".join(wrong) + f"; {FIX_HINT}"
        log.warning("channex_settings_wrong", property_id=property_id, problems=wrong)
        await store.notices.add(NOTICE, detail, now, property_id=property_id, ref=ref)
        await alert(NOTICE, detail)
    return found
