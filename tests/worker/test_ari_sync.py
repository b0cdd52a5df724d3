"""ARI sync against a real SQLite store and a fake PMS: coalesced reads, the hotel-local
horizon, retries that lose nothing, and properties that each get their own cells."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.datastructures import Secret
from structlog.testing import capture_logs

from middleware.config import Settings
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.models import Lane, PlanDay, PmsAri, RoomAri, RoomDay
from middleware.domain.pms_booking import PmsBookingRef, PmsBookingRequest
from middleware.errors import TransientUpstreamError
from middleware.pms.directory import PmsDirectory
from middleware.store import live, pms_rooms
from middleware.store.keys import LAST_FULL_SYNC_KEY
from middleware.store.sqlite.store import SqliteStore
from middleware.store.stamps import to_db_time
from middleware.worker.ari_sync import AriSync, SyncReport
from tests.kit.clocks import ManualClock

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 20 Nov, 23:00 in São Paulo
TODAY = date(2026, 11, 20)  # the hotel's date at T0
SYNC_DAYS = 10
D = date.fromisoformat


def room_map(code: str) -> RoomTypeMap:
    return RoomTypeMap(
        room_code=code,
        room_type_id=f"rt-{code}",
        rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}"),),
    )


def prop_map(property_id: str, *codes: str, timezone: str = "America/Sao_Paulo") -> PropertyMap:
    return PropertyMap(
        property_id=property_id,
        name=property_id,
        currency="BRL",
        timezone=timezone,
        room_types=tuple(room_map(code) for code in codes),
    )


ONE_PROPERTY = Mapping((prop_map("p1", "lvu", "ov"),))


Day = tuple[int, Decimal]  # (available, rate)


class FakePms:
    """Serves a grid `room_code -> day -> (available, rate)` (default: 3 free at 100.00);
    records every read; queued exceptions are raised first."""

    def __init__(self, codes: tuple[str, ...] = ("lvu", "ov")) -> None:
        self.codes = codes
        self.grid: Callable[[str, date], Day] = lambda code, day: (3, Decimal("100.00"))
        self.totals: dict[str, int] = {}
        self.reads: list[tuple[date, date]] = []
        self.failures: list[Exception] = []

    async def read_ari(self, date_from: date, date_to: date) -> PmsAri:
        self.reads.append((date_from, date_to))
        if self.failures:
            raise self.failures.pop(0)
        days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
        rooms = []
        for code in self.codes:
            room_days = []
            for day in days:
                available, rate = self.grid(code, day)
                plans = (PlanDay(plan_code="padrao", rate=rate),)
                room_days.append(RoomDay(day=day, available=available, plans=plans))
            total = self.totals.get(code, 5)
            rooms.append(RoomAri(room_code=code, total=total, days=tuple(room_days)))
        return PmsAri(currency="BRL", rooms=tuple(rooms))

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef:
        raise NotImplementedError

    async def modify_booking(
        self, pms_id: str, request: PmsBookingRequest, changed: tuple[str, ...]
    ) -> PmsBookingRef:
        raise NotImplementedError

    async def cancel_booking(
        self, pms_id: str, reason: str, *, fee: Decimal | None = None, currency: str | None = None
    ) -> PmsBookingRef:
        raise NotImplementedError

    async def ping(self) -> None:
        return None


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """A database where both test properties are live (pushes allowed)."""
    database = await SqliteStore.open(tmp_path / "m.db")
    await database.live.put_live(["p1", "p2"], T0, by="test")
    yield database
    await database.close()


@pytest.fixture
async def fresh_db(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """A database where no property has gone live yet."""
    database = await SqliteStore.open(tmp_path / "fresh.db")
    yield database
    await database.close()


def make_sync(
    store: SqliteStore, pms: FakePms, clock: ManualClock, mapping: Mapping = ONE_PROPERTY
) -> AriSync:
    settings = Settings(channex_api_key=Secret("key"), channex_sync_days=SYNC_DAYS)
    return AriSync(store, pms, mapping, settings, clock=clock)


async def outbox_rows(store: SqliteStore) -> set[tuple[str, str, str, str, str, str]]:
    """(property, kind, entity, day, field, value) of every outbox row."""
    rows = await store.db.fetchall(
        "SELECT property_id, kind, entity_id, day, field, value FROM outbox"
    )
    return {tuple(row) for row in rows}


def expected_rows(
    property_id: str, codes: tuple[str, ...], first: date, last: date, *, units: int = 3
) -> set[tuple[str, str, str, str, str, str]]:
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    rows = set()
    for code in codes:
        for day in days:
            rows.add((property_id, "availability", f"rt-{code}", day, "availability", str(units)))
            rows.add((property_id, "restrictions", f"rp-{code}", day, "rate", "100"))
    return rows


async def request_status(store: SqliteStore) -> list[tuple[int, str, int, str | None, str | None]]:
    """(id, status, attempts, next_attempt_at, error) per request."""
    rows = await store.db.fetchall(
        "SELECT id, status, attempts, next_attempt_at, error FROM sync_requests ORDER BY id"
    )
    return [tuple(row) for row in rows]


async def test_incremental_requests_coalesce_into_one_read_of_their_union(
    store: SqliteStore,
) -> None:
    pms, clock = FakePms(), ManualClock(T0)
    sync = make_sync(store, pms, clock)
    await store.sync_requests.request(
        source="pms_webhook",
        now=T0,
        room_codes=["lvu"],
        date_from=D("2026-11-22"),
        date_to=D("2026-11-23"),
    )
    await store.sync_requests.request(
        source="pms_webhook",
        now=T0,
        room_codes=["ov"],
        date_from=D("2026-11-26"),
        date_to=D("2026-11-27"),
    )
    await store.sync_requests.request(
        source="booking", now=T0, date_from=D("2026-11-24"), date_to=D("2026-11-24")
    )
    report = await sync.run_once()
    assert pms.reads == [(D("2026-11-22"), D("2026-11-27"))]
    rows = expected_rows("p1", ("lvu", "ov"), D("2026-11-22"), D("2026-11-27"))
    assert report == SyncReport(requests=3, full_sync=False, rows_enqueued=len(rows), problems=())
    assert await outbox_rows(store) == rows
    assert [status for _, status, *_ in await request_status(store)] == ["done"] * 3
    assert await sync.run_once() is None
    assert len(pms.reads) == 1


async def test_a_full_request_among_incremental_ones_forces_the_whole_horizon(
    store: SqliteStore,
) -> None:
    pms, clock = FakePms(), ManualClock(T0)
    sync = make_sync(store, pms, clock)
    await sync.sync(full=False)
    for lane in (Lane("p1", "availability"), Lane("p1", "restrictions")):
        claim = await store.outbox.claim(lane, T0, lease_s=60)
        assert claim is not None
        await store.outbox.complete(
            claim,
            T0,
            task_ids=["t"],
            warnings=[],
            rejected=set(),
            values_count=1,
            bytes_sent=1,
            calls=1,
            payload_sha256="",
            duration_ms=1,
        )
    assert await outbox_rows(store) == set()  # Channex holds the PMS's whole grid now
    pms.reads.clear()

    await store.sync_requests.request(
        source="pms_webhook", now=T0, date_from=D("2026-11-22"), date_to=D("2026-11-23")
    )
    assert await sync.run_once() == SyncReport(
        requests=1, full_sync=False, rows_enqueued=0, problems=()
    )
    await store.sync_requests.request(
        source="pms_webhook", now=T0, date_from=D("2026-11-22"), date_to=D("2026-11-23")
    )
    await store.sync_requests.request(source="sync_full", now=T0, full_sync=True)
    report = await sync.run_once()
    last = TODAY + timedelta(days=SYNC_DAYS - 1)
    assert pms.reads == [(D("2026-11-22"), D("2026-11-23")), (TODAY, last)]
    rows = expected_rows("p1", ("lvu", "ov"), TODAY, last)
    assert report == SyncReport(requests=2, full_sync=True, rows_enqueued=len(rows), problems=())
    assert await outbox_rows(store) == rows
    flags = await store.db.fetchall("SELECT DISTINCT full_sync FROM outbox")
    assert [row[0] for row in flags] == [1]
    assert await store.audit.get_value(LAST_FULL_SYNC_KEY.format(property_id="p1")) == to_db_time(
        T0
    )


async def test_the_window_is_clipped_to_the_hotel_horizon(store: SqliteStore) -> None:
    """At 02:00 UTC on 21 Nov the hotel is still on 20 Nov: that is the first day read."""
    pms, clock = FakePms(), ManualClock(T0)
    sync = make_sync(store, pms, clock)
    await store.sync_requests.request(
        source="sync_incremental", now=T0, date_from=D("2026-11-01"), date_to=D("2027-06-30")
    )
    await sync.run_once()
    last = TODAY + timedelta(days=SYNC_DAYS - 1)
    assert pms.reads == [(TODAY, last)]
    assert await outbox_rows(store) == expected_rows("p1", ("lvu", "ov"), TODAY, last)


async def test_a_request_wholly_in_the_past_reads_nothing_and_is_done(store: SqliteStore) -> None:
    pms, clock = FakePms(), ManualClock(T0)
    sync = make_sync(store, pms, clock)
    await store.sync_requests.request(
        source="booking", now=T0, date_from=D("2026-11-10"), date_to=D("2026-11-19")
    )
    report = await sync.run_once()
    assert report == SyncReport(requests=1, full_sync=False, rows_enqueued=0, problems=())
    assert pms.reads == []
    assert [status for _, status, *_ in await request_status(store)] == ["done"]


async def test_a_pms_failure_keeps_the_requests_for_a_retry_with_backoff(
    store: SqliteStore,
) -> None:
    pms, clock = FakePms(), ManualClock(T0)
    sync = make_sync(store, pms, clock)
    first = await store.sync_requests.request(
        source="pms_webhook", now=T0, date_from=D("2026-11-22"), date_to=D("2026-11-22")
    )
    second = await store.sync_requests.request(
        source="pms_webhook", now=T0, date_from=D("2026-11-25"), date_to=D("2026-11-25")
    )
    down = TransientUpstreamError("sistema-os", "Service Unavailable", status=503)
    pms.failures = [down, down]
    with capture_logs() as logs:
        assert await sync.run_once() is None
    error = "sistema-os: Service Unavailable (HTTP 503)"
    retry_at = to_db_time(T0 + timedelta(seconds=5))
    assert await request_status(store) == [
        (first, "pending", 1, retry_at, error),
        (second, "pending", 1, retry_at, error),
    ]
    assert [e for e in logs if e["event"] == "ari_sync_failed"] == [
        {
            "event": "ari_sync_failed",
            "log_level": "warning",
            "property_id": "p1",
            "error": error,
            "transient": True,
            "retry_at": retry_at,
            "requests": 2,
        }
    ]
    clock.advance(4.9)
    assert await sync.run_once() is None
    assert len(pms.reads) == 1  # still backing off
    clock.advance(0.1)
    assert await sync.run_once() is None
    retry_at = to_db_time(clock() + timedelta(seconds=10))
    assert [(s, a, n) for _, s, a, n, _ in await request_status(store)] == [
        ("pending", 2, retry_at),
        ("pending", 2, retry_at),
    ]
    clock.advance(10)
    report = await sync.run_once()
    assert report is not None
    assert report.requests == 2
    assert pms.reads[-1] == (D("2026-11-22"), D("2026-11-25"))
    assert await outbox_rows(store) == expected_rows(
        "p1", ("lvu", "ov"), D("2026-11-22"), D("2026-11-25")
    )
    assert [s for _, s, *_ in await request_status(store)] == ["done", "done"]


async def test_grid_problems_are_reported_and_logged(store: SqliteStore) -> None:
    pms, clock = FakePms(codes=("lvu", "xyz")), ManualClock(T0)
    pms.totals["lvu"] = 2
    day = D("2026-11-22")
    pms.grid = lambda code, d: (9, Decimal("100.00")) if d == day else (1, Decimal("100.00"))
    sync = make_sync(store, pms, clock)
    with capture_logs() as logs:
        report = await sync.sync(full=False, date_from=day, date_to=day)
    problems = (
        "property p1: room 'lvu' on 2026-11-22 available 9 clamped to 2",
        "property p1: room 'xyz' is not mapped",
    )
    assert report == SyncReport(requests=1, full_sync=False, rows_enqueued=2, problems=problems)
    logged = [e for e in logs if e["event"] == "pms_ari_problem"]
    assert [e["problem"] for e in logged] == sorted(problems)
    assert await outbox_rows(store) == {
        ("p1", "availability", "rt-lvu", "2026-11-22", "availability", "2"),
        ("p1", "restrictions", "rp-lvu", "2026-11-22", "rate", "100"),
    }


async def test_each_property_gets_its_own_cells_and_no_false_unmapped(store: SqliteStore) -> None:
    mapping = Mapping((prop_map("p1", "lvu"), prop_map("p2", "ov", timezone="Europe/Lisbon")))
    pms, clock = FakePms(codes=("lvu", "ov")), ManualClock(T0)
    sync = make_sync(store, pms, clock, mapping)
    await store.sync_requests.request(source="sync_full", now=T0, full_sync=True)
    report = await sync.run_once()
    assert report is not None
    assert report.problems == ()
    # Lisbon is on 21 Nov at 02:00 UTC, São Paulo still on 20 Nov: each its own horizon, and
    # each property its own read (here the two share one PMS).
    lisbon_today = D("2026-11-21")
    assert sorted(pms.reads) == [
        (TODAY, TODAY + timedelta(days=SYNC_DAYS - 1)),
        (lisbon_today, lisbon_today + timedelta(days=SYNC_DAYS - 1)),
    ]
    assert await outbox_rows(store) == expected_rows(
        "p1", ("lvu",), TODAY, TODAY + timedelta(days=SYNC_DAYS - 1)
    ) | expected_rows("p2", ("ov",), lisbon_today, lisbon_today + timedelta(days=SYNC_DAYS - 1))
    for property_id in ("p1", "p2"):
        key = LAST_FULL_SYNC_KEY.format(property_id=property_id)
        assert await store.audit.get_value(key) == to_db_time(T0)


async def test_a_property_not_live_is_read_but_nothing_is_enqueued(fresh_db: SqliteStore) -> None:
    """Before go-live the PMS is still read (and its problems reported) on every trigger, a
    nightly full sync included, but no outbox row is written for the property."""
    store = fresh_db
    pms, clock = FakePms(), ManualClock(T0)
    pms.totals["ov"] = 2  # 3 free of 2: a grid problem, still reported before go-live
    sync = make_sync(store, pms, clock)
    await store.sync_requests.request(source="poll", now=T0)
    await store.sync_requests.request(source="nightly", now=T0, full_sync=True)
    with capture_logs() as logs:
        report = await sync.run_once()
    assert report is not None
    assert (report.requests, report.full_sync, report.rows_enqueued) == (2, True, 0)
    assert report.problems == tuple(
        f"property p1: room 'ov' on {TODAY + timedelta(days=n)} available 3 clamped to 2"
        for n in range(SYNC_DAYS)
    )
    assert pms.reads == [(TODAY, TODAY + timedelta(days=SYNC_DAYS - 1))]
    assert await outbox_rows(store) == set()
    assert await store.audit.get_value(LAST_FULL_SYNC_KEY.format(property_id="p1")) is None
    assert [e for e in logs if e["event"] == "ari_sync_held_not_live"] == [
        {"event": "ari_sync_held_not_live", "property_ids": ["p1"], "log_level": "info"}
    ]
    assert [row[1] for row in await request_status(store)] == ["done", "done"]


async def test_going_live_enqueues_the_whole_horizon_for_the_live_property_only(
    fresh_db: SqliteStore,
) -> None:
    """`go_live` records the property live and its full sync together; a second property
    that is not live still gets nothing."""
    store = fresh_db
    mapping = Mapping((prop_map("p1", "lvu"), prop_map("p2", "ov")))
    pms, clock = FakePms(codes=("lvu", "ov")), ManualClock(T0)
    sync = make_sync(store, pms, clock, mapping)
    request_id = await store.live.go_live(["p1"], T0, by="operator", source="sync_full")
    assert await store.live.live_properties() == {
        "p1": live.LiveProperty(property_id="p1", since=T0, by="operator")
    }
    with capture_logs() as logs:
        report = await sync.run_once()
    assert report is not None
    assert (report.requests, report.full_sync) == (2, True)  # one share per property
    last = TODAY + timedelta(days=SYNC_DAYS - 1)
    assert await outbox_rows(store) == expected_rows("p1", ("lvu",), TODAY, last)
    assert [e["property_ids"] for e in logs if e["event"] == "ari_sync_held_not_live"] == [["p2"]]
    done = (request_id, "done", 0, to_db_time(T0), None)
    assert await request_status(store) == [done, (request_id + 1, *done[1:])]


async def test_a_mapped_categoria_the_pms_does_not_serve_is_recorded_with_a_notice(
    store: SqliteStore,
) -> None:
    """Not a silent skip: the record /health reads, a notice per categoria, a log line; a
    later answer that serves it again resolves the notice."""
    pms, clock = FakePms(codes=("lvu",)), ManualClock(T0)
    sync = make_sync(store, pms, clock)
    with capture_logs() as logs:
        await sync.sync(full=False)
    assert [e["categorias"] for e in logs if e["event"] == "pms_categorias_not_served"] == [["ov"]]
    assert await store.pms_rooms.last("p1") == pms_rooms.Unserved(
        property_id="p1", at=T0, categorias=("ov",)
    )
    [notice] = await store.notices.open_notices()
    assert (notice.kind, notice.property_id, notice.ref) == (pms_rooms.NOTICE, "p1", "p1/ov")
    await sync.sync(full=False)  # still missing: one notice, refreshed
    assert [n.ref for n in await store.notices.open_notices()] == ["p1/ov"]

    pms.codes = ("lvu", "ov")
    clock.advance(60)
    await sync.sync(full=False)
    assert await store.pms_rooms.last("p1") == pms_rooms.Unserved(
        property_id="p1", at=T0 + timedelta(seconds=60), categorias=()
    )
    assert await store.notices.open_notices() == []


async def test_a_request_for_some_rooms_enqueues_those_rooms_only(store: SqliteStore) -> None:
    """The categorias of a PMS notice are the scope: the other rooms' changed values wait
    for a request that names them."""
    pms, clock = FakePms(), ManualClock(T0)
    sync = make_sync(store, pms, clock)
    day = D("2026-11-22")
    await store.sync_requests.request(
        source="pms_webhook",
        now=T0,
        property_id="p1",
        room_codes=["ov"],
        date_from=day,
        date_to=day,
    )
    report = await sync.run_once()
    assert report == SyncReport(requests=1, full_sync=False, rows_enqueued=2, problems=())
    assert await outbox_rows(store) == expected_rows("p1", ("ov",), day, day)


class Directory(PmsDirectory):
    """Each property its own fake PMS."""

    def __init__(self, by_property: dict[str, FakePms]) -> None:
        super().__init__(FakePms(codes=()), by_property)


async def test_each_property_reads_its_own_pms_and_a_failing_one_retries_alone(
    store: SqliteStore,
) -> None:
    """Hotel 2's PMS is down: hotel 1's request is done with one read of hotel 1's PMS and
    nothing of hotel 2's; hotel 2's share of the 'every property' request waits to retry."""
    mapping = Mapping((prop_map("p1", "lvu"), prop_map("p2", "ov")))
    one, two = FakePms(codes=("lvu",)), FakePms(codes=("ov",))
    two.failures.append(TransientUpstreamError("sistema-os", "down", status=503))
    clock = ManualClock(T0)
    settings = Settings(channex_api_key=Secret("key"), channex_sync_days=SYNC_DAYS)
    sync = AriSync(store, Directory({"p1": one, "p2": two}), mapping, settings, clock=clock)
    day = D("2026-11-22")
    await store.sync_requests.request(source="poll", now=T0, date_from=day, date_to=day)
    report = await sync.run_once()
    assert report == SyncReport(requests=1, full_sync=False, rows_enqueued=2, problems=())
    assert (one.reads, two.reads) == ([(day, day)], [(day, day)])
    assert await outbox_rows(store) == expected_rows("p1", ("lvu",), day, day)
    rows = await store.db.fetchall(
        "SELECT property_id, status, attempts FROM sync_requests ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [("p1", "done", 0), ("p2", "pending", 1)]
    clock.advance(60)
    assert await sync.run_once() == SyncReport(
        requests=1, full_sync=False, rows_enqueued=2, problems=()
    )
    assert one.reads == [(day, day)]
    assert await outbox_rows(store) == expected_rows("p1", ("lvu",), day, day) | expected_rows(
        "p2", ("ov",), day, day
    )
