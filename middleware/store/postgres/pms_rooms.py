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

import orjson

from middleware.store import keys
from middleware.store.pms_rooms import NOTICE, Unserved
from middleware.store.postgres import notices
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.stamps import from_db_time, to_db_time

# the row `record` makes to lock when there is none yet; it overwrites it before commit
EMPTY = orjson.dumps({"at": None, "categorias": []}).decode()


class PostgresPmsRooms:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def record(
        self,
        categorias: Sequence[str],
        now: datetime,
        *,
        covered: Collection[str] | None = None,
        mapped: Collection[str] | None = None,
    ) -> None:
        """The mapped categorias the answer read at `now` lacked, with their notices (rules
        of `store/pms_rooms.record`)."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            stamp = to_db_time(moment)
            await conn.execute(
                "INSERT INTO kv (key, value, updated_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (key) DO NOTHING",
                (keys.PMS_UNSERVED_KEY, EMPTY, moment),
            )
            cursor = await conn.execute(
                "SELECT value FROM kv WHERE key = %s FOR UPDATE", (keys.PMS_UNSERVED_KEY,)
            )
            found = await cursor.fetchone()
            before = [] if found is None else list(orjson.loads(found["value"])["categorias"])
            kept = [
                code
                for code in before
                if covered is not None
                and code not in covered
                and (mapped is None or code in mapped)
            ]
            unserved = sorted({*kept, *categorias})
            document = orjson.dumps({"at": stamp, "categorias": unserved}).decode()
            await conn.execute(
                "UPDATE kv SET value = %s, updated_at = %s WHERE key = %s",
                (document, moment, keys.PMS_UNSERVED_KEY),
            )
            cursor = await conn.execute(
                "SELECT ref FROM notices WHERE kind = %s AND resolved_at IS NULL", (NOTICE,)
            )
            open_refs = {str(row["ref"]) for row in await cursor.fetchall()}
            gone = sorted(open_refs - set(unserved))
            if gone:
                await conn.execute(
                    "UPDATE notices SET resolved_at = %s WHERE kind = %s AND ref = ANY(%s)"
                    " AND resolved_at IS NULL",
                    (moment, NOTICE, gone),
                )
            for code in sorted(set(unserved) - open_refs):
                detail = (
                    f"sistema-os does not serve the mapped categoria {code!r} (not in its ARI"
                    " answer): nothing is pushed to Channex for it; add it in sistema-os or"
                    " remove it from the mapping file"
                )
                await notices.insert(conn, NOTICE, detail, moment, ref=code)

    async def last(self) -> Unserved | None:
        """What the last PMS read found; None before the first."""
        row = await self.db.fetchone(
            "SELECT value FROM kv WHERE key = %s", (keys.PMS_UNSERVED_KEY,)
        )
        if row is None:
            return None
        document = orjson.loads(row["value"])
        return Unserved(at=from_db_time(document["at"]), categorias=tuple(document["categorias"]))
