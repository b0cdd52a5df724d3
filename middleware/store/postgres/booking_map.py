"""The booking map on PostgreSQL (`store/booking_map.py`'s operations and results; read its
docstring): Channex booking → its PMS bookings, plus the one-off legacy import.

`save_room_in` and `save_booking_in` take a psycopg connection inside the caller's transaction
in the place of SQLite's `aiosqlite.Connection`; `save_room` and `record_applied` (the port's)
open their own. `save_booking_in` never moves a booking backwards: its upsert's condition is
checked on the row as locked, so of two workers recording two revisions at once the older
loses whichever commits first. Stamps follow the clock rule of
`postgres/database.py`; `inserted_at` (Channex's) is stored as given.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from middleware.domain.pms_booking import PmsBookingRequest
from middleware.store.booking_json import request_to_json
from middleware.store.booking_map import (
    BookingRecord,
    ImportReport,
    applied_rooms,
    legacy_report,
    read_legacy,
    rooms_only,
)
from middleware.store.postgres import revisions
from middleware.store.postgres.database import Conn, PostgresDatabase


class PostgresBookingMap:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def load(self, channex_booking_id: str) -> BookingRecord | None:
        """The booking and its rooms; None if nothing was ever applied for it."""
        async with self.db.transaction() as conn:  # one snapshot for the booking and its rooms
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor = await conn.execute(
                "SELECT * FROM bookings WHERE channex_booking_id = %s", (channex_booking_id,)
            )
            booking = await cursor.fetchone()
            cursor = await conn.execute(
                "SELECT * FROM booking_rooms WHERE channex_booking_id = %s ORDER BY room_index",
                (channex_booking_id,),
            )
            room_rows = await cursor.fetchall()
        if booking is None and not room_rows:
            return None
        rooms = applied_rooms(room_rows)
        if booking is None:
            return rooms_only(channex_booking_id, rooms)
        return BookingRecord(
            channex_booking_id=channex_booking_id,
            property_id=booking["property_id"],
            ota_code=booking["ota_code"],
            status=booking["status"],
            last_revision_id=booking["last_revision_id"],
            last_inserted_at=booking["last_inserted_at"],
            imported=booking["imported"],
            rooms=rooms,
        )

    async def save_room(
        self,
        *,
        channex_booking_id: str,
        room_index: int,
        pms_id: str | None,
        active: bool,
        request: PmsBookingRequest | None,
        revision_id: str,
        now: datetime,
    ) -> None:
        """Record one room's PMS booking in a transaction of its own (`save_room_in`)."""
        async with self.db.transaction() as conn:
            await self.save_room_in(
                conn,
                channex_booking_id=channex_booking_id,
                room_index=room_index,
                pms_id=pms_id,
                active=active,
                request=request,
                revision_id=revision_id,
                now=now,
            )

    async def save_room_in(
        self,
        conn: Conn,
        *,
        channex_booking_id: str,
        room_index: int,
        pms_id: str | None,
        active: bool,
        request: PmsBookingRequest | None,
        revision_id: str,
        now: datetime,
    ) -> None:
        """Record one room's PMS booking in the caller's transaction (rules of
        `store/sqlite/booking_map.save_room_in`)."""
        await conn.execute(
            "INSERT INTO booking_rooms (channex_booking_id, room_index, pms_booking_id, status,"
            " applied, last_revision_id, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (channex_booking_id, room_index) DO UPDATE SET"
            " pms_booking_id = excluded.pms_booking_id, status = excluded.status,"
            " applied = coalesce(excluded.applied, booking_rooms.applied),"
            " last_revision_id = excluded.last_revision_id, updated_at = excluded.updated_at",
            (
                channex_booking_id,
                room_index,
                pms_id,
                "active" if active else "cancelled",
                None if request is None else request_to_json(request),
                revision_id,
                await self.db.moment(conn, now),
            ),
        )

    async def record_applied(
        self,
        *,
        channex_booking_id: str,
        property_id: str,
        ota_code: str | None,
        status: str,
        revision_id: str,
        inserted_at: datetime,
        now: datetime,
    ) -> bool:
        """The booking's record (`save_booking_in`) and the revision marked applied, in one
        transaction; False if a newer revision is already recorded (the revision is still
        marked applied)."""
        async with self.db.transaction() as conn:
            saved = await self.save_booking_in(
                conn,
                channex_booking_id=channex_booking_id,
                property_id=property_id,
                ota_code=ota_code,
                status=status,
                revision_id=revision_id,
                inserted_at=inserted_at,
                now=now,
            )
            await revisions.mark_applied(conn, revision_id, await self.db.moment(conn, now))
        return saved

    async def save_booking_in(
        self,
        conn: Conn,
        *,
        channex_booking_id: str,
        property_id: str,
        ota_code: str | None,
        status: str,
        revision_id: str,
        inserted_at: datetime,
        now: datetime,
    ) -> bool:
        """Record the revision now applied to the booking, in the caller's transaction; False
        (nothing written) if a newer revision is already recorded."""
        cursor = await conn.execute(
            "INSERT INTO bookings (channex_booking_id, property_id, ota_code, status,"
            " last_revision_id, last_inserted_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (channex_booking_id) DO UPDATE SET property_id = excluded.property_id,"
            " ota_code = coalesce(excluded.ota_code, bookings.ota_code), status = excluded.status,"
            " last_revision_id = excluded.last_revision_id,"
            " last_inserted_at = excluded.last_inserted_at, updated_at = excluded.updated_at"
            " WHERE bookings.last_inserted_at IS NULL"
            " OR bookings.last_inserted_at <= excluded.last_inserted_at",
            (
                channex_booking_id,
                property_id,
                ota_code,
                status,
                revision_id,
                inserted_at,
                await self.db.moment(conn, now),
            ),
        )
        return cursor.rowcount == 1

    async def import_legacy(self, path: Path, now: datetime) -> ImportReport:
        """Import the legacy booking store (rules of `store/booking_map.import_legacy`)."""
        legacy = await read_legacy(path)
        imported = 0
        async with self.db.transaction() as conn:
            moment = await self.db.moment(conn, now)
            for booking in legacy.bookings:
                cursor = await conn.execute(
                    "INSERT INTO bookings (channex_booking_id, property_id, ota_code, status,"
                    " last_revision_id, imported, updated_at)"
                    " VALUES (%s, %s, %s, %s, %s, true, %s) ON CONFLICT DO NOTHING",
                    (
                        booking.channex_booking_id,
                        booking.property_id,
                        booking.ota_code,
                        booking.status,
                        booking.revision_id,
                        moment,
                    ),
                )
                if cursor.rowcount != 1:
                    continue
                await conn.execute(
                    "INSERT INTO booking_rooms (channex_booking_id, room_index, pms_booking_id,"
                    " status, last_revision_id, updated_at) VALUES (%s, 0, %s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (
                        booking.channex_booking_id,
                        booking.pms_id,
                        booking.room_status,
                        booking.revision_id,
                        moment,
                    ),
                )
                imported += 1
        return legacy_report(legacy, imported)
