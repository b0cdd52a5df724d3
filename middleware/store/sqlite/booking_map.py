"""SQLite implementation of `store.booking_map` (`BookingMap`)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import aiosqlite
import orjson

from middleware.domain.pms_booking import PmsBookingRequest
from middleware.store.booking_json import request_to_json
from middleware.store.booking_map import (
    LEGACY_OTA_CODE_KEYS,
    LEGACY_PMS_ID_KEYS,
    LEGACY_PROPERTY_KEYS,
    LEGACY_REVISION_KEYS,
    BookingRecord,
    ImportReport,
    applied_rooms,
    legacy_first,
    legacy_status,
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
        try:
            document = orjson.loads(await asyncio.to_thread(path.read_bytes))
        except (OSError, orjson.JSONDecodeError) as exc:
            return ImportReport(
                imported=0, skipped=0, problems=(f"{path}: cannot be read ({exc})",)
            )
        if not isinstance(document, dict):
            return ImportReport(imported=0, skipped=0, problems=(f"{path}: not a JSON object",))
        imported = skipped = 0
        problems: list[str] = []
        stamp = to_db_time(now)
        async with self._db.transaction() as conn:
            for booking_id, entry in document.items():
                if not isinstance(entry, dict):
                    problems.append(f"{booking_id}: entry is not an object")
                    continue
                pms_id = legacy_first(entry, LEGACY_PMS_ID_KEYS)
                if pms_id is None:
                    problems.append(f"{booking_id}: no {' or '.join(LEGACY_PMS_ID_KEYS)}")
                    continue
                status = legacy_status(entry.get("status"))
                revision_id = legacy_first(entry, LEGACY_REVISION_KEYS)
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO bookings (channex_booking_id, property_id, ota_code,"
                    " status, last_revision_id, imported, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (
                        booking_id,
                        legacy_first(entry, LEGACY_PROPERTY_KEYS),
                        legacy_first(entry, LEGACY_OTA_CODE_KEYS),
                        status,
                        revision_id,
                        stamp,
                    ),
                )
                if cursor.rowcount != 1:
                    skipped += 1
                    continue
                await conn.execute(
                    "INSERT OR IGNORE INTO booking_rooms (channex_booking_id, room_index,"
                    " pms_booking_id, status, last_revision_id, updated_at)"
                    " VALUES (?, 0, ?, ?, ?, ?)",
                    (
                        booking_id,
                        pms_id,
                        "cancelled" if status == "cancelled" else "active",
                        revision_id,
                        stamp,
                    ),
                )
                imported += 1
        return ImportReport(imported=imported, skipped=skipped, problems=tuple(problems))
