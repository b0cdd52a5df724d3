"""Per-lane send control: the persisted rate-limit log, the 429 pause and the retry backoff.

A lane is one property's `/availability` or `/restrictions` endpoint. `reserve_call` is the
only way a call may go out; its log lives in `rate_calls`, so a restart (or a second worker)
does not start with a fresh allowance. The functions taking a connection run inside the
caller's transaction (`outbox.complete` / `fail` / `reject` record the lane's outcome with the
rows' outcome).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from middleware.domain.models import Lane
from middleware.ratelimit import WINDOW_S


@dataclass(frozen=True, slots=True, kw_only=True)
class LaneState:
    lane: Lane
    failures: int
    next_attempt_at: datetime | None
    pause_count: int
    paused_until: datetime | None
    last_push_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    calls_in_window: int


class Lanes(Protocol):
    """The lanes operations a store backend provides."""

    async def reserve_call(
        self, lane: Lane, now: datetime, *, limit: int, window_s: float = WINDOW_S
    ) -> datetime | None:
        """Take a call slot: None if a call may go now (and it is recorded at `now`), else the
        earliest time one may (nothing recorded)."""

    async def reserve_read(
        self,
        lane: Lane,
        now: datetime,
        *,
        limit: int,
        own_limit: int = 0,
        window_s: float = WINDOW_S,
    ) -> bool:
        """Take a slot for an ARI read-back (GET) of the lane; False: not now.

        With `own_limit` (> 0) reads have a budget of their own, logged apart from pushes. Without,
        a read takes a slot of the push limit, pushes first: only while the lane has nothing to
        push, is not paused, and keeps at least half its slots free after the read — so a read
        never stands in the way of a push that is waiting or about to be.
        """

    async def call_answered(self, lane: Lane, reserved_at: datetime, now: datetime) -> None:
        """The call reserved at `reserved_at` has its answer (or gave up) at `now`: log it at `now`.

        Channex counts a call when it arrives, somewhere between the two. Logged at the reservation,
        a slow call (a big claim to encode, a slow network) could arrive later than the log says,
        and the call 10 places after it — sent exactly a window after the logged time — would land
        inside Channex's window and be refused. The answer time is never earlier than the arrival.
        """

    async def pause(
        self,
        lane: Lane,
        now: datetime,
        *,
        retry_after_s: float | None,
        window_s: float = WINDOW_S,
    ) -> datetime:
        """After a 429: hold the lane 60, 120, 240, 480, then 600 s (or Retry-After if longer);
        scaled by `window_s` / 60 (see `ratelimit.pause_after_429`)."""

    async def clean_push(self, lane: Lane, now: datetime) -> None:
        """A push went through: the next 429 starts the pause ladder from 60 s again."""

    async def states(self, now: datetime, *, window_s: float = WINDOW_S) -> list[LaneState]:
        """Every lane that has a state row or recent calls, ordered by property and kind."""

    async def get(
        self, lane: Lane, now: datetime, *, window_s: float = WINDOW_S
    ) -> LaneState | None: ...
