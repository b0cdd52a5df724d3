"""When a booking counts as finished, and why a revision of a forgotten one is parked."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from middleware.domain.attention import ParkReason, describe_park
from middleware.domain.booking_plan import Problem
from middleware.domain.retention import Cutoffs, Tombstone, cutoffs, late_revision

FORGOTTEN = Tombstone(
    channex_booking_id="bk-1",
    property_id="prop-1",
    ota_code="BDC-9996013801",
    departure=date(2026, 12, 13),
    forgotten_at=datetime(2027, 3, 14, 3, 0, tzinfo=UTC),
    last_revision_id="rev-3",
)


@pytest.mark.parametrize(
    ("now", "keep_days", "expected"),
    [
        (
            datetime(2027, 6, 1, 12, 0, tzinfo=UTC),
            90,
            Cutoffs(
                departed_before=date(2027, 3, 2),  # 91 days: a day for the hotel's timezone
                idle_since=datetime(2027, 3, 3, 12, 0, tzinfo=UTC),
            ),
        ),
        (
            datetime(2027, 1, 2, 0, 30, tzinfo=UTC),
            1,
            Cutoffs(
                departed_before=date(2026, 12, 31),
                idle_since=datetime(2027, 1, 1, 0, 30, tzinfo=UTC),
            ),
        ),
    ],
)
def test_cutoffs(now: datetime, keep_days: int, expected: Cutoffs) -> None:
    assert cutoffs(now, keep_days) == expected


def test_no_cutoffs_without_retention() -> None:
    with pytest.raises(ValueError, match="keep_days"):
        cutoffs(datetime(2027, 1, 1, tzinfo=UTC), 0)


@pytest.mark.parametrize(
    ("revision_id", "seen"),
    [("rev-4", "this revision is new"), ("rev-3", "this revision was seen before it")],
)
def test_a_late_revision_is_a_typed_problem(revision_id: str, seen: str) -> None:
    assert late_revision(FORGOTTEN, revision_id) == Problem(
        reason=ParkReason.BOOKING_FORGOTTEN,
        text="booking bk-1 was forgotten on 2027-03-14 (departure 2026-12-13, last revision"
        f" seen rev-3); {seen}: not applied",
        details=(("departure", "2026-12-13"), ("forgotten_at", "2027-03-14")),
    )


def test_its_words_name_the_departure_and_the_day_it_was_forgotten() -> None:
    problem = late_revision(FORGOTTEN, "rev-4")
    words = describe_park(problem.reason, dict(problem.details))
    assert words.title == "A change for a booking already forgotten"
    assert "ended 2026-12-13" in words.explanation
    assert "removed its records on 2027-03-14" in words.explanation
    assert words.next_step.endswith("Replaying cannot help: it parks again.")


def test_an_unknown_departure_reads_as_such() -> None:
    unknown = Tombstone(
        channex_booking_id="bk-2",
        property_id=None,
        ota_code=None,
        departure=None,
        forgotten_at=datetime(2027, 3, 14, tzinfo=UTC),
        last_revision_id=None,
    )
    problem = late_revision(unknown, "rev-1")
    assert dict(problem.details)["departure"] == "an unknown date"
    assert "last revision seen none" in problem.text
