"""`python scripts/bench_workers.py` run small, as a file, on SQLite and on PostgreSQL with two
workers: every figure is there, and the ones that are not timings hold (each burst revision
acked and applied once, no lane over its limit, no 429, every storm booking acked, Channex
converged on the PMS)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from scripts import bench_properties, bench_workers

ROOT = Path(__file__).resolve().parent.parent.parent


def test_bench_runs_small_on_both_stores_and_reports_every_figure(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_workers.py"),
            *("--setups", "sqlite:1", "postgres:2", "--revisions", "20"),
            *("--hotels", "2", "--storm-s", "4", "--bookings-per-s", "1", "--json"),
        ],
        cwd=tmp_path,  # not the repo: the script must find `middleware` by itself
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = orjson.loads(result.stdout)
    assert [(r["store"], r["workers"]) for r in rows] == [("sqlite", 1), ("postgres", 2)]
    for row in rows:
        burst, storm = row["burst"], row["storm"]
        assert (burst["revisions"], burst["acked"], burst["pms_bookings"]) == (20, 20, 20)
        assert burst["seconds"] > 0
        assert set(storm) == set(bench_properties.Row.__dataclass_fields__)
        assert (storm["hotels"], storm["ceiling_per_min"], storm["refused_429"]) == (2, 40, 0)
        assert 0 < storm["max_in_window"] <= bench_properties.LIMIT
        assert storm["bookings"] > 0 and storm["bookings_acked"] == storm["bookings"]
        assert storm["converge_s"] is not None


def test_a_setup_is_a_store_and_a_worker_count() -> None:
    assert bench_workers.Setup.parse("postgres:4") == bench_workers.Setup(
        store="postgres", workers=4
    )
    for wrong in ("mysql:1", "sqlite:0", "sqlite", "postgres:x"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench_workers.Setup.parse(wrong)
