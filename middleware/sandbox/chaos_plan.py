"""A chaos run's faults, chosen by its seed: background Channex faults plus timed episodes.

`make_plan(seed, ...)` is pure: the same seed (and the same timeouts and run length) gives the
same plan, so a failing seed is rerun with `scripts/chaos.py --seeds 1 --start <seed>`.

- Background, for the whole run: the Channex emulator's `FaultPlan` (random 429 / 5xx / slow
  answers past the middleware's timeout / partially rejected ARI pushes / duplicated,
  reordered and dropped webhooks), each switched on or off by the seed.
- Episodes, at seeded moments, one track per thing they disturb so two never overlap on it:
  Channex answering only 429 (a streak) or only 500 for a while; sistema-os down, flaky
  (5xx and answers slower than the middleware waits) or losing the reply to committed booking
  creations; `kill -9` of a worker or of a web process, restarted after a pause (which one of
  several is the episode's `victim`).
- With `drift=True` (the reconciliation variant), Channex drifting from the PMS by itself as
  well: pushes answered 200 but applied partly (`p_partial`) and edits in the Channex UI
  (`chaos_channex_edits`), some announced by the `ari` webhook and some not. Drawn from their
  own random streams, so a seed's other faults are the same with or without them.
- With `postgres=True` (several processes on one PostgreSQL store), also: `kill -9` of any
  process, web or worker (`kill_any`), and the database server stopped — cleanly (`fast`) or
  as a crash (`immediate`) — and started again after a while (`database_down`). From a stream
  of their own too, so the seed's other faults are those of its SQLite run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from random import Random
from typing import Literal

from middleware.sandbox.chaos_channex_edits import UiEdit, make_ui_edits
from middleware.sandbox.faults import FaultPlan
from middleware.sandbox.pms_faults import PmsFaultPlan

EpisodeKind = Literal[
    "channex_429_streak",
    "channex_5xx_streak",
    "pms_down",
    "pms_flaky",
    "pms_lost_replies",
    "kill_worker",
    "kill_web",
    "kill_any",
    "database_down",
]
Track = Literal["channex", "pms", "worker", "web", "any", "database"]
StopMode = Literal["fast", "immediate"]

# kind → (track, chance the seed picks it, most occurrences, shortest and longest duration s)
EPISODES: dict[EpisodeKind, tuple[Track, float, int, float, float]] = {
    "channex_429_streak": ("channex", 0.5, 2, 1.0, 4.0),
    "channex_5xx_streak": ("channex", 0.3, 2, 1.0, 4.0),
    "pms_down": ("pms", 0.5, 2, 2.0, 6.0),
    "pms_flaky": ("pms", 0.4, 1, 3.0, 8.0),
    "pms_lost_replies": ("pms", 0.4, 1, 4.0, 8.0),
    "kill_worker": ("worker", 0.6, 2, 0.5, 3.0),  # duration = how long it stays dead
    "kill_web": ("web", 0.5, 2, 0.5, 4.0),
}
# The PostgreSQL variant's own episodes: each seed has some of both.
POSTGRES_EPISODES: dict[EpisodeKind, tuple[Track, float, int, float, float]] = {
    "kill_any": ("any", 1.0, 3, 0.5, 3.0),
    "database_down": ("database", 1.0, 2, 0.5, 4.0),
}
STOP_MODES: tuple[StopMode, ...] = ("fast", "immediate")
VICTIMS = 1000  # an episode's victim number; the process is number % how many there are
EARLIEST = 0.05  # episodes start within this share of the run ...
LATEST = 0.8  # ... and this one
GAP_S = 1.0  # at least this long between two episodes on one track
# background Channex faults, by their FaultPlan name without "p_"
BACKGROUND = (
    "429",
    "5xx",
    "slow",
    "warning",
    "duplicate_webhook",
    "reorder_webhook",
    "drop_webhook",
    "partial",
)
PARTIAL_CHOICES = (0.1, 0.2, 0.3)  # the drift variant's share of partly applied pushes


@dataclass(frozen=True, slots=True, kw_only=True)
class Episode:
    kind: EpisodeKind
    at_s: float  # from the start of the workload
    duration_s: float
    pms_faults: PmsFaultPlan | None = None  # for the sistema-os episodes
    victim: int = 0  # kills: which process (modulo how many can be picked)
    stop_mode: StopMode | None = None  # database_down: how the server is stopped

    @property
    def end_s(self) -> float:
        return self.at_s + self.duration_s


@dataclass(frozen=True, slots=True, kw_only=True)
class ChaosPlan:
    seed: int
    channex: FaultPlan  # background faults for the whole workload
    episodes: tuple[Episode, ...]  # by start time
    ui_edits: tuple[UiEdit, ...] = ()  # by time (the drift variant only)

    def kinds(self) -> frozenset[str]:
        """Every fault kind the plan can inject (episodes, background faults switched on, and
        UI edits with and without their webhook)."""
        background = {name for name in BACKGROUND if getattr(self.channex, f"p_{name}") > 0}
        edits = {"ui_edit" if e.announced else "ui_edit_unannounced" for e in self.ui_edits}
        return frozenset({e.kind for e in self.episodes} | background | edits)

    def streak(self, kind: EpisodeKind) -> FaultPlan:
        """The Channex plan during a 429 or 5xx streak: every API call answers that."""
        if kind == "channex_429_streak":
            return replace(self.channex, p_429=1.0)
        return replace(self.channex, p_5xx=1.0)


def make_plan(
    seed: int,
    *,
    duration_s: float,
    channex_timeout_s: float,
    pms_timeout_s: float,
    drift: bool = False,
    postgres: bool = False,
) -> ChaosPlan:
    rng = Random(f"chaos-faults:{seed}")
    channex = FaultPlan(
        seed,
        p_429=rng.choice((0.0, 0.0, 0.03)),
        p_5xx=rng.choice((0.0, 0.03, 0.08)),
        p_slow=rng.choice((0.0, 0.02, 0.05)),
        slow_s=channex_timeout_s + 0.5,
        p_warning=rng.choice((0.0, 0.0, 0.05)),
        p_duplicate_webhook=rng.choice((0.0, 0.1, 0.3)),
        p_reorder_webhook=rng.choice((0.0, 0.1, 0.3)),
        p_drop_webhook=rng.choice((0.0, 0.1, 0.25)),
    )
    episodes = _episodes(EPISODES, rng, seed, duration_s, pms_timeout_s)
    if postgres:
        extra = Random(f"chaos-postgres:{seed}")
        episodes += _episodes(POSTGRES_EPISODES, extra, seed, duration_s, pms_timeout_s)
    victims = Random(f"chaos-victims:{seed}")
    episodes = [
        replace(
            e,
            victim=victims.randrange(VICTIMS),
            stop_mode=victims.choice(STOP_MODES) if e.kind == "database_down" else None,
        )
        for e in episodes
    ]
    episodes.sort(key=lambda e: (e.at_s, e.kind))
    if not drift:
        return ChaosPlan(seed=seed, channex=channex, episodes=tuple(episodes))
    partial = Random(f"chaos-partial:{seed}").choice(PARTIAL_CHOICES)
    return ChaosPlan(
        seed=seed,
        channex=replace(channex, p_partial=partial),
        episodes=tuple(episodes),
        ui_edits=make_ui_edits(seed, duration_s=duration_s),
    )


def _episodes(
    table: dict[EpisodeKind, tuple[Track, float, int, float, float]],
    rng: Random,
    seed: int,
    duration_s: float,
    pms_timeout_s: float,
) -> list[Episode]:
    """The seed's episodes of `table`, each track's spaced apart (`GAP_S`)."""
    wanted: dict[Track, list[tuple[EpisodeKind, float]]] = {}
    for kind, (track, chance, most, shortest, longest) in table.items():
        if rng.random() < chance:
            for _ in range(rng.randint(1, most)):
                wanted.setdefault(track, []).append((kind, rng.uniform(shortest, longest)))
    episodes: list[Episode] = []
    for track in sorted(wanted):
        items = wanted[track]
        rng.shuffle(items)
        starts = sorted(rng.uniform(EARLIEST, LATEST) * duration_s for _ in items)
        free_at = 0.0
        for (kind, length), start in zip(items, starts, strict=True):
            at_s = max(start, free_at)
            episodes.append(
                Episode(
                    kind=kind,
                    at_s=round(at_s, 2),
                    duration_s=round(length, 2),
                    pms_faults=_pms_plan(kind, rng, seed, pms_timeout_s),
                )
            )
            free_at = at_s + length + GAP_S
    return episodes


def _pms_plan(kind: EpisodeKind, rng: Random, seed: int, timeout_s: float) -> PmsFaultPlan | None:
    if kind == "pms_down":
        return PmsFaultPlan(seed, down=True)
    if kind == "pms_flaky":
        return PmsFaultPlan(seed, p_5xx=0.3, p_slow=0.1, slow_s=timeout_s + 0.5)
    if kind == "pms_lost_replies":
        stall_s = rng.choice((0.0, timeout_s + 0.5))  # 500 after the commit, or a late reply
        return PmsFaultPlan(seed, fail_after_commit=rng.randint(1, 3), commit_stall_s=stall_s)
    return None
