"""Seeded fault injection for the sandbox emulators: same seed and same calls → same faults.

Off by default. An emulator asks its `FaultInjector` once per API call (`api_call`), once per
webhook delivery (`webhook_delivery`) and once per ARI write (`rejection_index`, then
`silent_drop_index`); the answers depend only on the seed and the order of the questions. A plan
without `p_partial` draws nothing for it, so older seeds keep their fault sequence.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, asdict, dataclass, field
from random import Random
from typing import Any

REORDER_DELAY_S = 0.3  # a "reordered" webhook is held back this long so later ones overtake it


@dataclass(frozen=True, slots=True)
class FaultPlan:
    seed: int
    _: KW_ONLY
    p_429: float = 0.0
    p_5xx: float = 0.0
    p_slow: float = 0.0
    slow_s: float = 0.0
    p_duplicate_webhook: float = 0.0
    p_reorder_webhook: float = 0.0
    p_drop_webhook: float = 0.0
    p_warning: float = 0.0
    p_partial: float = 0.0  # a 200 with one value silently not stored (no warning)
    reorder_delay_s: float = REORDER_DELAY_S

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name.startswith("p_") and not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value!r}")
        if self.slow_s < 0 or self.reorder_delay_s < 0:
            raise ValueError("slow_s and reorder_delay_s must be >= 0")

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FaultPlan:
        """Build from a control-route body; unknown keys or bad values raise ValueError."""
        known = set(cls.__dataclass_fields__) - {"_"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        if not isinstance(raw.get("seed"), int) or isinstance(raw.get("seed"), bool):
            raise ValueError("seed must be an integer")
        values: dict[str, float] = {}
        for name, value in raw.items():
            if name == "seed":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            values[name] = float(value)
        return cls(raw["seed"], **values)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiFault:
    delay_s: float = 0.0
    status: int | None = None  # 429 or 500 to answer instead of the real handler


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookFault:
    drop: bool = False
    copies: int = 1  # 2 = delivered twice
    delay_s: float = 0.0  # > 0 = held back, so later deliveries overtake it


NO_API_FAULT = ApiFault()
NO_WEBHOOK_FAULT = WebhookFault()


@dataclass(slots=True)
class FaultInjector:
    """Answers "should this go wrong?" from a `FaultPlan`; counts and logs what it injected."""

    plan: FaultPlan | None = None
    counts: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)  # injected fault kinds, in order
    _rng: Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = Random(self.plan.seed if self.plan else 0)

    def _roll(self, probabilities: dict[str, float]) -> dict[str, bool]:
        """One draw per kind, always all of them, so later answers don't shift."""
        return {kind: self._rng.random() < p for kind, p in probabilities.items()}

    def _count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.log.append(kind)

    def api_call(self) -> ApiFault:
        plan = self.plan
        if plan is None:
            return NO_API_FAULT
        hits = self._roll({"slow": plan.p_slow, "429": plan.p_429, "5xx": plan.p_5xx})
        status = 429 if hits["429"] else 500 if hits["5xx"] else None
        if hits["slow"]:
            self._count("slow")
        if status is not None:
            self._count("429" if status == 429 else "5xx")
        return ApiFault(delay_s=plan.slow_s if hits["slow"] else 0.0, status=status)

    def webhook_delivery(self) -> WebhookFault:
        plan = self.plan
        if plan is None:
            return NO_WEBHOOK_FAULT
        hits = self._roll(
            {
                "webhook_drop": plan.p_drop_webhook,
                "webhook_duplicate": plan.p_duplicate_webhook,
                "webhook_reorder": plan.p_reorder_webhook,
            }
        )
        drop = hits["webhook_drop"]
        duplicate = not drop and hits["webhook_duplicate"]
        reorder = not drop and hits["webhook_reorder"]
        for kind, hit in (
            ("webhook_drop", drop),
            ("webhook_duplicate", duplicate),
            ("webhook_reorder", reorder),
        ):
            if hit:
                self._count(kind)
        return WebhookFault(
            drop=drop,
            copies=2 if duplicate else 1,
            delay_s=plan.reorder_delay_s if reorder else 0.0,
        )

    def rejection_index(self, count: int) -> int | None:
        """Which of `count` accepted ARI values to reject (partial-rejection fault), if any."""
        plan = self.plan
        if plan is None or count == 0:
            return None
        hit = self._roll({"warning": plan.p_warning})["warning"]
        index = self._rng.randrange(count)
        if not hit:
            return None
        self._count("warning")
        return index

    def silent_drop_index(self, count: int) -> int | None:
        """Which of `count` accepted ARI values to leave unstored while answering 200 with no
        warning (the "partly applied" fault), if any."""
        plan = self.plan
        if plan is None or count == 0 or plan.p_partial == 0.0:
            return None
        hit = self._roll({"partial": plan.p_partial})["partial"]
        index = self._rng.randrange(count)
        if not hit:
            return None
        self._count("partial")
        return index
