"""`python scripts/bench_ari.py` run small, as a file: the shape and the counts of its figures
(the timings themselves belong to the benchmark, not to a test)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from scripts import bench_ari

ROOT = Path(__file__).resolve().parent.parent.parent
DAYS = 20
ROOMS = 6  # Duke Beach: six categorias, one plano each


def run_bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "scripts" / "bench_ari.py"), *args],
        cwd=tmp_path,  # not the repo: the script must find `middleware` by itself
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bench_runs_small_and_reports_every_figure(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "--days", str(DAYS), "--changes", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    figures: dict[str, Any] = orjson.loads(result.stdout)
    full = figures["full_sync"]
    assert (full["hotel"], full["days"]) == ("duke_beach", DAYS)
    span = date.fromisoformat(full["date_to"]) - date.fromisoformat(full["date_from"])
    assert span.days == DAYS - 1
    avail, restr = full["endpoints"]["availability"], full["endpoints"]["restrictions"]
    assert (avail["calls"], restr["calls"], full["total"]["calls"]) == (1, 1, 2)
    assert (avail["naive_values"], restr["naive_values"]) == (ROOMS * DAYS, ROOMS * DAYS)
    assert (avail["naive_calls"], restr["naive_calls"]) == (1, 1)
    for figure in (avail, restr, full["total"]):
        assert 0 < figure["values"] <= figure["naive_values"]
        assert 0 < figure["bytes"] < figure["naive_bytes"]
        assert figure["values_ratio"] == round(figure["naive_values"] / figure["values"], 2)
        assert figure["bytes_ratio"] == round(figure["naive_bytes"] / figure["bytes"], 2)
    assert full["total"]["values"] == avail["values"] + restr["values"]
    assert full["total"]["bytes"] == avail["bytes"] + restr["bytes"]

    assert [(row["ari_debounce_s"], row["changes"]) for row in figures["lag"]] == [
        (2.0, 2),
        (0.2, 2),
    ]
    for row in figures["lag"]:
        assert 0 < row["min_s"] <= row["median_s"] <= row["p99_s"] <= row["max_s"]
    assert any("1000/min" in note for note in figures["notes"])

    table = bench_ari.render(figures)
    assert f"(a) Full sync, Duke Beach, {DAYS} days" in table
    assert "(b) Change-to-Channex lag, 2 single rate changes" in table
    assert [line.split()[0] for line in table.splitlines() if line.startswith("total")] == ["total"]


def test_bench_refuses_a_bad_horizon(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "--days", "1")
    assert result.returncode == 2
    assert result.stderr == "error: --days must be within 2..730 and --changes >= 0\n"


def test_naive_values_carry_every_field_of_a_cell_once_per_date() -> None:
    values = [
        {
            "property_id": "p",
            "rate_plan_id": "rp",
            "date_from": "2026-12-01",
            "date_to": "2026-12-02",
            "rate": 45000,
        },
        {"property_id": "p", "rate_plan_id": "rp", "date": "2026-12-02", "stop_sell": True},
    ]
    assert bench_ari.naive_values("restrictions", values, property_id="p", currency="BRL") == [
        {"property_id": "p", "rate_plan_id": "rp", "date": "2026-12-01", "rate": 45000},
        {
            "property_id": "p",
            "rate_plan_id": "rp",
            "date": "2026-12-02",
            "rate": 45000,
            "stop_sell": True,
        },
    ]
