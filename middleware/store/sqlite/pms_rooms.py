"""SQLite implementation of `store.pms_rooms` (`PmsRooms`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import aiosqlite
import orjson

from middleware.store import keys
from middleware.store.pms_rooms import NOTICE, Unserved, notice_ref, unserved_detail
from middleware.store.sqlite import notices
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time, to_db_time


def _document(text: str | None) -> dict[str, Any]:
    return {} if text is None else dict(orjson.loads(text))


async def record_in(
    conn: aiosqlite.Connection,
    property_id: str,
    categorias: Sequence[str],
    now: datetime,
    *,
    covered: Collection[str] | None = None,
    mapped: Collection[tuple[str, str]] | None = None,
) -> None:
    """`record` inside the caller's transaction (`outbox.enqueue_read`)."""
    stamp = to_db_time(now)
    key = keys.PMS_UNSERVED_BY_PROPERTY_KEY
    cursor = await conn.execute("SELECT value FROM kv WHERE key = ?", (key,))
    found = await cursor.fetchone()
    document = _document(None if found is None else found[0])
    before = document.get(property_id, {}).get("categorias", [])
    kept = [code for code in before if covered is not None and code not in covered]
    document[property_id] = {"at": stamp, "categorias": sorted({*kept, *categorias})}
    if mapped is not None:
        document = {
            pid: {
                **entry,
                "categorias": [c for c in entry["categorias"] if (pid, c) in mapped],
            }
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
            "UPDATE notices SET resolved_at = ? WHERE kind = ? AND ref = ? AND resolved_at IS NULL",
            (stamp, NOTICE, ref),
        )
    for ref in sorted(set(wanted) - open_refs):
        pid, code = wanted[ref]
        await notices.insert(
            conn, NOTICE, unserved_detail(pid, code), now, property_id=pid, ref=ref
        )


class SqlitePmsRooms:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        property_id: str,
        categorias: Sequence[str],
        now: datetime,
        *,
        covered: Collection[str] | None = None,
        mapped: Collection[tuple[str, str]] | None = None,
    ) -> None:
        async with self._db.transaction() as conn:
            await record_in(conn, property_id, categorias, now, covered=covered, mapped=mapped)

    async def found(self) -> list[Unserved]:
        row = await self._db.fetchone(
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

    async def last(self, property_id: str) -> Unserved | None:
        return next((u for u in await self.found() if u.property_id == property_id), None)
