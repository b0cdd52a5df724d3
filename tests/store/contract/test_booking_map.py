"""The booking map: rooms and booking state round-trip; the legacy bookings.json import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from middleware.domain.pms_booking import PmsBookingRequest
from middleware.domain.room_identity import AppliedRoom
from middleware.store import booking_map
from middleware.store.port import Store
from tests.domain.test_booking_plan import make_request

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def save_room(
    store: Store,
    index: int,
    pms_id: str,
    request: PmsBookingRequest | None,
    *,
    active: bool = True,
) -> None:
    await store.booking_map.save_room(
        channex_booking_id="bk-1",
        room_index=index,
        pms_id=pms_id,
        active=active,
        request=request,
        revision_id="rev-1",
        now=T0,
    )


async def save_booking(store: Store, revision_id: str, inserted_at: datetime, status: str) -> bool:
    return await store.booking_map.record_applied(
        channex_booking_id="bk-1",
        property_id="prop-1",
        ota_code="BDC-1",
        status=status,
        revision_id=revision_id,
        inserted_at=inserted_at,
        now=T0,
    )


LEGACY = {
    "bk-a": {"pms_reserva_id": 501, "status": "confirmed", "last_revision_id": "rev-a"},
    "bk-b": {"qloapps_order_id": "77", "status": "cancelled", "revision_id": "rev-b"},
    "bk-c": {"status": "new"},
    "bk-d": "garbage",
    "bk-e": {"pms_reserva_id": "9", "status": "modified", "channex_property_id": "prop-1"},
}


async def test_unknown_booking_loads_as_none(store: Store) -> None:
    assert await store.booking_map.load("bk-1") is None


async def test_rooms_and_booking_round_trip(store: Store) -> None:
    await save_room(store, 0, "101", make_request())
    half_done = await store.booking_map.load("bk-1")
    assert half_done == booking_map.BookingRecord(
        channex_booking_id="bk-1",
        property_id=None,
        ota_code=None,
        status=None,
        last_revision_id=None,
        last_inserted_at=None,
        imported=False,
        rooms={0: AppliedRoom(pms_id="101", active=True, request=make_request())},
    )
    await save_room(store, 1, "102", make_request(room_index=1, room_code="lvu"))
    assert await save_booking(store, "rev-1", T0, "new") is True
    record = await store.booking_map.load("bk-1")
    assert record == booking_map.BookingRecord(
        channex_booking_id="bk-1",
        property_id="prop-1",
        ota_code="BDC-1",
        status="new",
        last_revision_id="rev-1",
        last_inserted_at=T0,
        imported=False,
        rooms={
            0: AppliedRoom(pms_id="101", active=True, request=make_request()),
            1: AppliedRoom(
                pms_id="102", active=True, request=make_request(room_index=1, room_code="lvu")
            ),
        },
    )


async def test_cancelling_a_room_keeps_its_last_request(store: Store) -> None:
    await save_room(store, 0, "101", make_request())
    await save_room(store, 0, "101", None, active=False)
    record = await store.booking_map.load("bk-1")
    assert record is not None
    assert record.rooms == {0: AppliedRoom(pms_id="101", active=False, request=make_request())}


async def test_booking_state_never_moves_backwards(store: Store) -> None:
    later = T0 + timedelta(minutes=5)
    assert await save_booking(store, "rev-2", later, "modified") is True
    assert await save_booking(store, "rev-1", T0, "new") is False
    assert await save_booking(store, "rev-3", later + timedelta(minutes=1), "cancelled") is True
    record = await store.booking_map.load("bk-1")
    assert record is not None
    assert (record.status, record.last_revision_id, record.last_inserted_at) == (
        "cancelled",
        "rev-3",
        later + timedelta(minutes=1),
    )


async def test_import_legacy_store(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bookings.json"
    path.write_bytes(orjson.dumps(LEGACY))
    report = await store.booking_map.import_legacy(path, T0)
    assert report == booking_map.ImportReport(
        imported=3,
        skipped=0,
        problems=(
            "bk-c: no pms_reserva_id or qloapps_order_id",
            "bk-d: entry is not an object",
        ),
    )
    a, b, e = [await store.booking_map.load(key) for key in ("bk-a", "bk-b", "bk-e")]
    assert a == booking_map.BookingRecord(
        channex_booking_id="bk-a",
        property_id=None,
        ota_code=None,
        status="new",
        last_revision_id="rev-a",
        last_inserted_at=None,
        imported=True,
        rooms={0: AppliedRoom(pms_id="501", active=True, request=None)},
    )
    assert b is not None and e is not None
    assert (b.status, b.last_revision_id, b.rooms) == (
        "cancelled",
        "rev-b",
        {0: AppliedRoom(pms_id="77", active=False, request=None)},
    )
    assert (e.status, e.property_id, e.imported) == ("modified", "prop-1", True)

    again = await store.booking_map.import_legacy(path, T0 + timedelta(days=1))
    assert (again.imported, again.skipped) == (0, 3)
    assert await store.booking_map.load("bk-a") == a


async def test_import_never_overwrites_a_booking_we_already_track(
    store: Store, tmp_path: Path
) -> None:
    await store.booking_map.save_room(
        channex_booking_id="bk-a",
        room_index=0,
        pms_id="900",
        active=True,
        request=None,
        revision_id="rev-new",
        now=T0,
    )
    await store.booking_map.record_applied(
        channex_booking_id="bk-a",
        property_id="prop-1",
        ota_code=None,
        status="new",
        revision_id="rev-new",
        inserted_at=T0,
        now=T0,
    )
    path = tmp_path / "bookings.json"
    path.write_bytes(orjson.dumps({"bk-a": LEGACY["bk-a"]}))
    assert await store.booking_map.import_legacy(path, T0) == booking_map.ImportReport(
        imported=0, skipped=1, problems=()
    )
    record = await store.booking_map.load("bk-a")
    assert record is not None
    assert (record.imported, record.rooms[0].pms_id) == (False, "900")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        (b"{not json", "cannot be read"),
        (b"[1, 2]", "not a JSON object"),
    ],
)
async def test_import_reports_an_unusable_file(
    store: Store, tmp_path: Path, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "bookings.json"
    if content is not None:
        path.write_bytes(content)
    report = await store.booking_map.import_legacy(path, T0)
    assert (report.imported, report.skipped, len(report.problems)) == (0, 0, 1)
    assert problem in report.problems[0]
