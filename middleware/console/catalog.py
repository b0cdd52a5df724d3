"""What Channex calls each room type and rate plan, and whether the mapped ids exist there.

The web process calls Channex for none of it: the worker reads the catalog (at start, after a
mapping reload, when asked from the Mapping page) and stores it (`worker.catalog`); pages read
the stored copy. Before the first read, or after a failed one, pages fall back to the
categoria codes.
"""

from __future__ import annotations

from middleware.ops.runtime import Runtime
from middleware.worker import catalog
from middleware.worker.catalog import PropertyCatalog


class Catalog:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def of(self, property_id: str) -> PropertyCatalog:
        return await catalog.stored(self._rt.store, property_id)

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
