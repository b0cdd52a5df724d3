"""Mapped categorias sistema-os did not serve in its last ARI answer, on PostgreSQL
(`store/pms_rooms.py`'s operations; read its docstring).

`record` reads, merges and writes one `kv` value: it locks that row first (`FOR UPDATE`,
made if missing), so two workers recording reads of different hotels at once both count —
neither overwrites the other's categorias. The stamp follows the clock rule of
`postgres/database.py` and is kept in the value as SQLite writes it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import orjson

from middleware.store import keys
from middleware.store.pms_rooms import NOTICE, Unserved, notice_ref, unserved_detail
from middleware.store.postgres import notices
from middleware.store.postgres.database import Conn, PostgresDatabase
from middleware.store.stamps import from_db_time, to_db_time

# the row `record` makes to lock when there is none yet; it overwrites it before commit
EMPTY = orjson.dumps({}).decode()


def _document(text: str | None) -> dict[str, Any]:
    return {} if text is None else dict(orjson.loads(text))


async def record_in(
    conn: Conn,
    property_id: str,
    categorias: Sequence[str],
    moment: datetime,
    *,
    covered: Collection[str] | None = None,
    mapped: Collection[tuple[str, str]] | None = None,
) -> None:
    """`record` in the caller's transaction, stamped `moment` (`outbox.enqueue_read`)."""
    key = keys.PMS_UNSERVED_BY_PROPERTY_KEY
    stamp = to_db_time(moment)
    await conn.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (%s, %s, %s) ON CONFLICT (key) DO NOTHING",
        (key, EMPTY, moment),
    )
    cursor = await conn.execute("SELECT value FROM kv WHERE key = %s FOR UPDATE", (key,))
    found = await cursor.fetchone()
    document = _document(None if found is None else found["value"])
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
        "UPDATE kv SET value = %s, updated_at = %s WHERE key = %s",
        (orjson.dumps(document, option=orjson.OPT_SORT_KEYS).decode(), moment, key),
    )
    wanted = {
        notice_ref(pid, code): (pid, code)
        for pid, entry in document.items()
        for code in entry["categorias"]
    }
    cursor = await conn.execute(
        "SELECT ref FROM notices WHERE kind = %s AND resolved_at IS NULL", (NOTICE,)
    )
    open_refs = {str(row["ref"]) for row in await cursor.fetchall()}
    gone = sorted(open_refs - set(wanted))
    if gone:
        await conn.execute(
            "UPDATE notices SET resolved_at = %s WHERE kind = %s AND ref = ANY(%s)"
            " AND resolved_at IS NULL",
            (moment, NOTICE, gone),
        )
    for ref in sorted(set(wanted) - open_refs):
        pid, code = wanted[ref]
        await notices.insert(
            conn, NOTICE, unserved_detail(pid, code), moment, property_id=pid, ref=ref
        )


class PostgresPmsRooms:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def record(
        self,
        property_id: str,
        categorias: Sequence[str],
        now: datetime,
        *,
        covered: Collection[str] | None = None,
        mapped: Collection[tuple[str, str]] | None = None,
    ) -> None:
        """The mapped categorias of `property_id` the answer read at `now` lacked, with their
        notices (rules of `store/pms_rooms.PmsRooms.record`; one entry per property)."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            await record_in(conn, property_id, categorias, moment, covered=covered, mapped=mapped)

    async def found(self) -> list[Unserved]:
        row = await self.db.fetchone(
            "SELECT value FROM kv WHERE key = %s", (keys.PMS_UNSERVED_BY_PROPERTY_KEY,)
        )
        document = _document(None if row is None else row["value"])
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
