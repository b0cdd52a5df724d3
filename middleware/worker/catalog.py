"""What Channex calls each mapped property's room types and rate plans: read by the worker,
stored for the console.

The web process makes no Channex call for its pages: the worker reads the catalog (two list
calls per property: `GET /room_types`, `GET /rate_plans`) at start, after a mapping reload and
when a person asks (`store.wakeups` `read_catalog`, the Mapping page's button), and stores it
per property (`keys.CHANNEX_CATALOG_KEY`); the console reads the stored copy (`stored`). A read
that failed is stored too (`read=False`), and pages fall back to the categoria codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson

from middleware.channex.content import title_of
from middleware.domain.mapping import Mapping
from middleware.errors import MiddlewareError
from middleware.store import keys
from middleware.store.port import Store
from middleware.store.stamps import from_db_time, to_db_time


class CatalogSource(Protocol):
    async def list_room_types(self, property_id: str) -> list[dict[str, Any]]: ...

    async def list_rate_plans(self, property_id: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PropertyCatalog:
    read: bool  # False: Channex could not be read (or never was); nothing below is known
    room_types: dict[str, str] = field(default_factory=dict)  # room type id -> title
    rate_plans: dict[str, str] = field(default_factory=dict)  # rate plan id -> title
    read_at: datetime | None = None  # when the worker read (or tried to read) it


NOT_READ = PropertyCatalog(read=False)


async def read_property(channex: CatalogSource, property_id: str, now: datetime) -> PropertyCatalog:
    """One property's catalog from Channex (`read=False` when Channex cannot be read)."""
    try:
        rooms = await channex.list_room_types(property_id)
        plans = await channex.list_rate_plans(property_id)
    except MiddlewareError:
        return PropertyCatalog(read=False, read_at=now)
    return PropertyCatalog(
        read=True,
        room_types={str(r.get("id")): title_of(r) or "" for r in rooms},
        rate_plans={str(p.get("id")): title_of(p) or "" for p in plans},
        read_at=now,
    )


def _key(property_id: str) -> str:
    return keys.CHANNEX_CATALOG_KEY.format(property_id=property_id)


async def save(store: Store, property_id: str, found: PropertyCatalog, now: datetime) -> None:
    document = {
        "read": found.read,
        "room_types": found.room_types,
        "rate_plans": found.rate_plans,
        "read_at": None if found.read_at is None else to_db_time(found.read_at),
    }
    await store.audit.set_value(_key(property_id), orjson.dumps(document).decode(), now)


async def stored(store: Store, property_id: str) -> PropertyCatalog:
    """The catalog the worker last stored for the property (`NOT_READ` before any)."""
    text = await store.audit.get_value(_key(property_id))
    if text is None:
        return NOT_READ
    document = orjson.loads(text)
    return PropertyCatalog(
        read=bool(document["read"]),
        room_types=dict(document["room_types"]),
        rate_plans=dict(document["rate_plans"]),
        read_at=None if document["read_at"] is None else from_db_time(document["read_at"]),
    )


async def refresh(
    store: Store, channex: CatalogSource, mapping: Mapping, now: datetime
) -> list[dict[str, Any]]:
    """Read and store every mapped property's catalog; what was found, per property."""
    found = []
    for prop in mapping:
        catalog = await read_property(channex, prop.property_id, now)
        await save(store, prop.property_id, catalog, now)
        found.append(
            {
                "property_id": prop.property_id,
                "read": catalog.read,
                "room_types": len(catalog.room_types),
                "rate_plans": len(catalog.rate_plans),
            }
        )
    return found
