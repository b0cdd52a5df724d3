"""The fast CI subset of the chaos campaign: which seeds, how long, and one run per seed.

The machinery lives in `middleware/sandbox/chaos_*.py` (shared with `scripts/chaos.py`); this
only picks the CI settings: a 25 s workload per seed, time compressed (rate-limit window 6 s).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from middleware.sandbox.chaos_run import ChaosOptions, SeedResult, run_seed
from scripts.chaos import HEADER, row

# Seeds whose plans together inject every fault kind, each seed most of them: kill -9 of the
# worker and of the web process, sistema-os down / flaky / losing replies, Channex 429 and 5xx
# streaks, random 429 / 5xx / slow answers, partial rejections, dropped, duplicated and
# reordered webhooks (tests/chaos/test_chaos.py checks the coverage).
CI_SEEDS = (3, 36, 4)
CI_OPTIONS = ChaosOptions(duration_s=25.0, bookings=(20, 30), pms_changes=(50, 90))
# The drift variant: the same workloads and faults, plus edits in the Channex UI (with and
# without their webhook) and partly applied pushes, healed by reconciliation alone — reading
# the whole horizon back every 3 s (compressed like the rate window) and no full sync.
DRIFT_SEEDS = (3, 7)
DRIFT_OPTIONS = replace(CI_OPTIONS, parity_interval_s=3)


async def run_ci_seed(seed: int, workdir: Path, options: ChaosOptions = CI_OPTIONS) -> SeedResult:
    result = await run_seed(seed, options, workdir)
    print("\n" + HEADER + "\n" + row(result))
    return result


# The PostgreSQL variant: 2 web and 3 worker processes on a cluster of the run's own, kill -9
# of any of them and the database server stopped (cleanly or as a crash) and started again, on
# top of the seed's other faults; the same oracle.
POSTGRES_SEEDS = (3, 36)
POSTGRES_OPTIONS = replace(CI_OPTIONS, postgres=True, webs=2, workers=3)
