"""Seeded faults for the sistema-os emulator: outages, random 5xx, slow answers, lost replies.

A `PmsFaultPlan` is configuration; a `FaultRunner` applies one to a stream of API calls. The
same seed and the same sequence of calls give the same faults, so a chaos test reproduces.
`fail_after_commit` makes the next N booking creations commit and then answer 500 (or, with
`commit_stall_s`, answer only after that many seconds — past the client's timeout): the
middleware's retry with the same `Idempotency-Key` must not create a second booking.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

DOWN_STATUS = 503
FAULT_STATUSES = (500, 502, 503)
COMMIT_FAILURE_STATUS = 500


@dataclass(frozen=True, slots=True)
class PmsFaultPlan:
    seed: int
    p_5xx: float = 0.0
    p_slow: float = 0.0
    slow_s: float = 0.0
    down: bool = False
    fail_after_commit: int = 0
    commit_stall_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("p_5xx", "p_slow"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        if self.slow_s < 0 or self.commit_stall_s < 0 or self.fail_after_commit < 0:
            raise ValueError("slow_s, commit_stall_s and fail_after_commit must be >= 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultDecision:
    """What to do to one call: wait `delay_s`, then answer `status` instead (None = serve it)."""

    status: int | None = None
    delay_s: float = 0.0


SERVE = FaultDecision()


class FaultRunner:
    def __init__(self, plan: PmsFaultPlan) -> None:
        self.plan = plan
        self._rng = random.Random(plan.seed)
        self._commit_failures_left = plan.fail_after_commit

    def before_call(self) -> FaultDecision:
        """Decide one API call's fate; two draws per call whatever the plan, for reproducibility."""
        fail_draw, slow_draw = self._rng.random(), self._rng.random()
        status_draw = self._rng.choice(FAULT_STATUSES)
        if self.plan.down:
            return FaultDecision(status=DOWN_STATUS)
        delay_s = self.plan.slow_s if slow_draw < self.plan.p_slow else 0.0
        status = status_draw if fail_draw < self.plan.p_5xx else None
        return FaultDecision(status=status, delay_s=delay_s)

    def after_commit(self) -> FaultDecision:
        """After a booking was created: lose the reply while `fail_after_commit` lasts."""
        if self._commit_failures_left <= 0:
            return SERVE
        self._commit_failures_left -= 1
        if self.plan.commit_stall_s > 0:
            return FaultDecision(delay_s=self.plan.commit_stall_s)
        return FaultDecision(status=COMMIT_FAILURE_STATUS)


def plan_from_json(doc: Any) -> PmsFaultPlan | None:
    """A plan from a control request body; `null` or `{}` turns faults off."""
    if doc is None or doc == {}:
        return None
    if not isinstance(doc, dict):
        raise ValueError("expected a JSON object of PmsFaultPlan fields")
    known = set(PmsFaultPlan.__dataclass_fields__)
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ValueError(f"unknown fault fields {unknown}")
    if "seed" not in doc:
        raise ValueError("seed is required")
    return PmsFaultPlan(**doc)


def plan_json(plan: PmsFaultPlan | None) -> dict[str, Any] | None:
    return None if plan is None else asdict(plan)
