"""SQLite implementation of `store.pms_rooms` (`PmsRooms`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import orjson

from middleware.store import keys
from middleware.store.pms_rooms import NOTICE, Unserved
from middleware.store.sqlite import notices
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time, to_db_time


class SqlitePmsRooms:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        categorias: Sequence[str],
        now: datetime,
        *,
        covered: Collection[str] | None = None,
        mapped: Collection[str] | None = None,
    ) -> None:
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT value FROM kv WHERE key = ?", (keys.PMS_UNSERVED_KEY,)
            )
            found = await cursor.fetchone()
            before = [] if found is None else list(orjson.loads(found[0])["categorias"])
            kept = [
                code
                for code in before
                if covered is not None
                and code not in covered
                and (mapped is None or code in mapped)
            ]
            categorias = sorted({*kept, *categorias})
            document = orjson.dumps({"at": stamp, "categorias": categorias}).decode()
            await conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (keys.PMS_UNSERVED_KEY, document, stamp),
            )
            cursor = await conn.execute(
                "SELECT ref FROM notices WHERE kind = ? AND resolved_at IS NULL", (NOTICE,)
            )
            open_refs = {str(row[0]) for row in await cursor.fetchall()}
            for code in sorted(open_refs - set(categorias)):
                await conn.execute(
                    "UPDATE notices SET resolved_at = ? WHERE kind = ? AND ref = ?"
                    " AND resolved_at IS NULL",
                    (stamp, NOTICE, code),
                )
            for code in sorted(set(categorias) - open_refs):
                detail = (
                    f"sistema-os does not serve the mapped categoria {code!r} (not in its ARI"
                    " answer): nothing is pushed to Channex for it; add it in sistema-os or"
                    " remove it from the mapping file"
                )
                await notices.insert(conn, NOTICE, detail, now, ref=code)

    async def last(self) -> Unserved | None:
        row = await self._db.fetchone(
            "SELECT value FROM kv WHERE key = ?", (keys.PMS_UNSERVED_KEY,)
        )
        if row is None:
            return None
        document = orjson.loads(row[0])
        return Unserved(at=from_db_time(document["at"]), categorias=tuple(document["categorias"]))
