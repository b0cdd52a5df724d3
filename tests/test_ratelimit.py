"""Rate-limit decisions: the sliding log, the 429 pause ladder, the 5xx back-off."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from middleware.ratelimit import next_slot, pause_after_429, retry_delay_s

T0 = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("sent_s", "now_s", "limit", "expected_s"),
    [
        ([], 0, 10, 0),  # nothing sent: go now
        ([0, 1, 2], 3, 3, 60),  # full: the oldest of the last three leaves at 60
        ([0, 1, 2], 3, 4, 3),  # room for one more
        ([2, 0, 1], 3, 3, 60),  # order of the log does not matter
        ([0, 1, 2], 59.5, 3, 60),
        ([0, 1, 2], 60, 3, 60),  # windows are half-open: 0 and 60 never share one
        ([0, 1, 2], 75, 3, 75),  # the window already moved on
        ([-100, -90, 10], 20, 2, 20),  # calls older than the window don't count
        ([0, 5, 10, 15], 16, 2, 70),  # the 2nd most recent (10) sets the slot
        ([0], 0, 1, 60),
    ],
)
def test_next_slot_table(sent_s: list[float], now_s: float, limit: int, expected_s: float) -> None:
    assert next_slot([at(s) for s in sent_s], at(now_s), limit=limit) == at(expected_s)


def test_next_slot_honours_window_length() -> None:
    assert next_slot([at(0), at(1)], at(2), limit=2, window_s=10) == at(10)


def test_next_slot_rejects_a_zero_limit() -> None:
    with pytest.raises(ValueError, match="limit must be >= 1"):
        next_slot([], T0, limit=0)


def send_all(attempts_s: list[float], limit: int) -> list[datetime]:
    """Make each call at max(attempt, next_slot(...)), as a queue in front of the API does."""
    sent: list[datetime] = []
    clock = T0
    for offset in sorted(attempts_s):
        clock = max(clock, at(offset))
        clock = next_slot(sent, clock, limit=limit)
        sent.append(clock)
    return sent


def max_in_any_window(sent: list[datetime], window_s: float = 60.0) -> int:
    """The most calls in any half-open window [start, start + window_s)."""
    # A busiest window can always be slid to start at one of the calls.
    width = timedelta(seconds=window_s)
    return max((sum(1 for t in sent if s <= t < s + width) for s in sent), default=0)


def test_a_burst_never_gets_19_calls_into_the_first_minute() -> None:
    """The classic token-bucket-starts-full failure: 10 at once, then one every 6 s."""
    sent = send_all([0.0] * 30, limit=10)
    first_minute = [t for t in sent if t < at(60)]
    assert len(first_minute) == 10
    assert sent[10] == at(60)
    assert max_in_any_window(sent) == 10


@settings(max_examples=300, deadline=None)
@given(
    attempts=st.lists(st.floats(min_value=0, max_value=400, allow_nan=False), max_size=60),
    limit=st.integers(min_value=1, max_value=12),
)
def test_no_window_ever_holds_more_than_limit(attempts: list[float], limit: int) -> None:
    sent = send_all(attempts, limit)
    assert len(sent) == len(attempts)
    assert max_in_any_window(sent) <= limit


@settings(max_examples=200, deadline=None)
@given(
    attempts=st.lists(st.floats(min_value=0, max_value=400, allow_nan=False), max_size=40),
    limit=st.integers(min_value=1, max_value=12),
)
def test_slots_are_never_later_than_needed(attempts: list[float], limit: int) -> None:
    """A delayed call goes exactly when the call `limit` places back leaves the window."""
    sent = send_all(attempts, limit)
    for index, (offset, went) in enumerate(zip(sorted(attempts), sent, strict=True)):
        if went > at(offset) and index > 0 and went > sent[index - 1]:
            assert went == sent[index - limit] + timedelta(seconds=60)


@pytest.mark.parametrize(
    ("pause_count", "retry_after_s", "expected"),
    [
        (1, None, 60.0),
        (2, None, 120.0),
        (3, None, 240.0),
        (4, None, 480.0),
        (5, None, 600.0),
        (6, None, 600.0),
        (40, None, 600.0),
        (0, None, 60.0),  # defensive: treated as the first
        (1, 90.0, 90.0),  # Retry-After longer than the step wins
        (3, 30.0, 240.0),  # shorter does not shorten the pause
        (5, 900.0, 900.0),
    ],
)
def test_pause_after_429(pause_count: int, retry_after_s: float | None, expected: float) -> None:
    assert pause_after_429(pause_count, retry_after_s) == expected


def test_pause_after_429_scales_with_the_rate_window() -> None:
    """CHANNEX_RATE_WINDOW=6 (a time-compressed run): the ladder is 6, 12, 24, 48, 60 s."""
    ladder = [pause_after_429(n, None, window_s=6.0) for n in range(1, 7)]
    assert ladder == [6.0, 12.0, 24.0, 48.0, 60.0, 60.0]
    assert pause_after_429(1, 30.0, window_s=6.0) == 30.0  # Retry-After still wins


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, 5.0), (1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (6, 160.0), (7, 300.0), (500, 300.0)],
)
def test_retry_delay_doubles_and_caps(failures: int, expected: float) -> None:
    assert retry_delay_s(failures) == expected


def test_retry_delay_custom_base_and_cap() -> None:
    assert [retry_delay_s(n, base_s=1.0, cap_s=3.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 3.0, 3.0]


def test_retry_delay_jitter_stretches_up_to_a_fifth_below_the_cap() -> None:
    assert retry_delay_s(2, jitter=lambda: 0.5) == pytest.approx(11.0)
    assert retry_delay_s(2, jitter=lambda: 0.0) == 10.0
    assert retry_delay_s(7, jitter=lambda: 0.99) == 300.0
