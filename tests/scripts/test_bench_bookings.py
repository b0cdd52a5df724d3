"""`python scripts/bench_bookings.py` run small, as a file: the shape of its figures (the
timings themselves belong to the benchmark, not to a test)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from scripts import bench_bookings

ROOT = Path(__file__).resolve().parent.parent.parent
FIGURE_KEYS = ["median_ms", "p99_ms", "min_ms", "max_ms"]


def run_bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "scripts" / "bench_bookings.py"), *args],
        cwd=tmp_path,  # not the repo: the script must find `middleware` by itself
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _ordered(figure: dict[str, float]) -> bool:
    return 0 < figure["min_ms"] <= figure["median_ms"] <= figure["p99_ms"] <= figure["max_ms"]


def test_bench_runs_small_and_reports_every_figure(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "--bookings", "4", "--worker-interval", "0.05", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    figures: dict[str, Any] = orjson.loads(result.stdout)
    assert (figures["bookings"], figures["hotel"], figures["worker_interval_s"]) == (
        4,
        "duke_beach",
        0.05,
    )
    mw, direct = figures["middleware"], figures["direct"]
    assert sorted(mw) == sorted([*FIGURE_KEYS, "to_fetch", "fetch_to_ack"])
    for figure in (mw, mw["to_fetch"], mw["fetch_to_ack"], direct):
        assert sorted(figure.keys() & set(FIGURE_KEYS)) == sorted(FIGURE_KEYS)
        assert _ordered(figure), figure
    assert mw["to_fetch"]["max_ms"] <= mw["max_ms"]
    assert figures["ratio"] == {
        "median": round(mw["median_ms"] / direct["median_ms"], 2),
        "p99": round(mw["p99_ms"] / direct["p99_ms"], 2),
    }
    assert any("WORKER_INTERVAL=0.05" in note for note in figures["notes"])

    table = bench_bookings.render(figures)
    assert table.splitlines()[0] == (
        "Bookings in: 4 one-room bookings, one at a time (duke_beach, WORKER_INTERVAL=0.05 s)"
    )
    assert [line[:30].strip() for line in table.splitlines()[3:8]] == [
        "middleware, webhook → ack",
        "of which webhook → fetch",
        "of which fetch → ack",
        "direct, the 3 calls",
        "ratio middleware / direct",
    ]


def test_bench_refuses_bad_arguments(tmp_path: Path) -> None:
    for args in (["--bookings", "0"], ["--worker-interval", "0"]):
        result = run_bench(tmp_path, *args)
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == (
            "error: --bookings must be within 1..1000 and --worker-interval >= 0.01\n"
        )


def test_stays_never_share_a_categoria_and_a_night() -> None:
    first = date(2026, 12, 1)
    plan = bench_bookings.stays(("a", "b", "c"), 7, first)
    assert [(s.code, s.checkin.day, s.checkout.day) for s in plan] == [
        ("a", 1, 2),
        ("b", 1, 2),
        ("c", 1, 2),
        ("a", 2, 3),
        ("b", 2, 3),
        ("c", 2, 3),
        ("a", 3, 4),
    ]
