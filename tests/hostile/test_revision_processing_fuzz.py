"""Hostile booking revisions through the real `BookingProcessor` and a real SQLite store.

The revision source answers a hostile document the way the Channex client does (JSON bytes →
`orjson` → `parse_revision`); the PMS is a recording fake that accepts anything, so whatever it
receives is what the middleware chose to send. For every document, processing never raises and
ends acked, stale or parked with a reason; a parked or stale revision calls the PMS not at all
and leaves every stored row of the already-applied booking as it was; whatever reaches the PMS
is a sane booking (mapped categoria, checkout after checkin, plausible dates, a money total).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from middleware.channex.revision_parser import MAX_AMOUNT, MAX_GUESTS, parse_revision
from middleware.domain import booking_plan as planning
from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.domain.pms_booking import PmsBookingRef, PmsBookingRequest
from middleware.domain.revision import BookingRevision
from middleware.errors import PayloadError
from middleware.store import revisions
from middleware.store.sqlite.store import SqliteStore
from middleware.worker.booking_sync import BookingProcessor, Outcome
from tests.hostile import strategies as hs

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 21)  # at the hotel (America/Sao_Paulo) at NOW
CHECKIN, CHECKOUT = TODAY + timedelta(days=19), TODAY + timedelta(days=22)
ROOM_TYPES = {"rt-ov": "ov", "rt-lvu": "lvu"}
APPLIED_ID, HOSTILE_ID, FOLLOW_UP_ID = "rev-applied", "rev-hostile", "rev-follow-up"
# The latest stamp the processor accepts (NOW + MAX_CLOCK_SKEW): no valid revision is newer.
FOLLOW_UP_AT = "2026-11-22T15:00:00"
CURRENCY = re.compile(r"[A-Z]{3}")
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def mapping() -> Mapping:
    rooms = tuple(
        RoomTypeMap(
            room_code=code,
            room_type_id=type_id,
            rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}"),),
        )
        for type_id, code in ROOM_TYPES.items()
    )
    prop = PropertyMap(
        property_id="prop-1",
        name="Duke Beach",
        currency="BRL",
        timezone="America/Sao_Paulo",
        room_types=rooms,
    )
    return Mapping((prop,))


def revision_doc(
    revision_id: str,
    *,
    booking_id: str = "bk-1",
    status: str = "modified",
    inserted_at: str = "2026-11-21T14:00:00",
    room_types: Sequence[str] = ("rt-ov",),
    stay: tuple[date, date] = (CHECKIN, CHECKOUT),
    amount: Any = "1350.00",
    currency: Any = "BRL",
    adults: Any = 2,
) -> dict[str, Any]:
    """A well-formed revision document, as `GET /booking_revisions/:id` serves it."""
    checkin, checkout = (day.isoformat() for day in stay)
    attrs = {
        "id": revision_id,
        "booking_id": booking_id,
        "property_id": "prop-1",
        "status": status,
        "inserted_at": inserted_at,
        "unique_id": "BDC-1",
        "ota_name": "Booking.com",
        "arrival_date": checkin,
        "departure_date": checkout,
        "amount": amount,
        "currency": currency,
        "notes": "late arrival",
        "customer": {"name": "Maria", "surname": "Silva", "mail": "m@example.com"},
        "rooms": [
            {
                "room_type_id": room_type,
                "rate_plan_id": "rp-x",
                "checkin_date": checkin,
                "checkout_date": checkout,
                "occupancy": {"adults": adults, "children": 0, "infants": 0},
                "amount": amount,
            }
            for room_type in room_types
        ],
    }
    return {"data": {"type": "booking_revision", "id": revision_id, "attributes": attrs}}


class HostileSource:
    """Channex as the processor sees it: raw bytes in, parsed like the real client does."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.acks: list[str] = []

    async def get_revision(self, revision_id: str) -> BookingRevision:
        try:
            document = orjson.loads(self.bodies[revision_id])
        except orjson.JSONDecodeError as exc:
            raise PayloadError("channex booking revision: the answer is not JSON") from exc
        return parse_revision(document)

    async def ack(self, revision_id: str) -> None:
        self.acks.append(revision_id)


@dataclass
class RecordingPms:
    """Accepts everything and records it: the test judges what was sent."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(101))

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef:
        self.calls.append(("create", request))
        return PmsBookingRef(pms_id=str(next(self.ids)), unit=None, status="CONFIRMADA")

    async def modify_booking(
        self, pms_id: str, request: PmsBookingRequest, changed: tuple[str, ...]
    ) -> PmsBookingRef:
        self.calls.append(("modify", {name: getattr(request, name) for name in changed}))
        return PmsBookingRef(pms_id=pms_id, unit=None, status="CONFIRMADA")

    async def cancel_booking(
        self, pms_id: str, reason: str, *, fee: Decimal | None = None, currency: str | None = None
    ) -> PmsBookingRef:
        self.calls.append(("cancel", reason))
        return PmsBookingRef(pms_id=pms_id, unit=None, status="CANCELADA")


def check_stay(checkin: date, checkout: date) -> None:
    assert checkin < checkout
    assert (checkout - checkin).days <= planning.MAX_STAY_NIGHTS
    assert checkout >= TODAY - timedelta(days=planning.MAX_DAYS_PAST)
    assert checkin <= TODAY + timedelta(days=planning.MAX_DAYS_AHEAD)


def check_total(total: Decimal) -> None:
    assert total.is_finite() and 0 <= total <= MAX_AMOUNT
    assert total == total.quantize(Decimal("0.01"))


def check_sent(kind: str, sent: Any) -> None:
    """What the PMS received is a booking a hotel could hold."""
    if kind == "create":
        assert isinstance(sent, PmsBookingRequest)
        assert sent.room_code in ROOM_TYPES.values()
        check_stay(sent.checkin, sent.checkout)
        check_total(sent.total)
        assert 0 <= sent.adults <= MAX_GUESTS and 0 <= sent.children <= MAX_GUESTS
        assert CURRENCY.fullmatch(sent.currency)
        assert sent.guest_name.strip() and sent.channex_booking_id and sent.channex_revision_id
    elif kind == "modify":
        assert isinstance(sent, dict) and sent
        assert sent.get("room_code") is None or sent["room_code"] in ROOM_TYPES.values()
        if sent.get("total") is not None:
            check_total(sent["total"])
        for count in (sent.get("adults"), sent.get("children")):
            assert count is None or 0 <= count <= MAX_GUESTS
    else:
        assert kind == "cancel" and isinstance(sent, str)


async def snapshot(store: SqliteStore, *, skip_revision: str) -> dict[str, list[tuple[Any, ...]]]:
    tables = {}
    for table in ("bookings", "booking_rooms", "revisions"):
        rows = await store.db.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2")  # noqa: S608
        tables[table] = [tuple(r) for r in rows if table != "revisions" or r[0] != skip_revision]
    return tables


@dataclass
class Scenario:
    outcome: Outcome
    sent: list[tuple[str, Any]]
    before: dict[str, list[tuple[Any, ...]]]
    after: dict[str, list[tuple[Any, ...]]]
    row: revisions.RevisionRow | None
    acked: list[str]
    follow_up: Outcome
    booking_status: str


async def process_hostile(path: Path, body: bytes) -> Scenario:
    """Apply one valid revision of bk-1, then process `body` as another revision."""
    store = await SqliteStore.open(path)
    try:
        source, pms = HostileSource(), RecordingPms()

        async def resync(_property_id: str, _touched: Sequence[planning.Touched]) -> None:
            return None

        processor = BookingProcessor(
            source, pms, store, mapping(), resync=resync, clock=lambda: NOW
        )
        source.bodies[APPLIED_ID] = orjson.dumps(revision_doc(APPLIED_ID, status="new"))
        source.bodies[HOSTILE_ID] = body
        await store.revisions.enqueue_many(
            [(APPLIED_ID, "bk-1", "prop-1"), (HOSTILE_ID, None, None)], NOW, source="webhook"
        )
        first = await processor.process(APPLIED_ID)
        assert (first.result, first.created) == ("acked", 1)
        before = await snapshot(store, skip_revision=HOSTILE_ID)
        pms.calls.clear()
        outcome = await processor.process(HOSTILE_ID)
        sent, after = list(pms.calls), await snapshot(store, skip_revision=HOSTILE_ID)
        row, acked = await store.revisions.get(HOSTILE_ID), list(source.acks)
        # Whatever happened, the guest's real cancellation afterwards must still apply.
        cancel = revision_doc(FOLLOW_UP_ID, status="cancelled", inserted_at=FOLLOW_UP_AT)
        source.bodies[FOLLOW_UP_ID] = orjson.dumps(cancel)
        await store.revisions.enqueue_many([(FOLLOW_UP_ID, "bk-1", "prop-1")], NOW, source="feed")
        follow_up = await processor.process(FOLLOW_UP_ID)
        status = await store.db.fetchone(
            "SELECT status FROM bookings WHERE channex_booking_id = 'bk-1'"
        )
        assert status is not None
        return Scenario(
            outcome=outcome,
            sent=sent,
            before=before,
            after=after,
            row=row,
            acked=acked,
            follow_up=follow_up,
            booking_status=status[0],
        )
    finally:
        await store.close()


@pytest.fixture(scope="module")
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("hostile-revisions")
    return (folder / f"{n}.db" for n in itertools.count())


def check_scenario(scenario: Scenario) -> None:
    outcome, row = scenario.outcome, scenario.row
    assert row is not None
    assert outcome.result in ("acked", "stale", "parked"), outcome
    assert row.status == outcome.result
    if outcome.result == "parked":
        assert outcome.reason and row.reason == outcome.reason
        assert HOSTILE_ID not in scenario.acked
    else:
        assert scenario.acked[:2] == [APPLIED_ID, HOSTILE_ID]
    if outcome.result != "acked":
        assert scenario.sent == []
        assert scenario.after == scenario.before
    else:  # a valid revision: only its own booking may change, never the revision history
        assert scenario.after["revisions"] == scenario.before["revisions"]
    for kind, sent in scenario.sent:
        check_sent(kind, sent)
    assert (scenario.follow_up.result, scenario.booking_status) == ("acked", "cancelled")


# Well-formed documents: sound ones, and ones with one value no real booking has.
BASE = {
    "booking_id": st.sampled_from(["bk-1", "bk-1", "bk-2"]),
    "status": st.sampled_from(["modified", "new", "cancelled"]),
    "inserted_at": st.sampled_from(["2026-11-21T14:30:00", "2026-11-20T09:00:00"]),
    "room_types": st.lists(st.sampled_from(["rt-ov", "rt-lvu", "rt-x"]), min_size=1, max_size=3),
}
HOSTILE_VALUES: dict[str, list[Any]] = {
    "stay": [
        (date(9999, 12, 28), date(9999, 12, 31)),
        (date(1, 1, 1), date(1, 1, 4)),
        (TODAY + timedelta(days=1200), TODAY + timedelta(days=1203)),
        (TODAY - timedelta(days=400), TODAY - timedelta(days=397)),
        (CHECKIN, CHECKIN + timedelta(days=400)),
    ],
    "inserted_at": ["9999-12-31T23:59:59", "2030-01-01T00:00:00", "0001-01-01T00:00:00"],
    "amount": ["1e309", "-5", "１２３", "NaN", "1_000", 10**30],
    "currency": ["brl", "\x00", "EURO", "R$"],
    "adults": [-1, 2**63 - 1, 1000, "１"],
}
DOCS = st.one_of(
    st.builds(revision_doc, st.just(HOSTILE_ID), **BASE),
    *(
        st.builds(revision_doc, st.just(HOSTILE_ID), **{**BASE, name: st.sampled_from(values)})
        for name, values in HOSTILE_VALUES.items()
    ),
)


@FUZZ
@given(body=hs.encoded(DOCS))
def test_hostile_revisions_are_acked_stale_or_parked_never_raise(
    runner: asyncio.Runner, paths: Iterator[Path], body: bytes
) -> None:
    """Mutated, random and non-JSON revision documents against an applied booking."""
    check_scenario(runner.run(process_hostile(next(paths), body)))


HOSTILE_ATTRIBUTES: list[tuple[str, dict[str, Any]]] = [
    ("amount 1e309", {"amount": "1e309"}),
    ("amount NaN", {"amount": "NaN"}),
    ("amount -5", {"amount": "-5"}),
    ("amount full-width", {"amount": "１２３"}),
    ("no rooms", {"rooms": []}),
    ("rooms not a list", {"rooms": {"0": {}}}),
    ("unknown status", {"status": "confirmed"}),
    ("checkout before checkin", {"departure_date": CHECKIN.isoformat(), "rooms": None}),
    ("inserted in the far future", {"inserted_at": "9999-12-31T23:59:59"}),
    ("currency junk", {"currency": "\x00€"}),
    ("other revision id", {"id": APPLIED_ID}),
]
HOSTILE_ROOMS: list[tuple[str, dict[str, Any]]] = [
    ("negative adults", {"occupancy": {"adults": -1}}),
    ("huge adults", {"occupancy": {"adults": 2**63 - 1}}),
    ("occupancy not an object", {"occupancy": [2]}),
    ("room checkout before checkin", {"checkout_date": (CHECKIN - timedelta(days=1)).isoformat()}),
    ("far past", {"checkin_date": "0001-01-01", "checkout_date": "0001-01-04"}),
    ("a year ago", {"checkin_date": "2025-11-01", "checkout_date": "2025-11-04"}),
    ("far future", {"checkin_date": "9999-12-28", "checkout_date": "9999-12-31"}),
    ("room 30 years long", {"checkout_date": (CHECKIN + timedelta(days=11_000)).isoformat()}),
    ("room amount -0.01", {"amount": "-0.01"}),
    ("room amount 1E+400", {"amount": "1E+400"}),
]


def _hostile_doc(attrs: dict[str, Any], room: dict[str, Any]) -> dict[str, Any]:
    doc = revision_doc(HOSTILE_ID, inserted_at="2026-11-21T14:30:00")
    doc["data"]["attributes"].update(attrs)
    if room and isinstance(doc["data"]["attributes"]["rooms"], list):
        doc["data"]["attributes"]["rooms"][0].update(room)
    if attrs.get("rooms", 0) is None:
        doc["data"]["attributes"]["rooms"] = revision_doc(HOSTILE_ID)["data"]["attributes"]["rooms"]
    return doc


@pytest.mark.parametrize(
    ("attrs", "room"),
    [pytest.param(a, {}, id=name) for name, a in HOSTILE_ATTRIBUTES]
    + [pytest.param({}, r, id=name) for name, r in HOSTILE_ROOMS],
)
def test_named_hostile_revisions_are_parked_with_a_reason(
    runner: asyncio.Runner, paths: Iterator[Path], attrs: dict[str, Any], room: dict[str, Any]
) -> None:
    """Each listed hostile value parks the revision, calls the PMS not at all, changes nothing."""
    scenario = runner.run(process_hostile(next(paths), orjson.dumps(_hostile_doc(attrs, room))))
    check_scenario(scenario)
    assert scenario.outcome.result == "parked"
    assert scenario.row is not None and scenario.row.status == "parked"


def test_revision_stamped_in_year_one_is_stale_and_changes_nothing(
    runner: asyncio.Runner, paths: Iterator[Path]
) -> None:
    """Older than what was applied: acked as stale; its year-1 stamp is stored readably."""
    doc = _hostile_doc({"inserted_at": "0001-01-01T00:00:00"}, {})
    scenario = runner.run(process_hostile(next(paths), orjson.dumps(doc)))
    check_scenario(scenario)
    assert scenario.outcome.result == "stale"
    assert scenario.row is not None
    assert scenario.row.inserted_at == datetime(1, 1, 1, tzinfo=UTC)


def test_a_valid_modification_still_applies(runner: asyncio.Runner, paths: Iterator[Path]) -> None:
    """The control: the same scenario with a sound newer revision modifies the PMS booking."""
    doc = revision_doc(HOSTILE_ID, inserted_at="2026-11-21T14:30:00")
    doc["data"]["attributes"]["rooms"][0]["occupancy"]["adults"] = 3
    scenario = runner.run(process_hostile(next(paths), orjson.dumps(doc)))
    check_scenario(scenario)
    assert scenario.outcome.result == "acked"
    assert scenario.sent == [("modify", {"adults": 3})]
