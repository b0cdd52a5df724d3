"""The outbox of ARI field changes and the pushes that carry them, on PostgreSQL.

The rules are `store/outbox.py`'s (read its docstring: last write wins, a value written back
to what Channex holds removes the row, in-flight rows are replaced and go again, dead rows
revive on a new value), with the same results. What several workers add: every write to a
lane's rows — enqueue, claim, a push's outcome, a release — first locks the lane's row
(`lanes.lock_lane`), the per-lane equivalent of SQLite's `BEGIN IMMEDIATE`. A claim waits for
it as on SQLite (the lane's transactions are short, nothing remote inside): a claim that gave
up on a lane an ARI sync was enqueueing into left the pump's rate-limit slot, reserved just
before, spent on no call (tests/pg/test_claim_waits.py). Two claimers of one lane queue for
the lock; the second finds the first's push in flight and takes nothing. Leases and stamps
follow the clock rule of `postgres/database.py`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

from psycopg.types.json import Jsonb

from middleware.domain.models import CellKey, Cells, Kind, Lane
from middleware.domain.outbox_rules import FieldKey, cells_from_texts
from middleware.domain.outbox_rules import field_texts as _texts
from middleware.ratelimit import WINDOW_S
from middleware.store.outbox import (
    REJECTED_FIELD_ERROR,
    Accepted,
    Claim,
    LaneBacklog,
    PmsRead,
    PushRecord,
)
from middleware.store.postgres import ari_state, pms_rooms, sync_requests
from middleware.store.postgres.database import Conn, PostgresDatabase, Row
from middleware.store.postgres.lanes import (
    PostgresLanes,
    clean_push_in,
    lock_lane,
    reserve_call_in,
)


def _pk(lane: Lane, key: FieldKey) -> tuple[Any, ...]:
    entity_id, day, field = key
    return (lane.property_id, lane.kind, entity_id, date.fromisoformat(day), field)


@dataclass(frozen=True, slots=True)
class _Current:
    """A lane's outbox rows and acked values over a day range, read under the lane's lock."""

    rows: dict[FieldKey, Row]
    acked: dict[FieldKey, str]

    def effective(self, key: FieldKey) -> str | None:
        row = self.rows.get(key)
        return str(row["value"]) if row is not None else self.acked.get(key)


async def _current(conn: Conn, lane: Lane, day_from: date, day_to: date) -> _Current:
    cursor = await conn.execute(
        "SELECT entity_id, day, field, value, push_id, status, full_sync FROM outbox"
        " WHERE property_id = %s AND kind = %s AND day BETWEEN %s AND %s",
        (lane.property_id, lane.kind, day_from, day_to),
    )
    rows = {ari_state.field_key(row): row for row in await cursor.fetchall()}
    acked = await ari_state.read_in(conn, lane, None, day_from, day_to)
    return _Current(rows=rows, acked=acked)


_WRITES = (
    "INSERT INTO outbox (property_id, kind, entity_id, day, field, value, enqueued_at,"
    " updated_at, full_sync) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "UPDATE outbox SET value = %s, updated_at = %s, push_id = NULL,"
    " full_sync = full_sync OR %s WHERE property_id = %s AND kind = %s"
    " AND entity_id = %s AND day = %s AND field = %s",
    "UPDATE outbox SET value = %s, status = 'pending', attempts = 0, last_error = NULL,"
    " enqueued_at = %s, updated_at = %s, full_sync = %s WHERE property_id = %s AND kind = %s"
    " AND entity_id = %s AND day = %s AND field = %s",
    "UPDATE outbox SET full_sync = true WHERE property_id = %s AND kind = %s"
    " AND entity_id = %s AND day = %s AND field = %s",
    "DELETE FROM outbox WHERE property_id = %s AND kind = %s"
    " AND entity_id = %s AND day = %s AND field = %s",
)


async def _apply(
    conn: Conn,
    lane: Lane,
    texts: Mapping[FieldKey, str],
    current: _Current,
    moment: datetime,
    *,
    full_sync: bool,
    keep_equal: bool,
) -> int:
    """`store/outbox._apply`'s decisions, written with PostgreSQL's statements."""
    inserts: list[tuple[Any, ...]] = []
    replaces: list[tuple[Any, ...]] = []
    revives: list[tuple[Any, ...]] = []
    flags: list[tuple[Any, ...]] = []
    deletes: list[tuple[Any, ...]] = []
    for key, text in texts.items():
        pk = _pk(lane, key)
        row = current.rows.get(key)
        redundant = not keep_equal and text == current.acked.get(key)
        if row is None:
            if not redundant:
                inserts.append((*pk, text, moment, moment, full_sync))
        elif row["push_id"] is not None:
            if text != row["value"]:
                replaces.append((text, moment, full_sync, *pk))
        elif redundant:
            deletes.append(pk)
        elif row["status"] == "dead":
            if keep_equal or text != row["value"]:
                revives.append((text, moment, moment, full_sync, *pk))
        elif text != row["value"]:
            replaces.append((text, moment, full_sync, *pk))
        elif full_sync and not row["full_sync"]:
            flags.append(pk)
    async with conn.cursor() as cursor:
        for sql, params in zip(_WRITES, (inserts, replaces, revives, flags, deletes), strict=True):
            if params:
                await cursor.executemany(sql, params)
    return len(inserts) + len(replaces) + len(revives) + len(deletes)


def _push_record(row: Row) -> PushRecord:
    return PushRecord(
        id=row["id"],
        lane=Lane(row["property_id"], row["kind"]),
        idempotency_key=row["idempotency_key"],
        status=row["status"],
        attempts=row["attempts"],
        cells=row["cells"],
        full_sync=row["full_sync"],
        values_count=row["values_count"],
        bytes_sent=row["bytes"],
        calls=row["calls"],
        payload_sha256=row["payload_sha256"],
        task_ids=tuple(row["task_ids"] or ()),
        warnings=tuple(row["warnings"] or ()),
        error=row["error"],
        duration_ms=row["duration_ms"],
        claimed_at=row["claimed_at"],
        finished_at=row["finished_at"],
    )


async def _carried(conn: Conn, push_id: int) -> dict[FieldKey, str]:
    cursor = await conn.execute(
        "SELECT entity_id, day, field, value FROM push_cells WHERE push_id = %s", (push_id,)
    )
    return ari_state.texts_from_rows(await cursor.fetchall(), None)


async def _finish(
    conn: Conn, push_id: int, status: str, moment: datetime, error: str | None
) -> None:
    await conn.execute(
        "UPDATE pushes SET status = %s, finished_at = %s, error = %s WHERE id = %s",
        (status, moment, error, push_id),
    )
    await conn.execute("DELETE FROM push_cells WHERE push_id = %s", (push_id,))


async def _forget_carried(conn: Conn, push_id: int) -> None:
    """The push may have reached Channex: forget what Channex is believed to hold for the
    fields it carried."""
    await conn.execute(
        "DELETE FROM ari_state WHERE (property_id, kind, entity_id, day, field) IN"
        " (SELECT p.property_id, p.kind, c.entity_id, c.day, c.field FROM push_cells c"
        " JOIN pushes p ON p.id = c.push_id WHERE c.push_id = %s)",
        (push_id,),
    )


async def _release(conn: Conn, push_id: int, moment: datetime) -> None:
    await _forget_carried(conn, push_id)
    await conn.execute("UPDATE outbox SET push_id = NULL WHERE push_id = %s", (push_id,))
    await _finish(conn, push_id, "released", moment, None)


# Grouped first (the unclaimed rows alone, partial index `outbox_unclaimed`), then each lane's
# state and claims looked up once per lane, not once per row (`pushes_claimed`).
_DUE_LANES = (
    "SELECT o.property_id, o.kind FROM (SELECT property_id, kind,"
    " max(updated_at) AS newest, min(enqueued_at) AS oldest FROM outbox"
    " WHERE status = 'pending' AND push_id IS NULL GROUP BY property_id, kind) o"
    " LEFT JOIN lanes l ON l.property_id = o.property_id AND l.kind = o.kind"
    " WHERE (o.newest <= %s OR o.oldest <= %s)"
    " AND (l.next_attempt_at IS NULL OR l.next_attempt_at <= %s)"
    " AND (l.paused_until IS NULL OR l.paused_until <= %s)"
    " AND NOT EXISTS (SELECT 1 FROM pushes p WHERE p.property_id = o.property_id"
    " AND p.kind = o.kind AND p.status = 'claimed')"
    ' ORDER BY o.oldest, o.property_id COLLATE "C", o.kind COLLATE "C"'
)


async def _due_lanes(
    conn: Conn, moment: datetime, debounce_s: float, max_delay_s: float
) -> list[Lane]:
    cursor = await conn.execute(
        _DUE_LANES,
        (
            moment - timedelta(seconds=debounce_s),
            moment - timedelta(seconds=max_delay_s),
            moment,
            moment,
        ),
    )
    return [Lane(row["property_id"], row["kind"]) for row in await cursor.fetchall()]


async def _release_expired_in(conn: Conn, moment: datetime) -> int:
    released = 0
    cursor = await conn.execute(
        "SELECT id, property_id, kind FROM pushes"
        " WHERE status = 'claimed' AND lease_until < %s ORDER BY id",
        (moment,),
    )
    for row in await cursor.fetchall():
        if not await lock_lane(conn, Lane(row["property_id"], row["kind"]), skip_locked=True):
            continue
        again = await conn.execute(
            "SELECT 1 FROM pushes WHERE id = %s AND status = 'claimed'", (row["id"],)
        )
        if await again.fetchone() is not None:
            await _release(conn, int(row["id"]), moment)
            released += 1
    return released


async def _claimable_in(conn: Conn, lane: Lane) -> list[Row] | None:
    """The lane's unclaimed pending rows (its row locked); None if there are none or a push
    is in flight."""
    cursor = await conn.execute(
        "SELECT 1 FROM pushes WHERE property_id = %s AND kind = %s AND status = 'claimed' LIMIT 1",
        (lane.property_id, lane.kind),
    )
    if await cursor.fetchone() is not None:
        return None
    cursor = await conn.execute(
        "SELECT entity_id, day, field, value, attempts, full_sync FROM outbox"
        " WHERE property_id = %s AND kind = %s AND status = 'pending' AND push_id IS NULL",
        (lane.property_id, lane.kind),
    )
    return await cursor.fetchall() or None


async def _take_in(
    conn: Conn, lane: Lane, rows: list[Row], moment: datetime, lease_s: float
) -> Claim:
    """Claim `rows` (the lane's unclaimed pending rows, read in this transaction)."""
    cells = cells_from_texts(ari_state.texts_from_rows(rows, None))
    full_sync = any(row["full_sync"] for row in rows)
    key = f"{lane.property_id}:{lane.kind}:{uuid4().hex}"
    cursor = await conn.execute(
        "INSERT INTO pushes (property_id, kind, idempotency_key, status, claimed_at,"
        " lease_until, cells, attempts, full_sync)"
        " VALUES (%s, %s, %s, 'claimed', %s, %s, %s, %s, %s) RETURNING id",
        (
            lane.property_id,
            lane.kind,
            key,
            moment,
            moment + timedelta(seconds=lease_s),
            len(cells),
            1 + max(row["attempts"] for row in rows),
            full_sync,
        ),
    )
    push_id = int((await cursor.fetchall())[0]["id"])
    await conn.execute(
        "UPDATE outbox SET push_id = %s WHERE property_id = %s AND kind = %s"
        " AND status = 'pending' AND push_id IS NULL",
        (push_id, lane.property_id, lane.kind),
    )
    await conn.execute(
        "INSERT INTO push_cells (push_id, entity_id, day, field, value)"
        " SELECT push_id, entity_id, day, field, value FROM outbox WHERE push_id = %s",
        (push_id,),
    )
    return Claim(
        push_id=push_id,
        lane=lane,
        idempotency_key=key,
        cells=cells,
        full_sync=full_sync,
        claimed_at=moment,
    )


class PostgresOutbox:
    def __init__(self, db: PostgresDatabase, lanes: PostgresLanes) -> None:
        self.db = db
        self.lanes = lanes

    # ----------------------------------------------------------------------- writing

    async def enqueue(
        self, lane: Lane, changes: Cells, now: datetime, *, full_sync: bool = False
    ) -> int:
        """Make `changes` pending for the lane; returns outbox rows inserted, changed or
        removed (rules of `store/outbox.enqueue`)."""
        texts = _texts(changes)
        if not texts:
            return 0
        days = [day for _, day, _ in texts]
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            moment = await self.db.moment(conn, now)
            first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
            current = await _current(conn, lane, first, last)
            return await _apply(
                conn, lane, texts, current, moment, full_sync=full_sync, keep_equal=full_sync
            )

    async def enqueue_diff(
        self,
        lane: Lane,
        desired: Cells,
        now: datetime,
        *,
        day_from: date,
        day_to: date,
        force: bool = False,
        full_sync: bool = False,
    ) -> int:
        """Enqueue the fields of `desired` (within the days) that differ from the effective
        state (rules of `store/outbox.enqueue_diff`)."""
        return await self.enqueue_diffs(
            [(lane, desired)],
            now,
            day_from=day_from,
            day_to=day_to,
            force=force,
            full_sync=full_sync,
        )

    async def enqueue_diffs(
        self,
        changes: Sequence[tuple[Lane, Cells]],
        now: datetime,
        *,
        day_from: date,
        day_to: date,
        force: bool = False,
        full_sync: bool = False,
    ) -> int:
        """`enqueue_diff` for several lanes in one transaction, each lane's row locked (in
        one order, property then kind, so two writers of the same lanes never deadlock)."""
        async with self.db.transaction() as conn:
            return await self.enqueue_diffs_in(
                conn,
                changes,
                now,
                day_from=day_from,
                day_to=day_to,
                force=force,
                full_sync=full_sync,
            )

    async def enqueue_diffs_in(
        self,
        conn: Conn,
        changes: Sequence[tuple[Lane, Cells]],
        now: datetime,
        *,
        day_from: date,
        day_to: date,
        force: bool = False,
        full_sync: bool = False,
    ) -> int:
        """`enqueue_diffs` in the caller's transaction."""
        for lane in sorted({lane for lane, _ in changes}):
            await lock_lane(conn, lane)
        moment = await self.db.moment(conn, now)
        first, last = day_from.isoformat(), day_to.isoformat()
        written = 0
        for lane, desired in changes:
            texts = {k: text for k, text in _texts(desired).items() if first <= k[1] <= last}
            current = await _current(conn, lane, day_from, day_to)
            if not force:
                texts = {k: text for k, text in texts.items() if current.effective(k) != text}
            written += await _apply(
                conn, lane, texts, current, moment, full_sync=full_sync, keep_equal=force
            )
        return written

    async def enqueue_read(self, read: PmsRead, now: datetime) -> int:
        """What one PMS read produced and the finishing of the requests it answers, in one
        transaction (rules of `store/outbox.enqueue_read`). The lanes are written first and
        the unserved record last: its one `kv` row, locked by every property's read, is then
        held only for the end of the transaction."""
        async with self.db.transaction() as conn:
            written = await self.enqueue_diffs_in(
                conn,
                read.changes,
                now,
                day_from=read.day_from,
                day_to=read.day_to,
                force=read.full_sync,
                full_sync=read.full_sync,
            )
            moment = await self.db.moment(conn, now)
            await pms_rooms.record_in(
                conn,
                read.property_id,
                read.unserved,
                moment,
                covered=read.covered,
                mapped=read.mapped,
            )
            await sync_requests.finish_in(conn, read.answers, moment)
            return written

    async def effective_state(
        self, lane: Lane, entity_ids: Collection[str], day_from: date, day_to: date
    ) -> Cells:
        """What Channex will hold once the outbox drains: outbox values over acked ones."""
        rows = await self.db.fetchall(
            "SELECT entity_id, day, field, value, 0 AS layer FROM ari_state"
            " WHERE property_id = %s AND kind = %s AND day BETWEEN %s AND %s"
            " UNION ALL SELECT entity_id, day, field, value, 1 AS layer FROM outbox"
            " WHERE property_id = %s AND kind = %s AND day BETWEEN %s AND %s ORDER BY layer",
            (lane.property_id, lane.kind, day_from, day_to) * 2,
        )
        return cells_from_texts(ari_state.texts_from_rows(rows, entity_ids))

    # ----------------------------------------------------------------------- claiming

    async def due_lanes(
        self, now: datetime, *, debounce_s: float, max_delay_s: float
    ) -> list[Lane]:
        """Lanes with unclaimed pending rows, settled or waited long enough, not paused or
        backing off, with no push in flight; oldest first."""
        async with self.db.connection() as conn:
            return await _due_lanes(conn, await self.db.moment(conn, now), debounce_s, max_delay_s)

    async def release_expired_then_due(
        self, now: datetime, *, debounce_s: float, max_delay_s: float
    ) -> list[Lane]:
        """The pump's tick in one transaction: `release_expired`, then `due_lanes`."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            await _release_expired_in(conn, moment)
            return await _due_lanes(conn, moment, debounce_s, max_delay_s)

    async def claim(self, lane: Lane, now: datetime, *, lease_s: float) -> Claim | None:
        """Take every unclaimed pending row of the lane into a new push (after any write
        holding the lane); None if there is nothing to send or the lane has a push in flight."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            moment = await self.db.moment(conn, now)
            rows = await _claimable_in(conn, lane)
            return None if rows is None else await _take_in(conn, lane, rows, moment, lease_s)

    async def claim_within_limit(
        self,
        lane: Lane,
        now: datetime,
        *,
        today: date,
        limit: int,
        window_s: float = WINDOW_S,
        lease_s: float,
    ) -> Claim | datetime | None:
        """The start of a push in one transaction (rules of `store/outbox.claim_within_limit`):
        under the lane's row lock (waited for, as `claim` does: a writer enqueueing into the
        lane holds it a moment; another worker's claim holds it, then this one finds its push
        in flight), this lane's past days dropped, the rate slot reserved as
        `lanes.reserve_call` does, and the rows claimed."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            moment = await self.db.moment(conn, now)
            await conn.execute(
                "DELETE FROM outbox WHERE property_id = %s AND kind = %s AND day < %s"
                " AND push_id IS NULL",
                (lane.property_id, lane.kind, today),
            )
            rows = await _claimable_in(conn, lane)
            if rows is None:
                return None
            slot = await reserve_call_in(conn, lane, moment, limit=limit, window_s=window_s)
            if slot is not None:
                return slot
            return await _take_in(conn, lane, rows, moment, lease_s)

    # ----------------------------------------------------------------------- push outcomes

    async def complete(
        self,
        claim: Claim,
        now: datetime,
        *,
        task_ids: Sequence[str],
        warnings: Sequence[dict[str, Any]],
        rejected: Collection[tuple[CellKey, str]],
        values_count: int,
        bytes_sent: int,
        calls: int,
        payload_sha256: str,
        duration_ms: int,
    ) -> None:
        """Channex accepted the push: what it carried becomes acked, except the fields it
        dropped with a warning, which are dead-lettered."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, claim.lane)
            await self._complete_in(
                conn,
                claim,
                now,
                Accepted(
                    task_ids=task_ids,
                    warnings=warnings,
                    rejected=rejected,
                    values_count=values_count,
                    bytes_sent=bytes_sent,
                    calls=calls,
                    payload_sha256=payload_sha256,
                    duration_ms=duration_ms,
                ),
            )

    async def complete_answered(
        self,
        claim: Claim,
        now: datetime,
        *,
        reserved_at: datetime,
        task_ids: Sequence[str],
        warnings: Sequence[dict[str, Any]],
        rejected: Collection[tuple[CellKey, str]],
        values_count: int,
        bytes_sent: int,
        calls: int,
        payload_sha256: str,
        duration_ms: int,
    ) -> None:
        """The end of an accepted push in one transaction under the lane's row lock: the last
        call's answer logged (`lanes.call_answered`), `complete`, the pause ladder reset."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, claim.lane)
            await self.lanes.call_answered_in(conn, claim.lane, reserved_at, now)
            await self._complete_in(
                conn,
                claim,
                now,
                Accepted(
                    task_ids=task_ids,
                    warnings=warnings,
                    rejected=rejected,
                    values_count=values_count,
                    bytes_sent=bytes_sent,
                    calls=calls,
                    payload_sha256=payload_sha256,
                    duration_ms=duration_ms,
                ),
            )
            await clean_push_in(conn, claim.lane)

    async def _complete_in(self, conn: Conn, claim: Claim, now: datetime, sent: Accepted) -> None:
        """`complete` in the caller's transaction, the lane's row locked."""
        lane, push_id = claim.lane, claim.push_id
        dropped = {(key.entity_id, key.day.isoformat(), name) for key, name in sent.rejected}
        moment = await self.db.moment(conn, now)
        carried = await _carried(conn, push_id)
        accepted = {key: text for key, text in carried.items() if key not in dropped}
        await ari_state.write_in(conn, lane, accepted, moment)
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "UPDATE outbox SET status = 'dead', push_id = NULL,"
                " attempts = attempts + 1, last_error = %s WHERE property_id = %s"
                " AND kind = %s AND entity_id = %s AND day = %s AND field = %s"
                " AND push_id = %s",
                [(REJECTED_FIELD_ERROR, *_pk(lane, key), push_id) for key in dropped],
            )
        await conn.execute("DELETE FROM outbox WHERE push_id = %s", (push_id,))
        await _finish(conn, push_id, "partial" if sent.warnings else "sent", moment, None)
        await conn.execute(
            "UPDATE pushes SET values_count = %s, bytes = %s, calls = %s,"
            " payload_sha256 = %s, task_ids = %s, warnings = %s, duration_ms = %s"
            " WHERE id = %s",
            (
                sent.values_count,
                sent.bytes_sent,
                sent.calls,
                sent.payload_sha256,
                Jsonb(list(sent.task_ids)),
                Jsonb(list(sent.warnings)),
                sent.duration_ms,
                push_id,
            ),
        )
        await self.lanes.record_success(conn, lane, now)

    async def fail(
        self,
        claim: Claim,
        now: datetime,
        *,
        error: str,
        retry_at: datetime,
        max_attempts: int,
        outcome_unknown: bool = False,
    ) -> int:
        """A transient failure: the rows wait for `retry_at`; those at `max_attempts` are
        dead-lettered (returned: how many). `outcome_unknown`: see `store/outbox.fail`."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, claim.lane)
            moment = await self.db.moment(conn, now)
            if outcome_unknown:
                await _forget_carried(conn, claim.push_id)
            cursor = await conn.execute(
                "UPDATE outbox SET push_id = NULL, attempts = attempts + 1, last_error = %s,"
                " status = CASE WHEN attempts + 1 >= %s THEN 'dead' ELSE 'pending' END"
                " WHERE push_id = %s RETURNING status",
                (error, max_attempts, claim.push_id),
            )
            dead = sum(1 for row in await cursor.fetchall() if row["status"] == "dead")
            await _finish(conn, claim.push_id, "failed", moment, error)
            await self.lanes.record_failure(conn, claim.lane, now, error=error, retry_at=retry_at)
        return dead

    async def reject(self, claim: Claim, now: datetime, *, error: str) -> int:
        """Channex refused the whole push (a 4xx): its rows are dead-lettered; how many."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, claim.lane)
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "UPDATE outbox SET status = 'dead', push_id = NULL, attempts = attempts + 1,"
                " last_error = %s WHERE push_id = %s",
                (error, claim.push_id),
            )
            dead = cursor.rowcount
            await _finish(conn, claim.push_id, "rejected", moment, error)
            await self.lanes.record_rejection(conn, claim.lane, now, error=error)
        return dead

    async def release(self, claim: Claim, now: datetime) -> None:
        """The push was not finished: its rows are pending again, what Channex holds for
        them unknown."""
        async with self.db.transaction() as conn:
            await lock_lane(conn, claim.lane)
            await _release(conn, claim.push_id, await self.db.moment(conn, now))

    async def release_expired(self, now: datetime) -> int:
        """Release the claims whose lease ran out (a crashed worker's); returns how many. A
        lane another worker holds right now is left for the next pass."""
        async with self.db.transaction() as conn:
            return await _release_expired_in(conn, await self.db.moment(conn, now))

    # ----------------------------------------------------------------------- housekeeping

    async def retry_dead(
        self, now: datetime, *, property_id: str | None = None, kind: Kind | None = None
    ) -> int:
        """Dead letters (all, one property's, or one lane's) back to pending, attempts 0."""
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                "UPDATE outbox SET status = 'pending', attempts = 0, last_error = NULL,"
                " updated_at = %s WHERE status = 'dead'"
                " AND (%s::text IS NULL OR property_id = %s)"
                " AND (%s::text IS NULL OR kind = %s)",
                (moment, property_id, property_id, kind, kind),
            )
            count: int = cursor.rowcount
            return count

    async def drop_past(self, property_id: str, today: date) -> int:
        """Remove rows (pending or dead, not in flight) for days Channex no longer accepts."""
        return await self.db.execute(
            "DELETE FROM outbox WHERE property_id = %s AND day < %s AND push_id IS NULL",
            (property_id, today),
        )

    async def backlog(self, now: datetime) -> list[LaneBacklog]:
        """Per lane with rows: counts by state and the oldest wait."""
        rows = await self.db.fetchall(
            "SELECT property_id, kind,"
            " count(*) FILTER (WHERE status = 'pending' AND push_id IS NULL) AS pending,"
            " count(*) FILTER (WHERE push_id IS NOT NULL) AS in_flight,"
            " count(*) FILTER (WHERE status = 'dead') AS dead,"
            " min(enqueued_at) FILTER (WHERE status = 'pending') AS oldest"
            ' FROM outbox GROUP BY property_id, kind ORDER BY property_id COLLATE "C",'
            ' kind COLLATE "C"'
        )
        return [
            LaneBacklog(
                lane=Lane(row["property_id"], row["kind"]),
                pending=row["pending"],
                in_flight=row["in_flight"],
                dead=row["dead"],
                oldest_enqueued_at=row["oldest"],
            )
            for row in rows
        ]

    async def recent_pushes(
        self, *, limit: int = 20, property_id: str | None = None
    ) -> list[PushRecord]:
        """The latest pushes, newest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM pushes WHERE (%s::text IS NULL OR property_id = %s)"
            " ORDER BY id DESC LIMIT %s",
            (property_id, property_id, limit),
        )
        return [_push_record(row) for row in rows]
