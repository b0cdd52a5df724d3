"""Slowing down repeated wrong sign-in tokens.

Failures are counted per client address and for everybody together over `WINDOW_S`. The
first `FREE_TRIES` cost nothing; after that each attempt from the address waits 1, 2, 4 …
up to `MAX_DELAY_S` seconds before it is even checked (`GLOBAL_FREE_TRIES` for the total, so
many addresses cannot share the work). A success clears the address.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WINDOW_S = 900.0
FREE_TRIES = 3
GLOBAL_FREE_TRIES = 30
MAX_DELAY_S = 30.0
MAX_KEYS = 10_000
EVERYONE = "*"


class SignInThrottle:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < WINDOW_S]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def delay_s(self, client: str) -> float:
        """How long an attempt from `client` waits before it is checked."""
        now = self._clock()
        own = len(self._recent(client, now)) - FREE_TRIES
        everyone = len(self._recent(EVERYONE, now)) - GLOBAL_FREE_TRIES
        worst = max(own, everyone)
        return 0.0 if worst < 0 else min(2.0**worst, MAX_DELAY_S)

    def failed(self, client: str) -> None:
        now = self._clock()
        if len(self._failures) >= MAX_KEYS:
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]
        for key in (client, EVERYONE):
            self._failures.setdefault(key, []).append(now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)
