"""Channex parity on PostgreSQL (`store/parity_drift.py`'s operations and results; read its
docstring): read-backs wanted (`parity_requests`), drift queued to heal, drift still open.

`request_in` and `note_ari_event_in` take a psycopg connection inside the caller's transaction
(the webhook intake's) in the place of SQLite's `aiosqlite.Connection`. `heal` writes the
outbox, so it first locks the lane's row like every outbox write (`lanes.lock_lane`): the
busy check and the queued values cannot interleave with a worker's claim or enqueue. Stamps
follow the clock rule of `postgres/database.py`; `read_at` is the caller's, used as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from middleware.domain import readback as domain
from middleware.domain.models import Cells, Lane, value_to_text
from middleware.domain.outbox_rules import FieldKey, cells_from_texts
from middleware.domain.readback import Drift
from middleware.store.parity_drift import ParityRequest, Settled
from middleware.store.postgres import ari_state
from middleware.store.postgres.database import Conn, PostgresDatabase
from middleware.store.postgres.lanes import lock_lane

_LANE_DAYS = "property_id = %s AND kind = %s AND day BETWEEN %s AND %s"


async def request_in(
    conn: Conn, lane: Lane, date_from: date, date_to: date, moment: datetime
) -> None:
    """Ask for a read-back of these days (merged with one already waiting for the lane)."""
    await conn.execute(
        "INSERT INTO parity_requests (property_id, kind, date_from, date_to, requested_at)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (property_id, kind) DO UPDATE SET"
        " date_from = LEAST(parity_requests.date_from, excluded.date_from),"
        " date_to = GREATEST(parity_requests.date_to, excluded.date_to),"
        " requested_at = excluded.requested_at",
        (lane.property_id, lane.kind, date_from, date_to, moment),
    )


async def _believed(conn: Conn, lane: Lane, first: date, last: date) -> Cells:
    """Acked values with outbox values (pending or in flight) over them."""
    cursor = await conn.execute(
        f"SELECT entity_id, day, field, value, 0 AS layer FROM ari_state WHERE {_LANE_DAYS}"  # noqa: S608
        f" UNION ALL SELECT entity_id, day, field, value, 1 AS layer FROM outbox"
        f" WHERE {_LANE_DAYS} ORDER BY layer",
        (lane.property_id, lane.kind, first, last) * 2,
    )
    return cells_from_texts(ari_state.texts_from_rows(await cursor.fetchall(), None))


async def note_ari_event_in(
    conn: Conn, property_id: str | None, payload: Any, moment: datetime
) -> tuple[Literal["queued", "ignored"], str]:
    """An `ari` webhook inside the intake transaction: a read-back of the days it names for
    each lane whose reported values are not all believed (rules of
    `store/parity_drift.note_ari_event_in`)."""
    touches = domain.cells_named_by_ari_event(payload)
    if property_id is None or not touches:
        return "ignored", "no cells named"
    asked: list[str] = []
    for touch in touches:
        lane = Lane(property_id, touch.kind)
        days = [key.day for key in touch.cells]
        believed = await _believed(conn, lane, min(days), max(days))
        if domain.is_echo(touch, believed):
            continue
        await request_in(conn, lane, min(days), max(days), moment)
        asked.append(f"{touch.kind} {min(days)}..{max(days)}")
    if not asked:
        return "ignored", "echo of the middleware's own push"
    return "queued", "read-back scheduled: " + ", ".join(asked)


async def _busy(
    conn: Conn, lane: Lane, first: date, last: date, read_at: datetime
) -> set[FieldKey]:
    cursor = await conn.execute(
        f"SELECT entity_id, day, field FROM outbox WHERE {_LANE_DAYS}"  # noqa: S608
        f" UNION SELECT entity_id, day, field FROM ari_state WHERE {_LANE_DAYS}"
        " AND pushed_at >= %s",
        (*(lane.property_id, lane.kind, first, last) * 2, read_at),
    )
    return {ari_state.field_key(row) for row in await cursor.fetchall()}


def _pk(lane: Lane, d: Drift) -> tuple[str, str, str, date, str]:
    return (lane.property_id, lane.kind, d.entity_id, d.day, d.field)


class PostgresParityDrift:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def request_in(
        self, conn: Conn, lane: Lane, date_from: date, date_to: date, now: datetime
    ) -> None:
        await request_in(conn, lane, date_from, date_to, await self.db.moment(conn, now))

    async def note_ari_event_in(
        self, conn: Conn, property_id: str | None, payload: Any, now: datetime
    ) -> tuple[Literal["queued", "ignored"], str]:
        moment = await self.db.moment(conn, now)
        return await note_ari_event_in(conn, property_id, payload, moment)

    async def requests(self) -> list[ParityRequest]:
        rows = await self.db.fetchall(
            'SELECT * FROM parity_requests ORDER BY requested_at, property_id COLLATE "C", kind'
        )
        return [
            ParityRequest(
                property_id=row["property_id"],
                kind=row["kind"],
                date_from=row["date_from"],
                date_to=row["date_to"],
                requested_at=row["requested_at"],
            )
            for row in rows
        ]

    async def finish_request(self, request: ParityRequest) -> None:
        """Done, unless a newer event asked again meanwhile (then it stays for the next pass)."""
        await self.db.execute(
            "DELETE FROM parity_requests WHERE property_id = %s AND kind = %s"
            " AND requested_at = %s",
            (request.property_id, request.kind, request.requested_at),
        )

    async def heal(
        self, lane: Lane, drift: Sequence[Drift], now: datetime, *, read_at: datetime
    ) -> list[Drift]:
        """Forget the believed value of each drifted field and queue the PMS value; returns
        the drift queued (busy fields are skipped) and records it as open drift."""
        if not drift:
            return []
        first = min(d.day for d in drift)
        last = max(d.day for d in drift)
        async with self.db.transaction() as conn:
            await lock_lane(conn, lane)
            moment = await self.db.moment(conn, now)
            busy = await _busy(conn, lane, first, last, read_at)
            queued = [d for d in drift if (d.entity_id, d.day.isoformat(), d.field) not in busy]
            if not queued:
                return []
            keys = [_pk(lane, d) for d in queued]
            async with conn.cursor() as cursor:
                await cursor.executemany(
                    "DELETE FROM ari_state WHERE property_id = %s AND kind = %s"
                    " AND entity_id = %s AND day = %s AND field = %s",
                    keys,
                )
                await cursor.executemany(
                    "INSERT INTO outbox (property_id, kind, entity_id, day, field, value,"
                    " enqueued_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (*key, value_to_text(d.field, d.pms), moment, moment)
                        for key, d in zip(keys, queued, strict=True)
                    ],
                )
                await cursor.executemany(
                    "INSERT INTO parity_drift (property_id, kind, entity_id, day, field, found_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (property_id, kind, entity_id,"
                    " day, field) DO UPDATE SET heals = parity_drift.heals + 1",
                    [(*key, moment) for key in keys],
                )
        return queued

    async def settle(
        self,
        lane: Lane,
        date_from: date,
        date_to: date,
        drift: Sequence[Drift],
        now: datetime,
    ) -> Settled:
        """After a comparison of these days: open drift no longer found is healed (removed,
        with its age); open drift found again is persisting."""
        found = {(d.entity_id, d.day.isoformat(), d.field): d for d in drift}
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            cursor = await conn.execute(
                f"SELECT entity_id, day, field, found_at FROM parity_drift WHERE {_LANE_DAYS}"  # noqa: S608
                ' ORDER BY entity_id COLLATE "C", day, field COLLATE "C" FOR UPDATE',
                (lane.property_id, lane.kind, date_from, date_to),
            )
            rows = {ari_state.field_key(row): row["found_at"] for row in await cursor.fetchall()}
            gone = [key for key in rows if key not in found]
            if gone:
                async with conn.cursor() as delete:
                    await delete.executemany(
                        "DELETE FROM parity_drift WHERE property_id = %s AND kind = %s"
                        " AND entity_id = %s AND day = %s AND field = %s",
                        [
                            (lane.property_id, lane.kind, e, date.fromisoformat(day), f)
                            for e, day, f in gone
                        ],
                    )
        healed = tuple((key[2], max(0.0, (moment - rows[key]).total_seconds())) for key in gone)
        again = set(rows) - set(gone)
        return Settled(healed=healed, persisting=tuple(found[key] for key in sorted(again)))

    async def bookings_in_flight(self, property_id: str) -> int:
        """Booking revisions of the property (or of no known property yet) still on their
        way to the PMS."""
        row = await self.db.fetchone(
            "SELECT count(*) AS n FROM revisions WHERE status = 'pending'"
            " AND (property_id = %s OR property_id IS NULL)",
            (property_id,),
        )
        return 0 if row is None else int(row["n"])

    async def open_drift(self, property_id: str) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) AS n FROM parity_drift WHERE property_id = %s", (property_id,)
        )
        return 0 if row is None else int(row["n"])
