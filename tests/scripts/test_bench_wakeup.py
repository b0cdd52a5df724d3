"""`python scripts/bench_wakeup.py` run tiny, as a file, on both backends (PostgreSQL: the
throwaway cluster it starts itself): the shape of its figures (the timings belong to the
benchmark, not to a test), and its refusal of a run that would not be bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def run_bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "scripts" / "bench_wakeup.py"), *args],
        cwd=tmp_path,  # not the repo: the script must find `middleware` by itself
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_bench_runs_tiny_and_reports_its_figures(tmp_path: Path, backend: str) -> None:
    result = run_bench(tmp_path, "--backend", backend, "--bookings", "2", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    found = orjson.loads(result.stdout)
    figures = found.pop("webhook_to_ack")
    assert list(figures) == ["p50_ms", "p99_ms", "min_ms", "max_ms"]
    assert 0 < figures["min_ms"] <= figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert len(found.pop("loadavg").split()) == 3
    assert found.pop("cpus") >= 1
    assert found == {"backend": backend, "bookings": 2, "worker_interval_s": 5.0}
    assert list(tmp_path.iterdir()) == []  # its files went with its temporary directory


def test_bench_refuses_an_unbounded_run(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "--bookings", "0")
    assert result.returncode == 2
    assert (
        result.stderr == "error: --bookings must be within 1..500 and --worker-interval >= 0.01\n"
    )
