"""Chaos on PostgreSQL: 2 web and 3 worker processes on one store, `kill -9` of any of them
at random moments (mid-claim, mid-push, between the PMS's commit and the ack), the database
server stopped cleanly or crashed and started again — and the same oracle: no booking lost
or doubled, every revision acked once, Channex equal to the PMS, no lane above its limit.

Each run starts a PostgreSQL cluster of its own (`middleware/sandbox/pg_cluster.py`): the
test stops and starts that server, so the suite's session cluster is left alone.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from middleware.sandbox.chaos_plan import POSTGRES_EPISODES, ChaosPlan
from scripts import chaos
from tests.chaos.harness import POSTGRES_OPTIONS, POSTGRES_SEEDS, run_ci_seed
from tests.chaos.workload import ci_plan


@pytest.mark.slow
@pytest.mark.parametrize("seed", POSTGRES_SEEDS)
async def test_no_violation_with_several_processes_on_postgresql(seed: int, tmp_path: Path) -> None:
    result = await run_ci_seed(seed, tmp_path, POSTGRES_OPTIONS)
    assert result.violations == (), f"seed {seed}; logs in {tmp_path}"
    assert result.bookings >= POSTGRES_OPTIONS.bookings[0]
    assert result.faults["database_down"] >= 1 and result.faults["kill_any"] >= 1
    assert result.max_in_window <= POSTGRES_OPTIONS.rate_limit


def _victims(plan: ChaosPlan, kind: str, among: tuple[str, ...]) -> set[str]:
    return {among[e.victim % len(among)] for e in plan.episodes if e.kind == kind}


def test_the_postgres_seeds_kill_webs_and_workers_and_stop_the_server_both_ways() -> None:
    webs = tuple(f"web-{n}" for n in range(1, POSTGRES_OPTIONS.webs + 1))
    workers = tuple(f"worker-{n}" for n in range(1, POSTGRES_OPTIONS.workers + 1))
    plans = [ci_plan(seed, postgres=True) for seed in POSTGRES_SEEDS]
    killed = set().union(*(_victims(p, "kill_any", webs + workers) for p in plans))
    killed |= set().union(*(_victims(p, "kill_web", webs) for p in plans))
    killed |= set().union(*(_victims(p, "kill_worker", workers) for p in plans))
    modes = {e.stop_mode for p in plans for e in p.episodes if e.kind == "database_down"}
    assert modes == {"fast", "immediate"}
    assert killed & set(webs) and killed & set(workers)
    for plan in plans:
        assert {"kill_any", "database_down", "kill_worker", "pms_down"} <= plan.kinds()


@pytest.mark.parametrize("seed", range(20))
def test_the_postgres_variant_keeps_the_seeds_other_faults(seed: int) -> None:
    """Its kills of any process and database stops come from a stream of their own: without
    them the plan is the SQLite run's."""
    postgres = ci_plan(seed, postgres=True)
    assert {e.kind for e in postgres.episodes} & set(POSTGRES_EPISODES)
    plain = dataclasses.replace(
        postgres,
        episodes=tuple(e for e in postgres.episodes if e.kind not in POSTGRES_EPISODES),
    )
    assert plain == ci_plan(seed)
    downs = [e for e in postgres.episodes if e.kind == "database_down"]
    assert all(e.stop_mode in ("fast", "immediate") for e in downs)


def test_the_campaign_runs_the_postgres_variant_on_request() -> None:
    plain = chaos.options_for(chaos.parse_args(["--seeds", "3"]))
    postgres = chaos.options_for(chaos.parse_args(["--postgres"]))
    assert (plain.postgres, plain.webs, plain.workers) == (False, 1, 1)
    assert (postgres.postgres, postgres.webs, postgres.workers) == (True, 2, 3)
    assert dataclasses.replace(postgres, postgres=False, webs=1, workers=1) == plain
