"""Rate-limit and back-off decisions, as pure functions of times and counts.

Channex allows 10 `/availability` and 10 `/restrictions` calls per minute per property and
answers more with 429 (contract §4). The window type is undocumented, so the limiter is a
sliding log: a call may go out only if no window of `window_s` seconds would then hold more
than `limit` calls. Unlike a token bucket that starts full (10 at once, then one every 6 s:
19 calls in the first minute), a sliding log never exceeds the limit under either a fixed or a
sliding window at the server.

Windows are half-open: a call at `t` and one at `t + window_s` are not in the same window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

WINDOW_S = 60.0
PAUSE_STEPS_S = (60, 120, 240, 480, 600)  # 429: 60 s, then 120, 240, 480, capped at 600 s
RETRY_BASE_S = 5.0
RETRY_CAP_S = 300.0
JITTER_FRACTION = 0.2  # a jittered retry delay is stretched by up to 20 %
MAX_DOUBLINGS = 60


def next_slot(
    sent_at: Sequence[datetime], now: datetime, *, limit: int, window_s: float = WINDOW_S
) -> datetime:
    """The earliest instant >= `now` at which one more call keeps every window within `limit`.

    `sent_at` are the recorded calls of one lane, in any order; calls that left more than
    `window_s` before `now` no longer matter.
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    window = timedelta(seconds=window_s)
    recent = sorted(t for t in sent_at if t > now - window)
    if len(recent) < limit:
        return now
    # The call `limit` places back must leave the window before another may go.
    return max(now, recent[-limit] + window)


def pause_after_429(
    pause_count: int, retry_after_s: float | None, *, window_s: float = WINDOW_S
) -> float:
    """Seconds to pause a lane after its `pause_count`-th consecutive 429 (1 = the first).

    60, 120, 240, 480, then 600 s for every later one; never shorter than Retry-After. The
    steps are window × (1, 2, 4, 8, 10): a shorter `window_s` (CHANNEX_RATE_WINDOW, used to
    time-compress chaos runs) shrinks them in proportion.
    """
    step = PAUSE_STEPS_S[min(max(pause_count, 1), len(PAUSE_STEPS_S)) - 1] * window_s / WINDOW_S
    if retry_after_s is None:
        return float(step)
    return max(float(step), retry_after_s)


def retry_delay_s(
    failures: int,
    *,
    base_s: float = RETRY_BASE_S,
    cap_s: float = RETRY_CAP_S,
    jitter: Callable[[], float] | None = None,
) -> float:
    """Back-off after the `failures`-th consecutive transient failure (1 = the first).

    `base_s` doubled per earlier failure (5, 10, 20, ...) and capped at `cap_s`. With `jitter`
    (returning a number in [0, 1), e.g. `random.random`) the delay is stretched by up to
    `JITTER_FRACTION` so that lanes which failed together do not retry together; the cap holds.
    """
    doublings = min(max(failures, 1) - 1, MAX_DOUBLINGS)
    delay = min(cap_s, base_s * float(2**doublings))
    if jitter is not None:
        delay = min(cap_s, delay * (1 + JITTER_FRACTION * jitter()))
    return delay
