"""Which PMS booking is which room: ids first, then an unchanged stay, then position."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from middleware.domain.booking_plan import plan_revision
from middleware.domain.revision import RevisionRoom
from middleware.domain.room_identity import AppliedRoom, match_rooms
from tests.domain.test_booking_plan import CODES, T0, T1, make_request, make_revision, make_room


def code_of(room: RevisionRoom) -> str | None:
    return None if room.room_type_id is None else CODES.get(room.room_type_id)


def applied(slot: int, *, active: bool = True, **changes: Any) -> AppliedRoom:
    request = make_request(room_index=slot, **changes)
    return AppliedRoom(pms_id=f"p{slot}", active=active, request=request)


LVU: dict[str, Any] = {"room_code": "lvu"}
D11, D14 = date(2026, 12, 11), date(2026, 12, 14)

CASES: list[tuple[str, list[RevisionRoom], dict[int, AppliedRoom], dict[int, int]]] = [
    (
        "booking_room_id wins over position",
        [make_room(0, booking_room_id="b"), make_room(1, booking_room_id="a")],
        {0: applied(0, booking_room_id="a"), 1: applied(1, booking_room_id="b")},
        {0: 1, 1: 0},
    ),
    (
        "booking_room_id renewed, ota_unique_id kept (Channex's Booking.com example)",
        [make_room(0, booking_room_id="new-1", ota_unique_id="49", room_type_id="rt-lvu")],
        {0: applied(0, booking_room_id="old-1", ota_unique_id="49")},
        {0: 0},
    ),
    (
        "no ids: an unchanged stay finds its room wherever it moved",
        [make_room(0, room_type_id="rt-lvu"), make_room(1)],
        {0: applied(0), 1: applied(1, **LVU)},
        {0: 1, 1: 0},
    ),
    (
        "first of two rooms removed: the one that stays keeps its slot",
        [make_room(0, room_type_id="rt-lvu", booking_room_id="b")],
        {0: applied(0, booking_room_id="a"), 1: applied(1, booking_room_id="b", **LVU)},
        {0: 1},
    ),
    (
        "what is left is paired by position",
        [make_room(0, checkin=D11, checkout=D14), make_room(1, adults=1, room_type_id="rt-lvu")],
        {0: applied(0), 1: applied(1, **LVU)},
        {0: 0, 1: 1},
    ),
    (
        "a new room beside an unchanged one is new",
        [make_room(0), make_room(1, room_type_id="rt-lvu", booking_room_id="n")],
        {0: applied(0)},
        {0: 0},
    ),
    (
        "a room removed earlier is not taken back by a new room's position",
        [make_room(0), make_room(1, room_type_id="rt-lvu", booking_room_id="n")],
        {0: applied(0), 1: applied(1, active=False, booking_room_id="gone")},
        {0: 0},
    ),
    (
        "the same room id back after its cancellation pairs (a person must look)",
        [make_room(0, booking_room_id="a")],
        {0: applied(0, active=False, booking_room_id="a"), 1: applied(1, **LVU)},
        {0: 0},
    ),
    (
        "a whole booking back after its cancellation pairs by position",
        [make_room(0)],
        {0: applied(0, active=False)},
        {0: 0},
    ),
    (
        "an imported room (nothing known of it) is paired by position",
        [make_room(0)],
        {0: AppliedRoom(pms_id="77", active=True, request=None)},
        {0: 0},
    ),
]


@pytest.mark.parametrize(
    ("rooms", "prior", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_match_rooms(
    rooms: list[RevisionRoom], prior: dict[int, AppliedRoom], expected: dict[int, int]
) -> None:
    assert match_rooms(rooms, prior, code_of) == expected


ROOM_TYPES = ("rt-ov", "rt-lvu")


@st.composite
def booking_change(draw: st.DrawFn) -> tuple[list[RevisionRoom], dict[int, AppliedRoom], set[str]]:
    """Applied rooms with ids; a new revision that keeps some (maybe renewing their
    booking_room_id but keeping ota_unique_id), drops others, adds new ones (with ids of their
    own, as Booking.com sends them) and shuffles."""
    count = draw(st.integers(min_value=1, max_value=6))
    kinds = draw(st.lists(st.sampled_from(ROOM_TYPES), min_size=count, max_size=count))
    prior = {
        slot: applied(
            slot, room_code=CODES[kind], booking_room_id=f"b{slot}", ota_unique_id=f"u{slot}"
        )
        for slot, kind in enumerate(kinds)
    }
    kept = draw(st.sets(st.integers(min_value=0, max_value=count - 1)))
    renew = draw(st.booleans())
    rooms = [
        make_room(
            0,
            room_type_id=kinds[slot],
            booking_room_id=f"r{slot}" if renew else f"b{slot}",
            ota_unique_id=f"u{slot}",
            adults=draw(st.integers(min_value=1, max_value=3)),
        )
        for slot in sorted(kept)
    ]
    added = draw(st.integers(min_value=0, max_value=3))
    rooms += [
        make_room(
            0,
            room_type_id=draw(st.sampled_from(ROOM_TYPES)),
            booking_room_id=f"n{n}",
            ota_unique_id=f"x{n}",
        )
        for n in range(added)
    ]
    order = draw(st.permutations(range(len(rooms))))
    shuffled = [dataclasses.replace(rooms[i], index=position) for position, i in enumerate(order)]
    return shuffled, prior, {f"u{slot}" for slot in kept}


@settings(max_examples=300, deadline=None)
@given(booking_change())
def test_a_room_that_persists_keeps_its_pms_booking(
    change: tuple[list[RevisionRoom], dict[int, AppliedRoom], set[str]],
) -> None:
    """Random reorderings, additions and removals: every room that persists is matched to its
    own slot, no slot twice, and no new room takes a slot."""
    rooms, prior, kept = change
    matched = match_rooms(rooms, prior, code_of)
    assert len(set(matched.values())) == len(matched)
    for room in rooms:
        if room.ota_unique_id in kept:
            assert matched[room.index] == int(room.ota_unique_id[1:])
    persisting = {room.index for room in rooms if room.ota_unique_id in kept}
    assert set(matched) == persisting


@settings(max_examples=200, deadline=None)
@given(booking_change())
def test_the_plan_never_cancels_or_recreates_a_room_that_persists(
    change: tuple[list[RevisionRoom], dict[int, AppliedRoom], set[str]],
) -> None:
    """The same through the whole planner: the PMS bookings of persisting rooms are neither
    cancelled nor created again, removed rooms are cancelled, new rooms get fresh slots."""
    rooms, prior, kept = change
    revision = make_revision(
        id="rev-2", status="modified", inserted_at=T1, amount=None, rooms=tuple(rooms)
    )
    result = plan_revision(revision, rooms_by_type=CODES.get, applied=prior, last_inserted_at=T0)
    kept_slots = {int(uid[1:]) for uid in kept}
    assert {cancel.room_index for cancel in result.cancels} == set(prior) - kept_slots
    assert all(create.room_index >= len(prior) for create in result.creates)
    assert len(result.creates) == len(rooms) - len(kept)
    assert {m.room_index for m in result.modifies} <= kept_slots


def test_rooms_whose_ota_ids_differ_are_never_paired_by_stay_or_position() -> None:
    rooms = [make_room(0, ota_unique_id="50")]
    assert match_rooms(rooms, {0: applied(0, ota_unique_id="49")}, code_of) == {}


def test_a_room_without_ids_is_the_unchanged_one_even_when_new_ids_appear() -> None:
    """Other OTAs renew `booking_room_id` and send no `ota_unique_id`: the stay decides."""
    rooms = [make_room(0, booking_room_id="renewed")]
    assert match_rooms(rooms, {0: applied(0, booking_room_id="first")}, code_of) == {0: 0}


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [("49", None, {0: 0}), (None, "49", {0: 0}), ("49", "49", {0: 0}), ("50", "49", {})],
)
def test_position_pairs_unless_both_ota_ids_are_known_and_differ(
    ours: str | None, theirs: str | None, expected: dict[int, int]
) -> None:
    rooms = [make_room(0, adults=1, ota_unique_id=ours)]
    assert match_rooms(rooms, {0: applied(0, ota_unique_id=theirs)}, code_of) == expected


def test_an_unchanged_stay_never_pairs_with_a_cancelled_room_while_a_live_one_is_left() -> None:
    """Slot 0 was cancelled earlier; the live slot 1 differs. The room pairs with slot 1 by
    position, not with the cancelled slot 0 by its (equal) stay."""
    rooms = [make_room(0)]
    prior = {0: applied(0, active=False), 1: applied(1, **LVU)}
    assert match_rooms(rooms, prior, code_of) == {0: 1}


def test_an_ota_id_finds_its_room_even_after_the_room_was_cancelled() -> None:
    rooms = [make_room(0, ota_unique_id="49")]
    prior = {0: applied(0, active=False, ota_unique_id="49"), 1: applied(1)}
    assert match_rooms(rooms, prior, code_of) == {0: 0}


def test_each_rule_looks_past_rooms_already_matched() -> None:
    """Room 0 is found by booking_room_id; room 1 must still be found by its ota id (slot 2),
    not paired by position with slot 1."""
    rooms = [make_room(0, booking_room_id="a"), make_room(1, ota_unique_id="u2", adults=1)]
    prior = {
        0: applied(0, booking_room_id="a"),
        1: applied(1, ota_unique_id="u1"),
        2: applied(2, ota_unique_id="u2"),
    }
    assert match_rooms(rooms, prior, code_of) == {0: 0, 1: 2}
