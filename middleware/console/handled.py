"""Mark handled: a parked booking a person dealt with outside the middleware leaves Attention.

LOCAL SEAM: the store's own `revisions.mark_handled(db, revision_id, *, by, reason, at)` is
being written on another branch; at merge this function is re-pointed at it. Until then the
mark is a named value (`console_handled:<revision_id>` in `kv`) that the Attention page
reads, and the revision's notices are resolved. The revision stays parked (never acked).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import orjson

from middleware.store import audit, notices, revisions
from middleware.store.db import Database

KEY = "console_handled:{revision_id}"


async def mark_handled(
    db: Database, revision_id: str, *, by: str, reason: str, at: datetime
) -> bool:
    """False if the revision is not parked."""
    row = await revisions.get(db, revision_id)
    if row is None or row.status != "parked":
        return False
    value = {"by": by, "reason": reason, "at": at.isoformat()}
    await audit.set_value(db, KEY.format(revision_id=revision_id), orjson.dumps(value).decode(), at)
    for kind in revisions.NOTICE_KINDS:
        await notices.resolve(db, at, kind=kind, ref=revision_id)
    return True


async def handled_ids(db: Database, revision_ids: Iterable[str]) -> set[str]:
    return {
        rid
        for rid in revision_ids
        if await audit.get_value(db, KEY.format(revision_id=rid)) is not None
    }
