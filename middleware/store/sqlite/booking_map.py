"""SQLite implementation of `store.booking_map` (`BookingMap`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiosqlite

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
from middleware.store.sqlite import revisions
from middleware.store.sqlite.db import Database
from middleware.store.stamps import from_db_time, to_db_time


async def save_room_in(
    conn: aiosqlite.Connection,
    *,
    channex_booking_id: str,
    room_index: int,
    pms_id: str | None,
    active: bool,
    request: PmsBookingRequest | None,
    revision_id: str,
    now: datetime,
) -> None:
    """Record one room's PMS booking (in the caller's transaction); `request` None keeps the
    request stored before (a cancellation); `pms_id` None: a create of `request` is about to
    be sent (its answer may be lost)."""
    await conn.execute(
        "INSERT INTO booking_rooms (channex_booking_id, room_index, pms_booking_id, status,"
        " applied, last_revision_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
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
            to_db_time(now),
        ),
    )


async def save_booking_in(
    conn: aiosqlite.Connection,
    *,
    channex_booking_id: str,
    property_id: str,
    ota_code: str | None,
    status: str,
    revision_id: str,
    inserted_at: datetime,
    now: datetime,
) -> bool:
    """Record the revision now applied to the booking (in the caller's transaction). Never
    moves backwards: False (nothing written) if a newer revision is already recorded."""
    cursor = await conn.execute(
        "INSERT INTO bookings (channex_booking_id, property_id, ota_code, status,"
        " last_revision_id, last_inserted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
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
            to_db_time(inserted_at),
            to_db_time(now),
        ),
    )
    return cursor.rowcount == 1


class SqliteBookingMap:
    def __init__(self, db: Database) -> None:
        self._db = db

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
        async with self._db.transaction() as conn:
            await save_room_in(
                conn,
                channex_booking_id=channex_booking_id,
                room_index=room_index,
                pms_id=pms_id,
                active=active,
                request=request,
                revision_id=revision_id,
                now=now,
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
        async with self._db.transaction() as conn:
            saved = await save_booking_in(
                conn,
                channex_booking_id=channex_booking_id,
                property_id=property_id,
                ota_code=ota_code,
                status=status,
                revision_id=revision_id,
                inserted_at=inserted_at,
                now=now,
            )
            await revisions.mark_applied_in(conn, revision_id, now)
        return saved

    async def load(self, channex_booking_id: str) -> BookingRecord | None:
        booking = await self._db.fetchone(
            "SELECT * FROM bookings WHERE channex_booking_id = ?", (channex_booking_id,)
        )
        room_rows = await self._db.fetchall(
            "SELECT * FROM booking_rooms WHERE channex_booking_id = ? ORDER BY room_index",
            (channex_booking_id,),
        )
        if booking is None and not room_rows:
            return None
        rooms = applied_rooms(room_rows)
        if booking is None:
            return rooms_only(channex_booking_id, rooms)
        inserted = booking["last_inserted_at"]
        return BookingRecord(
            channex_booking_id=channex_booking_id,
            property_id=booking["property_id"],
            ota_code=booking["ota_code"],
            status=booking["status"],
            last_revision_id=booking["last_revision_id"],
            last_inserted_at=None if inserted is None else from_db_time(inserted),
            imported=bool(booking["imported"]),
            rooms=rooms,
        )

    async def import_legacy(self, path: Path, now: datetime) -> ImportReport:
        legacy = await read_legacy(path)
        imported = 0
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
            for booking in legacy.bookings:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO bookings (channex_booking_id, property_id, ota_code,"
                    " status, last_revision_id, imported, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (
                        booking.channex_booking_id,
                        booking.property_id,
                        booking.ota_code,
                        booking.status,
                        booking.revision_id,
                        stamp,
                    ),
                )
                if cursor.rowcount != 1:
                    continue
                await conn.execute(
                    "INSERT OR IGNORE INTO booking_rooms (channex_booking_id, room_index,"
                    " pms_booking_id, status, last_revision_id, updated_at)"
                    " VALUES (?, 0, ?, ?, ?, ?)",
                    (
                        booking.channex_booking_id,
                        booking.pms_id,
                        booking.room_status,
                        booking.revision_id,
                        stamp,
                    ),
                )
                imported += 1
        return legacy_report(legacy, imported)
