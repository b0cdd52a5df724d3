"""Mapped categorias sistema-os did not serve in its last ARI answer, per property.

The ARI sync records, after each PMS read of a property, which of that property's mapped
categorias the answer lacked: nothing is pushed for them, so Channex keeps whatever it had.
Categoria codes are unique per property only (two hotels may both map "ov"), so the record and
its notices are keyed by property: one hotel's read never clears or flips another's finding.
Each one is an open notice (ref = `property_id/categoria`) until a later answer of that
property serves it again; `/health`'s `pms` check reads the record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from middleware.store import keys, notices
from middleware.store.db import Database, from_db_time, to_db_time

NOTICE = "pms_categoria_not_served"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unserved:
    property_id: str
    at: datetime  # when the property's last PMS answer was read
    categorias: tuple[str, ...]


def notice_ref(property_id: str, categoria: str) -> str:
    return f"{property_id}/{categoria}"


def _document(text: str | None) -> dict[str, Any]:
    return {} if text is None else dict(orjson.loads(text))


async def record(
    db: Database,
    property_id: str,
    categorias: Sequence[str],
    now: datetime,
    *,
    covered: Collection[str] | None = None,
    mapped: Collection[tuple[str, str]] | None = None,
) -> None:
    """The mapped categorias of `property_id` the answer read at `now` lacked (maybe none),
    with their notices. `covered`: the property's categorias that read asked for (None: every
    one); a read of some rooms says nothing of the others, which keep what an earlier read
    found. Other properties keep theirs — while they are still `mapped` ((property id,
    categoria) pairs; None: all are)."""
    stamp = to_db_time(now)
    key = keys.PMS_UNSERVED_BY_PROPERTY_KEY
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT value FROM kv WHERE key = ?", (key,))
        found = await cursor.fetchone()
        document = _document(None if found is None else found[0])
        before = document.get(property_id, {}).get("categorias", [])
        kept = [code for code in before if covered is not None and code not in covered]
        document[property_id] = {"at": stamp, "categorias": sorted({*kept, *categorias})}
        if mapped is not None:
            document = {
                pid: {**entry, "categorias": [c for c in entry["categorias"] if (pid, c) in mapped]}
                for pid, entry in document.items()
            }
        await conn.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode(), stamp),
        )
        wanted = {
            notice_ref(pid, code): (pid, code)
            for pid, entry in document.items()
            for code in entry["categorias"]
        }
        cursor = await conn.execute(
            "SELECT ref FROM notices WHERE kind = ? AND resolved_at IS NULL", (NOTICE,)
        )
        open_refs = {str(row[0]) for row in await cursor.fetchall()}
        for ref in sorted(open_refs - set(wanted)):
            await conn.execute(
                "UPDATE notices SET resolved_at = ? WHERE kind = ? AND ref = ?"
                " AND resolved_at IS NULL",
                (stamp, NOTICE, ref),
            )
        for ref in sorted(set(wanted) - open_refs):
            pid, code = wanted[ref]
            detail = (
                f"sistema-os does not serve the mapped categoria {code!r} of property {pid}"
                " (not in its ARI answer): nothing is pushed to Channex for it; add it in"
                " sistema-os or remove it from the mapping file"
            )
            await notices.insert(conn, NOTICE, detail, now, property_id=pid, ref=ref)


async def found(db: Database) -> list[Unserved]:
    """What the last PMS read of each property found (by property id); empty before any."""
    row = await db.fetchone(
        "SELECT value FROM kv WHERE key = ?", (keys.PMS_UNSERVED_BY_PROPERTY_KEY,)
    )
    document = _document(None if row is None else row[0])
    return [
        Unserved(
            property_id=pid,
            at=from_db_time(entry["at"]),
            categorias=tuple(entry["categorias"]),
        )
        for pid, entry in sorted(document.items())
    ]


async def last(db: Database, property_id: str) -> Unserved | None:
    """What the last PMS read of `property_id` found; None before the first."""
    return next((u for u in await found(db) if u.property_id == property_id), None)
