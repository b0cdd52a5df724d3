"""Mapped categorias sistema-os did not serve in its last ARI answer.

The ARI sync records, after each PMS read, which mapped categorias the answer lacked: nothing
is pushed for them, so Channex keeps whatever it had. Each one is an open notice (ref = the
categoria) until a later answer serves it again; `/health`'s `pms` check reads the record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson

from middleware.store import keys, notices
from middleware.store.db import Database, from_db_time, to_db_time

NOTICE = "pms_categoria_not_served"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unserved:
    at: datetime  # when the PMS answer was read
    categorias: tuple[str, ...]


async def record(
    db: Database,
    categorias: Sequence[str],
    now: datetime,
    *,
    covered: Collection[str] | None = None,
    mapped: Collection[str] | None = None,
) -> None:
    """The mapped categorias the answer read at `now` lacked (maybe none), with their notices.
    `covered`: the categorias that read asked for (None: every one); a read of one hotel, or of
    some rooms, says nothing of the others, which keep what an earlier read found — while
    they are still `mapped` (None: all are)."""
    stamp = to_db_time(now)
    async with db.transaction() as conn:
        cursor = await conn.execute("SELECT value FROM kv WHERE key = ?", (keys.PMS_UNSERVED_KEY,))
        found = await cursor.fetchone()
        before = [] if found is None else list(orjson.loads(found[0])["categorias"])
        kept = [
            code
            for code in before
            if covered is not None and code not in covered and (mapped is None or code in mapped)
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


async def last(db: Database) -> Unserved | None:
    """What the last PMS read found; None before the first."""
    row = await db.fetchone("SELECT value FROM kv WHERE key = ?", (keys.PMS_UNSERVED_KEY,))
    if row is None:
        return None
    document = orjson.loads(row[0])
    return Unserved(at=from_db_time(document["at"]), categorias=tuple(document["categorias"]))
