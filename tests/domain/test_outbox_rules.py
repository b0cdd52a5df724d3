"""The outbox's coalescing rules, pure: what a write of a lane's fields turns into."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from middleware.domain import outbox_rules
from middleware.domain.models import CellKey, Cells
from middleware.domain.outbox_rules import FieldKey, OutboxRow, WritePlan

D1 = CellKey("rp", date(2026, 11, 21))
D2 = CellKey("rp", date(2026, 11, 22))


@pytest.mark.parametrize(
    ("desired", "acked", "delta"),
    [
        pytest.param({}, {D1: {"rate": Decimal(1)}}, {}, id="nothing desired"),
        pytest.param(
            {D1: {"rate": Decimal("333"), "stop_sell": False}},
            {},
            {D1: {"rate": Decimal("333"), "stop_sell": False}},
            id="never acked",
        ),
        pytest.param(
            {D1: {"rate": Decimal("333.00"), "stop_sell": False}},
            {D1: {"rate": Decimal("333"), "stop_sell": False}},
            {},
            id="equal values, different Decimal exponents",
        ),
        pytest.param(
            {D1: {"rate": Decimal("333"), "stop_sell": True}},
            {D1: {"rate": Decimal("333"), "stop_sell": False}},
            {D1: {"stop_sell": True}},
            id="only the changed field",
        ),
        pytest.param(
            {D1: {"rate": Decimal("333")}},
            {D1: {"rate": Decimal("333"), "min_stay_arrival": 3}},
            {},
            id="unmanaged field in acked is never sent",
        ),
        pytest.param(
            {D1: {"rate": Decimal("333"), "max_stay": 0}, D2: {"max_stay": 4}},
            {D1: {"rate": Decimal("333")}, D2: {"max_stay": 4}},
            {D1: {"max_stay": 0}},
            id="absent in acked differs, unchanged cell omitted",
        ),
        pytest.param(
            {D1: {"closed_to_arrival": True}},
            {D1: {"closed_to_arrival": 1}},
            {},
            id="bool compared by meaning",
        ),
    ],
)
def test_diff_cells(desired: Cells, acked: Cells, delta: Cells) -> None:
    assert outbox_rules.diff_cells(desired, acked) == delta


K1: FieldKey = ("rp", "2026-11-21", "rate")
K2: FieldKey = ("rp", "2026-11-22", "rate")


def row(
    value: str, *, in_flight: bool = False, dead: bool = False, full: bool = False
) -> OutboxRow:
    return OutboxRow(value=value, in_flight=in_flight, dead=dead, full_sync=full)


@pytest.mark.parametrize(
    ("text", "current", "acked", "full_sync", "plan"),
    [
        pytest.param("1", None, None, False, WritePlan(inserts={K1: "1"}), id="new field"),
        pytest.param("1", None, "1", False, WritePlan(), id="already held: nothing"),
        pytest.param("1", None, "1", True, WritePlan(inserts={K1: "1"}), id="full sync sends it"),
        pytest.param("2", row("1"), "0", False, WritePlan(replaces={K1: "2"}), id="last wins"),
        pytest.param("0", row("1"), "0", False, WritePlan(deletes=(K1,)), id="reverted: deleted"),
        pytest.param("1", row("1"), None, False, WritePlan(), id="same pending value"),
        pytest.param("1", row("1"), None, True, WritePlan(flags=(K1,)), id="same, now full sync"),
        pytest.param("1", row("1", full=True), None, True, WritePlan(), id="already flagged"),
        pytest.param(
            "0",
            row("1", in_flight=True),
            "0",
            False,
            WritePlan(replaces={K1: "0"}),
            id="in flight and reverted: replaced, never deleted",
        ),
        pytest.param("1", row("1", in_flight=True), None, True, WritePlan(), id="in flight, same"),
        pytest.param(
            "1", row("1", dead=True), None, False, WritePlan(), id="dead, same: kept dead"
        ),
        pytest.param(
            "2", row("1", dead=True), None, False, WritePlan(revives={K1: "2"}), id="dead, changed"
        ),
        pytest.param(
            "1", row("1", dead=True), None, True, WritePlan(revives={K1: "1"}), id="dead, full sync"
        ),
        pytest.param(
            "0", row("1", dead=True), "0", False, WritePlan(deletes=(K1,)), id="dead, held"
        ),
    ],
)
def test_plan_enqueue(
    text: str, current: OutboxRow | None, acked: str | None, full_sync: bool, plan: WritePlan
) -> None:
    rows = {} if current is None else {K1: current}
    held = {} if acked is None else {K1: acked}
    assert outbox_rules.plan_enqueue({K1: text}, rows, held, full_sync=full_sync) == plan


@pytest.mark.parametrize(
    ("current", "acked", "force", "plan"),
    [
        pytest.param(None, "5", False, WritePlan(), id="acked value: nothing"),
        pytest.param(None, "5", True, WritePlan(inserts={K1: "5"}), id="forced: sent"),
        pytest.param(row("5", dead=True), "4", False, WritePlan(), id="refused value not resent"),
        pytest.param(row("5", dead=True), "4", True, WritePlan(revives={K1: "5"}), id="forced"),
        pytest.param(row("6"), "5", False, WritePlan(deletes=(K1,)), id="pending undone"),
        pytest.param(row("5"), "4", False, WritePlan(), id="already pending"),
    ],
)
def test_plan_diff_writes_what_differs_from_the_effective_value(
    current: OutboxRow | None, acked: str, force: bool, plan: WritePlan
) -> None:
    rows = {} if current is None else {K1: current}
    got = outbox_rules.plan_diff({K1: "5"}, rows, {K1: acked}, force=force, full_sync=force)
    assert got == plan


def test_within_days_keeps_the_range_inclusive() -> None:
    texts = {K1: "1", K2: "2", ("rp", "2026-11-23", "rate"): "3"}
    got = outbox_rules.within_days(texts, date(2026, 11, 22), date(2026, 11, 23))
    assert got == {K2: "2", ("rp", "2026-11-23", "rate"): "3"}


def test_field_texts_and_cells_from_texts_round_trip() -> None:
    cells: Cells = {
        CellKey("rp", date(2026, 11, 21)): {"rate": Decimal("333.00"), "stop_sell": True}
    }
    texts = outbox_rules.field_texts(cells)
    assert texts == {K1: "333", ("rp", "2026-11-21", "stop_sell"): "true"}
    assert outbox_rules.cells_from_texts(texts) == cells


# ----------------------------------------------------------------------- properties

ALL_KEYS = [("rp", f"2026-11-2{d}", name) for d in range(3) for name in ("rate", "max_stay")]
KEYS = st.sampled_from(ALL_KEYS)
TEXTS = st.sampled_from(["0", "1", "2"])
ROWS = st.builds(row, TEXTS, in_flight=st.booleans(), dead=st.booleans(), full=st.booleans())


def apply(rows: dict[FieldKey, OutboxRow], plan: WritePlan, *, full_sync: bool) -> None:
    """A model of a backend carrying out a plan (no push in between)."""
    for key, text in plan.inserts.items():
        rows[key] = row(text, full=full_sync)
    for key, text in plan.replaces.items():
        rows[key] = row(text, full=rows[key].full_sync or full_sync)
    for key, text in plan.revives.items():
        rows[key] = row(text, full=full_sync)
    for key in plan.flags:
        rows[key] = row(rows[key].value, full=True)
    for key in plan.deletes:
        del rows[key]


@given(
    acked=st.fixed_dictionaries(dict.fromkeys(ALL_KEYS, TEXTS)),
    changes=st.lists(st.dictionaries(KEYS, TEXTS, min_size=1), min_size=1, max_size=5),
)
def test_change_then_revert_leaves_nothing_to_send(
    acked: dict[FieldKey, str], changes: list[dict[FieldKey, str]]
) -> None:
    """Any run of changes, then every field back to what Channex holds: no row is left."""
    rows: dict[FieldKey, OutboxRow] = {}
    for texts in changes:
        apply(rows, outbox_rules.plan_enqueue(texts, rows, acked, full_sync=False), full_sync=False)
    revert = {key: acked[key] for texts in changes for key in texts}
    apply(rows, outbox_rules.plan_enqueue(revert, rows, acked, full_sync=False), full_sync=False)
    assert rows == {}


@given(
    texts=st.dictionaries(KEYS, TEXTS),
    rows=st.dictionaries(KEYS, ROWS),
    acked=st.dictionaries(KEYS, TEXTS),
    full_sync=st.booleans(),
    keep_equal=st.booleans(),
)
def test_in_flight_rows_are_never_deleted_and_dead_rows_revive_only_on_a_change_or_full_sync(
    texts: dict[FieldKey, str],
    rows: dict[FieldKey, OutboxRow],
    acked: dict[FieldKey, str],
    full_sync: bool,
    keep_equal: bool,
) -> None:
    plan = outbox_rules.plan_writes(texts, rows, acked, full_sync=full_sync, keep_equal=keep_equal)
    assert not any(rows[key].in_flight for key in plan.deletes)
    for key, text in plan.revives.items():
        assert rows[key].dead and not rows[key].in_flight
        assert keep_equal or text != rows[key].value
    assert set(plan.inserts).isdisjoint(rows)
    written = [*plan.inserts, *plan.replaces, *plan.revives, *plan.flags, *plan.deletes]
    assert len(written) == len(set(written)) and set(written) <= set(texts)


@given(
    texts=st.dictionaries(KEYS, TEXTS),
    rows=st.dictionaries(KEYS, ROWS),
    acked=st.dictionaries(KEYS, TEXTS),
)
def test_a_diff_never_writes_a_field_already_effective(
    texts: dict[FieldKey, str], rows: dict[FieldKey, OutboxRow], acked: dict[FieldKey, str]
) -> None:
    plan = outbox_rules.plan_diff(texts, rows, acked, force=False, full_sync=False)
    effective = {**acked, **{key: r.value for key, r in rows.items()}}
    same = {key for key, text in texts.items() if effective.get(key) == text}
    written = {*plan.inserts, *plan.replaces, *plan.revives, *plan.flags, *plan.deletes}
    assert written.isdisjoint(same)
