"""The booking map: Channex booking → its PMS bookings (one per room index), plus the one-off
import of the legacy `data/bookings.json` store.

`save_room` and `save_booking` run inside the caller's transaction, so the mapping is written
in the same transaction as the revision's state change. Each room keeps the PMS request last
applied (JSON), which is what the next revision is diffed against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson

from middleware.domain.pms_booking import PmsBookingRequest
from middleware.domain.room_identity import AppliedRoom
from middleware.store.booking_json import request_from_json

LEGACY_PMS_ID_KEYS = ("pms_reserva_id", "qloapps_order_id")


LEGACY_REVISION_KEYS = ("last_revision_id", "revision_id")


LEGACY_PROPERTY_KEYS = ("property_id", "channex_property_id")


LEGACY_OTA_CODE_KEYS = ("ota_code", "unique_id")


def legacy_first(entry: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """A legacy entry's first non-blank text or integer under one of `keys`."""
    for key in keys:
        value = entry.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | str) and str(value).strip():
            return str(value).strip()
    return None


def legacy_status(value: Any) -> str:
    """A legacy entry's status as the booking map's (`new`, `modified` or `cancelled`)."""
    text = str(value or "").lower()
    if "cancel" in text:
        return "cancelled"
    return "modified" if "modif" in text else "new"


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyBooking:
    """One legacy entry as the booking map records it: the booking and its PMS booking as
    room 0 (what either backend inserts when the booking is not known yet)."""

    channex_booking_id: str
    property_id: str | None
    ota_code: str | None
    status: str
    revision_id: str | None
    pms_id: str

    @property
    def room_status(self) -> str:
        return "cancelled" if self.status == "cancelled" else "active"


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyDocument:
    bookings: tuple[LegacyBooking, ...]
    problems: tuple[str, ...]  # entries not imported, each with why


async def read_legacy(path: Path) -> LegacyDocument:
    """The legacy store's file read and checked (`legacy_bookings`): a file that cannot be
    read, or is not a JSON object, is one problem and no booking."""
    try:
        document = orjson.loads(await asyncio.to_thread(path.read_bytes))
    except (OSError, orjson.JSONDecodeError) as exc:
        return LegacyDocument(bookings=(), problems=(f"{path}: cannot be read ({exc})",))
    if not isinstance(document, dict):
        return LegacyDocument(bookings=(), problems=(f"{path}: not a JSON object",))
    return legacy_bookings(document)


def legacy_report(legacy: LegacyDocument, imported: int) -> ImportReport:
    """What an import did: `imported` bookings, the others of `legacy` skipped (known)."""
    return ImportReport(
        imported=imported, skipped=len(legacy.bookings) - imported, problems=legacy.problems
    )


def legacy_bookings(document: dict[str, Any]) -> LegacyDocument:
    """The entries of a legacy store (an object keyed by Channex booking id) that can be
    imported, and a problem for each that cannot (not an object, no PMS booking id)."""
    bookings: list[LegacyBooking] = []
    problems: list[str] = []
    for booking_id, entry in document.items():
        if not isinstance(entry, dict):
            problems.append(f"{booking_id}: entry is not an object")
            continue
        pms_id = legacy_first(entry, LEGACY_PMS_ID_KEYS)
        if pms_id is None:
            problems.append(f"{booking_id}: no {' or '.join(LEGACY_PMS_ID_KEYS)}")
            continue
        bookings.append(
            LegacyBooking(
                channex_booking_id=booking_id,
                property_id=legacy_first(entry, LEGACY_PROPERTY_KEYS),
                ota_code=legacy_first(entry, LEGACY_OTA_CODE_KEYS),
                status=legacy_status(entry.get("status")),
                revision_id=legacy_first(entry, LEGACY_REVISION_KEYS),
                pms_id=pms_id,
            )
        )
    return LegacyDocument(bookings=tuple(bookings), problems=tuple(problems))


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingRecord:
    channex_booking_id: str
    property_id: str | None
    ota_code: str | None
    status: str | None  # None while rooms exist but no revision finished applying
    last_revision_id: str | None
    last_inserted_at: datetime | None
    imported: bool
    rooms: dict[int, AppliedRoom]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportReport:
    imported: int
    skipped: int
    problems: tuple[str, ...]


class BookingMap(Protocol):
    """The booking map operations a store backend provides."""

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
        """Record one room's PMS booking; `request` None keeps the request stored before (a
        cancellation); `pms_id` None: a create of `request` is about to be sent (its answer
        may be lost)."""

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
        """The revision is applied to the booking in the PMS: record it as the booking's
        latest and mark the revision `applied` (ack next), together in one transaction. The
        booking's record never moves backwards: False (booking not rewritten, revision still
        marked applied) if a newer revision is already recorded."""

    async def load(self, channex_booking_id: str) -> BookingRecord | None:
        """The booking and its rooms; None if nothing was ever applied for it."""

    async def import_legacy(self, path: Path, now: datetime) -> ImportReport:
        """Import the legacy booking store (an object keyed by Channex booking id). Imported
        bookings hold their PMS booking as room 0 and are never created in the PMS again; known
        bookings are skipped, so a second import imports nothing."""


def applied_rooms(room_rows: Iterable[Any]) -> dict[int, AppliedRoom]:
    """A booking's rooms as either backend stores them (`booking_rooms` rows)."""
    return {
        int(row["room_index"]): AppliedRoom(
            pms_id=row["pms_booking_id"],
            active=row["status"] == "active",
            request=None if row["applied"] is None else request_from_json(row["applied"]),
        )
        for row in room_rows
    }


def rooms_only(channex_booking_id: str, rooms: dict[int, AppliedRoom]) -> BookingRecord:
    """A booking known only by rooms (no `bookings` row yet)."""
    return BookingRecord(
        channex_booking_id=channex_booking_id,
        property_id=None,
        ota_code=None,
        status=None,
        last_revision_id=None,
        last_inserted_at=None,
        imported=False,
        rooms=rooms,
    )
