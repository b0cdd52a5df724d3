"""The seeded plans and workloads the CI seeds run, for the fast checks in test_chaos.py."""

from __future__ import annotations

from datetime import date

from middleware.sandbox.chaos_plan import ChaosPlan, make_plan
from middleware.sandbox.chaos_workload import Workload, make_workload
from tests.chaos.harness import CI_OPTIONS

TODAY = date(2026, 11, 21)


def ci_plan(seed: int, *, drift: bool = False, postgres: bool = False) -> ChaosPlan:
    return make_plan(
        seed,
        duration_s=CI_OPTIONS.duration_s,
        channex_timeout_s=CI_OPTIONS.channex_timeout_s,
        pms_timeout_s=CI_OPTIONS.pms_timeout_s,
        drift=drift,
        postgres=postgres,
    )


def ci_workload(seed: int) -> Workload:
    return make_workload(
        seed,
        today=TODAY,
        duration_s=CI_OPTIONS.duration_s,
        bookings=CI_OPTIONS.bookings,
        pms_changes=CI_OPTIONS.pms_changes,
    )
