"""`python scripts/bench_properties.py` run small, as a file: every figure is there, and the
ones that are not timings hold (no lane over its limit, no 429, every booking acked, Channex
converged on the PMS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from scripts import bench_properties

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("processes", ["one", "two"])
def test_bench_runs_small_and_reports_every_figure(tmp_path: Path, processes: str) -> None:
    """One process (the web with the worker inside) or a web and a worker process."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_properties.py"),
            *("--hotels", "2", "--storm-s", "4", "--bookings-per-s", "1", "--json"),
            *("--processes", processes),
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
    [row] = rows
    assert set(row) == set(bench_properties.Row.__dataclass_fields__)
    assert (row["hotels"], row["ceiling_per_min"], row["refused_429"]) == (2, 40, 0)
    assert 0 < row["max_in_window"] <= bench_properties.LIMIT
    assert row["bookings"] > 0 and row["bookings_acked"] == row["bookings"]
    assert row["converge_s"] is not None
    assert row["rss_mib"] > 0
    assert (row["processes"], row["web_cpu_pct"] is None) == (processes, processes == "one")


def test_the_table_has_one_line_per_run() -> None:
    row = bench_properties.Row(
        hotels=50,
        calls_per_min=950.4,
        ceiling_per_min=1000,
        max_in_window=10,
        refused_429=0,
        full_sync_s=12.25,
        converge_s=None,
        bookings=60,
        bookings_acked=60,
        booking_p50_s=0.123,
        booking_p99_s=0.456,
        rss_mib=88.2,
        cpu_pct=41.6,
    )
    lines = bench_properties.table([row]).splitlines()
    assert lines[2] == (
        "| 50 | 950 | 1000 | 95 % | 10 | 0 | 12.2 | - | 60/60 | 0.12 | 0.46 | 88 | 42 |"
    )
    assert len(lines) == 3


def test_a_two_process_line_names_the_mode_and_gives_the_webs_cpu_too() -> None:
    row = bench_properties.Row(
        hotels=200,
        calls_per_min=3900.0,
        ceiling_per_min=4000,
        max_in_window=10,
        refused_429=0,
        full_sync_s=12.0,
        converge_s=9.5,
        bookings=60,
        bookings_acked=60,
        booking_p50_s=2.5,
        booking_p99_s=4.9,
        rss_mib=70.4,
        cpu_pct=61.2,
        processes="two",
        web_cpu_pct=18.7,
    )
    assert bench_properties.table([row]).splitlines()[2] == (
        "| 200 (web + worker) | 3900 | 4000 | 98 % | 10 | 0 | 12.0 | 9.5 | 60/60 | 2.50 | 4.90"
        " | 70 | 61 (19) |"
    )


def test_two_processes_is_asked_for_and_one_is_the_default() -> None:
    assert [
        bench_properties.parse_args(argv).processes for argv in ([], ["--processes", "two"])
    ] == ["one", "two"]
