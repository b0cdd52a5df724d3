"""Proof under fire: no booking lost or duplicated, Channex converges, the rate limit holds.

The slow tests run the real middleware processes (web and worker) against both emulators for
a few seeds, under each seed's faults, and assert the oracle found nothing. The fast ones
check what those runs rest on: plans and workloads follow from the seed alone, the CI seeds
cover every fault kind, and the oracle names each kind of wrongness it exists to catch.
The long campaign is `python scripts/chaos.py --seeds 200`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from middleware.sandbox import chaos_oracle
from middleware.sandbox.chaos_channex_edits import edit_values
from middleware.sandbox.chaos_plan import EPISODES, make_plan
from middleware.sandbox.chaos_snapshot import DeadCell, RevisionRecord
from middleware.sandbox.chaos_workload import (
    LAST_CHECKIN_DAYS,
    MAX_NIGHTS,
    OtaCancel,
    OtaCreate,
    OtaModify,
)
from middleware.sandbox.pms_state import BookingRequest
from scripts import chaos
from tests.chaos.harness import (
    CI_OPTIONS,
    CI_SEEDS,
    DRIFT_OPTIONS,
    DRIFT_SEEDS,
    run_ci_seed,
)
from tests.chaos.oracle import DAYS, World, snapshot, world
from tests.chaos.workload import TODAY, ci_plan, ci_workload

# ---------------------------------------------------------------------------- the runs


@pytest.mark.slow
@pytest.mark.parametrize("seed", CI_SEEDS)
async def test_no_violation_under_the_seeds_faults(seed: int, tmp_path: Path) -> None:
    result = await run_ci_seed(seed, tmp_path)
    assert result.violations == (), f"seed {seed}; logs in {tmp_path}"
    assert result.bookings >= CI_OPTIONS.bookings[0]
    assert result.fault_total > 0
    assert result.max_in_window <= CI_OPTIONS.rate_limit


@pytest.mark.slow
@pytest.mark.parametrize("seed", DRIFT_SEEDS)
async def test_reconciliation_alone_brings_channex_back_to_the_pms(
    seed: int, tmp_path: Path
) -> None:
    """Channex edited in its UI (some edits never announced) and pushes applied partly, on
    top of the seed's faults: at the end Channex holds the PMS's ARI with no full sync after
    go-live, and the read-backs never took Channex over the limit."""
    result = await run_ci_seed(seed, tmp_path, DRIFT_OPTIONS)
    assert result.violations == (), f"seed {seed}; logs in {tmp_path}"
    assert result.done["ui_edit"] > 0 and result.done["ui_edit_unannounced"] > 0
    assert result.reads > 0
    assert result.max_in_window <= DRIFT_OPTIONS.rate_limit


# ---------------------------------------------------------------------------- seeds


def test_the_ci_seeds_cover_every_fault_kind() -> None:
    """Kill -9 of both processes, PMS down, 429 streaks, dropped webhooks, ... all of them."""
    covered = frozenset().union(*(ci_plan(seed).kinds() for seed in CI_SEEDS))
    background = {"429", "5xx", "slow", "warning"}
    background |= {"duplicate_webhook", "reorder_webhook", "drop_webhook"}
    assert covered == frozenset(EPISODES) | background
    for seed in CI_SEEDS:
        assert {"kill_worker", "pms_down", "channex_429_streak"} <= ci_plan(seed).kinds()


def test_the_drift_seeds_edit_channex_with_and_without_webhook_and_apply_pushes_partly() -> None:
    for seed in DRIFT_SEEDS:
        assert {"partial", "ui_edit", "ui_edit_unannounced"} <= ci_plan(seed, drift=True).kinds()


@pytest.mark.parametrize("seed", range(20))
def test_the_drift_variant_keeps_the_seeds_other_faults(seed: int) -> None:
    """Its UI edits and partly applied pushes come from streams of their own."""
    drift = ci_plan(seed, drift=True)
    assert drift.ui_edits and drift.channex.p_partial > 0
    plain = dataclasses.replace(
        drift, ui_edits=(), channex=dataclasses.replace(drift.channex, p_partial=0.0)
    )
    assert plain == ci_plan(seed)
    assert ci_plan(seed).ui_edits == ()


async def test_every_ui_edit_of_the_drift_seeds_is_one_the_emulator_takes(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        edits = [e for seed in DRIFT_SEEDS for e in ci_plan(seed, drift=True).ui_edits]
        for edit in edits:
            payload = w.channex.edit_ari(
                edit.kind, edit_values(edit, w.mapping, w.today), deliver=False
            )
            assert len(payload) == edit.days  # one ari item per day it changed
        first = edits[0]
        room_type_id, rate_plan_id = w.ids(first.categoria)
        day = w.today + timedelta(days=first.first_day)
        target = (
            {"room_type_id": room_type_id}
            if first.kind == "availability"
            else {"rate_plan_id": rate_plan_id}
        )
        assert edit_values(first, w.mapping, w.today) == [
            {
                "property_id": w.property_id,
                "date_from": day.isoformat(),
                "date_to": (day + timedelta(days=first.days - 1)).isoformat(),
                **dict(first.fields),
                **target,
            }
        ]


def test_plan_and_workload_follow_from_the_seed_alone() -> None:
    assert ci_plan(36) == ci_plan(36)
    assert ci_workload(36) == ci_workload(36)
    assert ci_plan(36) != ci_plan(37)
    assert ci_workload(36) != ci_workload(37)


@pytest.mark.parametrize("seed", range(20))
def test_episodes_on_one_track_never_overlap(seed: int) -> None:
    plan = make_plan(seed, duration_s=40.0, channex_timeout_s=1.5, pms_timeout_s=1.5)
    by_track: dict[str, list[tuple[float, float]]] = {}
    for episode in plan.episodes:
        by_track.setdefault(EPISODES[episode.kind][0], []).append((episode.at_s, episode.end_s))
    for spans in by_track.values():
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start > end
    assert all(0 < e.at_s < 40.0 for e in plan.episodes)


@pytest.mark.parametrize("seed", range(20))
def test_workload_only_changes_bookings_it_made_and_never_reuses_a_room(seed: int) -> None:
    workload = ci_workload(seed)
    assert [op.at_s for op in workload.ops] == sorted(op.at_s for op in workload.ops)
    created: set[int] = set()
    cancelled: set[int] = set()
    rooms: dict[int, int] = {}
    lost_a_room: set[int] = set()
    for op in workload.ops:
        if isinstance(op, OtaCreate):
            created.add(op.key)
            rooms[op.key] = len(op.stays)
        elif isinstance(op, OtaModify | OtaCancel):
            assert op.key in created and op.key not in cancelled
        if isinstance(op, OtaCancel):
            cancelled.add(op.key)
        if isinstance(op, OtaModify):
            if len(op.stays) < rooms[op.key]:
                lost_a_room.add(op.key)
            assert not (op.key in lost_a_room and len(op.stays) > rooms[op.key])
            rooms[op.key] = len(op.stays)
        if isinstance(op, OtaCreate | OtaModify):
            for stay in op.stays:
                assert TODAY < stay.checkin <= TODAY + timedelta(days=LAST_CHECKIN_DAYS)
                assert 1 <= (stay.checkout - stay.checkin).days <= MAX_NIGHTS
    counts = Counter(type(op).__name__ for op in workload.ops)
    low, high = CI_OPTIONS.bookings
    assert low <= counts["OtaCreate"] <= high
    assert all(0 <= op.at_s <= CI_OPTIONS.duration_s for op in workload.ops)


# ---------------------------------------------------------------------------- the oracle


async def booked(w: World, *, pms_copies: int = 1, far: bool = True) -> tuple[str, str]:
    """An OTA booking in Channex, its revision acked, applied `pms_copies` times in the PMS;
    `far`: beyond the compared horizon. Returns (booking id, revision id)."""
    checkin = w.today + timedelta(days=DAYS + 5 if far else 1)
    room_type_id, rate_plan_id = w.ids("lvu")
    booking_id, revision_id = w.channex.create_booking(
        rooms=[
            {
                "room_type_id": room_type_id,
                "rate_plan_id": rate_plan_id,
                "checkin_date": checkin.isoformat(),
                "checkout_date": (checkin + timedelta(days=2)).isoformat(),
            }
        ]
    )
    for _ in range(pms_copies):
        w.pms.state.create_booking(
            BookingRequest(
                categoria="lvu",
                checkin=checkin,
                checkout=checkin + timedelta(days=2),
                guest_name="Guest Sandbox",
                channex_booking_id=booking_id,
                quarto_indice=0,
            )
        )
    return booking_id, revision_id


ACKED = RevisionRecord(status="acked", reason=None, booking_id=None)


async def test_a_consistent_world_passes(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        _, revision_id = await booked(w, far=False)  # Channex and the PMS both took a room
        w.channex.state.acked.add(revision_id)
        verdict = chaos_oracle.judge(w.evidence(snapshot(revisions={revision_id: ACKED})))
    assert verdict == chaos_oracle.Verdict(
        violations=(),
        parked_bookings=0,
        excluded_cells=0,
        max_accepted_in_window=1,
        max_attempts_in_window=1,
    )


async def test_a_duplicated_booking_is_named(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        booking_id, revision_id = await booked(w, pms_copies=2)
        w.channex.state.acked.add(revision_id)
        verdict = chaos_oracle.judge(w.evidence(snapshot(revisions={revision_id: ACKED})))
    assert verdict.violations == (f"booking {booking_id} room 0: 2 PMS bookings [1, 2]",)


async def test_a_lost_booking_is_named(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        booking_id, revision_id = await booked(w, pms_copies=0)
        verdict = chaos_oracle.judge(w.evidence(snapshot()))
    assert verdict.violations == (
        f"revision {revision_id} (booking {booking_id}) not acked, unknown to the middleware",
        f"booking {booking_id} room 0: no PMS booking",
    )


async def test_an_ack_before_the_pms_has_it_is_named(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        booking_id, revision_id = await booked(w, pms_copies=0)
        w.channex.state.acked.add(revision_id)
        pending = RevisionRecord(status="pending", reason=None, booking_id=booking_id)
        verdict = chaos_oracle.judge(w.evidence(snapshot(revisions={revision_id: pending})))
    assert verdict.violations == (
        f"revision {revision_id} (booking {booking_id}) acked while pending",
        f"booking {booking_id} room 0: no PMS booking",
        "left unfinished: 1 revisions",
    )


async def test_a_parked_booking_passes_only_when_it_is_visible(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        _, revision_id = await booked(w, pms_copies=0)
        parked = {revision_id: RevisionRecord(status="parked", reason="full", booking_id=None)}
        visible = w.evidence(
            snapshot(revisions=parked, open_notice_refs=frozenset({revision_id})),
            attention=frozenset({revision_id}),
        )
        silent = w.evidence(snapshot(revisions=parked))
        verdicts = [chaos_oracle.judge(visible), chaos_oracle.judge(silent)]
    assert [(v.violations, v.parked_bookings) for v in verdicts] == [
        ((), 1),
        ((f"revision {revision_id} parked without an open notice, a place in /status",), 1),
    ]


async def test_channex_holding_other_ari_is_named_unless_dead_lettered(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        day = w.today + timedelta(days=1)
        old = w.pms.state.plan_day("ov", "padrao", day).rate
        w.pms.set_rate("ov", "padrao", day, day, Decimal("999.00"))
        diverged = chaos_oracle.judge(w.evidence(snapshot()))
        _, rate_plan_id = w.ids("ov")
        dead = DeadCell(
            kind="restrictions",
            entity_id=rate_plan_id,
            day=day.isoformat(),
            field="rate",
            last_error="Channex dropped the value with a warning",
        )
        explained = chaos_oracle.judge(w.evidence(snapshot(dead_cells=(dead,))))
        unexplained = chaos_oracle.judge(
            w.evidence(snapshot(dead_cells=(dataclasses.replace(dead, last_error=None),)))
        )
    assert diverged.violations == (f"ov {day} rate: Channex {old}, PMS 999.00",)
    assert (explained.violations, explained.excluded_cells) == ((), 1)
    assert unexplained.violations == (
        f"ov {day} rate: Channex {old}, PMS 999.00",
        "1 dead-lettered ARI rows without a last_error",
    )


async def test_a_call_over_the_rate_limit_is_named_even_when_channex_refused_it(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()  # one call per endpoint
        room_type_id, _ = w.ids("lvu")
        value = {
            "property_id": w.property_id,
            "room_type_id": room_type_id,
            "date": (w.today + timedelta(days=DAYS + 1)).isoformat(),
            "availability": 3,
        }
        statuses = [await w.post("/availability", [value]) for _ in range(10)]
        verdict = chaos_oracle.judge(w.evidence(snapshot()))
    assert statuses == [200] * 9 + [429]  # Channex refused the 11th
    assert verdict.violations == ("/availability: the middleware made 11 calls in 60.0 s",)
    assert (verdict.max_accepted_in_window, verdict.max_attempts_in_window) == (10, 11)


async def test_a_full_sync_after_go_live_is_named_in_the_drift_variant(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        evidence = w.evidence(snapshot(full_syncs=2))
        verdicts = [
            chaos_oracle.judge(evidence),
            chaos_oracle.judge(dataclasses.replace(evidence, full_syncs_allowed=1)),
        ]
    assert [v.violations for v in verdicts] == [
        (),
        (
            "2 full syncs, 1 allowed: Channex was to be brought back to the PMS by"
            " reconciliation alone",
        ),
    ]


async def test_read_backs_count_against_the_limit_in_the_drift_variant(tmp_path: Path) -> None:
    """Channex does not say whether GETs count: the drift variant checks as if they did."""
    async with world(tmp_path) as w:
        await w.mirror_pms()  # one POST per endpoint
        for _ in range(10):
            assert await w.read_availability() == 200
        evidence = w.evidence(snapshot())
        verdicts = [
            chaos_oracle.judge(evidence),
            chaos_oracle.judge(dataclasses.replace(evidence, reads_count=True)),
        ]
    assert [v.violations for v in verdicts] == [
        (),
        ("/availability: the middleware made 11 calls, read-backs included, in 60.0 s",),
    ]


async def test_a_read_back_asked_for_and_not_done_is_unfinished_work(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        verdict = chaos_oracle.judge(w.evidence(snapshot(read_backs_asked=1)))
    assert verdict.violations == ("left unfinished: 1 read-backs asked for",)


async def test_work_left_pending_is_named(tmp_path: Path) -> None:
    async with world(tmp_path) as w:
        await w.mirror_pms()
        verdict = chaos_oracle.judge(w.evidence(snapshot(outbox_pending=3, sync_requests_open=1)))
    assert verdict.violations == (
        "left unfinished: 3 outbox rows",
        "left unfinished: 1 sync requests",
    )


# ---------------------------------------------------------------------------- the campaign


def test_campaign_options_compress_time_unless_asked_for_real_time() -> None:
    compressed = chaos.options_for(chaos.parse_args(["--seeds", "3"]))
    real = chaos.options_for(chaos.parse_args(["--real-time", "--minutes-per-seed", "2"]))
    assert (compressed.window_s, compressed.duration_s) == (6.0, 45.0)
    assert (real.window_s, real.duration_s) == (60.0, 120.0)
    drift = chaos.options_for(chaos.parse_args(["--drift"]))
    real_drift = chaos.options_for(chaos.parse_args(["--drift", "--real-time"]))
    assert (compressed.parity_interval_s, drift.parity_interval_s) == (0, 3)
    assert real_drift.parity_interval_s == 30
    with pytest.raises(SystemExit):
        chaos.parse_args(["--seeds", "0"])


def test_a_seed_whose_run_broke_is_a_failed_row(tmp_path: Path) -> None:
    result = chaos.broken(12, RuntimeError("web never answered"), tmp_path)
    assert result.violations == ("the run did not finish: RuntimeError: web never answered",)
    assert chaos.row(result).split() == ["12", "0", "0", "0", "0", "0", "0", "0", "0", "1"]
