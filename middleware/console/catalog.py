"""What Channex calls each room type and rate plan, and whether the mapped ids exist there.

Read with two list calls per property (`GET /room_types`, `GET /rate_plans`) and kept for
`CACHE_S`, so pages that name room types (Attention, Mapping) cost Channex almost nothing.
A failed read is kept too (for as long), and pages fall back to the categoria codes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from middleware.channex.content import title_of
from middleware.errors import MiddlewareError
from middleware.ops.runtime import Runtime

CACHE_S = 120.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PropertyCatalog:
    read: bool  # False: Channex could not be read (or is off); nothing below is known
    room_types: dict[str, str]  # room type id -> title
    rate_plans: dict[str, str]  # rate plan id -> title


class Catalog:
    def __init__(self, runtime: Runtime, *, monotonic: Callable[[], float] = time.monotonic):
        self._rt = runtime
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, PropertyCatalog]] = {}

    async def of(self, property_id: str) -> PropertyCatalog:
        hit = self._cache.get(property_id)
        if hit is not None and self._monotonic() - hit[0] < CACHE_S:
            return hit[1]
        found = await self._read(property_id)
        self._cache[property_id] = (self._monotonic(), found)
        return found

    async def _read(self, property_id: str) -> PropertyCatalog:
        if not self._rt.settings.channex_enabled:
            return PropertyCatalog(read=False, room_types={}, rate_plans={})
        try:
            rooms = await self._rt.channex.list_room_types(property_id)
            plans = await self._rt.channex.list_rate_plans(property_id)
        except MiddlewareError:
            return PropertyCatalog(read=False, room_types={}, rate_plans={})
        return PropertyCatalog(
            read=True,
            room_types={str(r.get("id")): title_of(r) or "" for r in rooms},
            rate_plans={str(p.get("id")): title_of(p) or "" for p in plans},
        )

    async def room_type_name(self, property_id: str | None, room_type_id: str | None) -> str:
        """`Title (categoria)` for a mapped room type, the title alone for one we do not map,
        `?` when Channex names none."""
        if room_type_id is None:
            return "?"
        ref = self._rt.mapping.by_room_type(room_type_id)
        pid = property_id or (ref.property.property_id if ref else None)
        title = (await self.of(pid)).room_types.get(room_type_id) if pid else None
        if ref is not None:
            return f"{title} ({ref.room.room_code})" if title else ref.room.room_code
        return title or room_type_id
