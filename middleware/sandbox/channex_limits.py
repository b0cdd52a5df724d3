"""Channex's ARI rate limit as the emulator enforces it: a sliding window per (property, path).

A call at time t counts every accepted call in (t - window_s, t]; the (limit+1)-th is refused.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

Key = tuple[str, str]  # (property_id, path)


class SlidingWindowLimiter:
    def __init__(self, *, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._accepted: dict[Key, deque[float]] = {}

    def admit(self, keys: Iterable[Key], now: float) -> bool:
        """Record the call under every key if all have room; refuse it (record nothing) if not."""
        windows = [self._window(key, now) for key in set(keys)]
        if any(len(window) >= self.limit for window in windows):
            return False
        for window in windows:
            window.append(now)
        return True

    def _window(self, key: Key, now: float) -> deque[float]:
        window = self._accepted.setdefault(key, deque())
        while window and window[0] <= now - self.window_s:
            window.popleft()
        return window

    def reset(self) -> None:
        self._accepted.clear()


def max_calls_in_window(times: Sequence[float], window_s: float) -> int:
    """The most calls that fell inside any window of `window_s` seconds (same rule as above)."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best
