"""`python scripts/bench.py --quick --json` run as a file: the shape of the report and the
counts behind its figures (how fast things were belongs to the benchmark, not to a test)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from middleware.serving import serve_app
from scripts import bench, bench_bare, bench_intake

ROOT = Path(__file__).resolve().parent.parent.parent
QUICK = bench.QUICK
SENT = QUICK.warmup + bench_intake.SEQUENTIAL_PROBES + QUICK.requests
NUMBERED = ("1. ", "2. ", "3. ", "4. ")
SECTIONS = {"summary", "intake", "worker", "ari", "bookings", "errors", "machine", "durability"}


def run_bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "scripts" / "bench.py"), *args],
        cwd=tmp_path,  # not the repo: the script must find `middleware` and `scripts` itself
        env={"PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _check_load(figures: dict[str, Any]) -> None:
    assert (figures["requests"], figures["ok"], figures["failures"]) == (QUICK.requests,) * 2 + (
        {},
    )
    assert figures["sent_total"] == SENT
    assert figures["rps"] > 0
    assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert figures["sequential_p50_ms"] > 0
    assert figures["server_cpu_ms_per_request"] > 0
    assert figures["client_cpu_share"] > 0
    assert figures["peak_rss_kib"] > 0


def test_quick_run_reports_every_section_from_one_run(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "--quick", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report: dict[str, Any] = orjson.loads(result.stdout)
    assert set(report) == SECTIONS | {"sizes"}
    assert report["errors"] == {}
    assert (report["sizes"]["requests"], report["sizes"]["concurrency"]) == (
        QUICK.requests,
        QUICK.concurrency,
    )

    intake = report["intake"]
    _check_load(intake["bare"])
    _check_load(intake["middleware"])
    # every request the middleware answered 200 had been committed (and queued) first
    assert intake["middleware"]["stored"] == {"webhook_events": SENT, "revisions_pending": SENT}
    assert intake["ratio"] > 0
    assert intake["ratio"] == round(intake["middleware"]["rps"] / intake["bare"]["rps"], 3)
    assert intake["cpu_ratio"] == round(
        intake["bare"]["server_cpu_ms_per_request"]
        / intake["middleware"]["server_cpu_ms_per_request"],
        3,
    )
    assert isinstance(intake["nagle_suspected"], bool)

    worker = report["worker"]
    assert (worker["days"], worker["bookings"]) == (QUICK.worker_days, QUICK.worker_bookings)
    assert worker["revisions"] == {"acked": QUICK.worker_bookings}
    assert (worker["pms_bookings"], worker["channex_acks"]) == (QUICK.worker_bookings,) * 2
    assert worker["channex_ari_pushes_full_sync"] == 2  # availability and restrictions
    assert worker["channex_ari_pushes"] > 2  # then the availability the bookings took
    assert worker["worker_peak_rss_kib"] > 0

    assert report["ari"]["full_sync"]["days"] == QUICK.ari_days
    assert [row["changes"] for row in report["ari"]["lag"]] == [QUICK.ari_changes] * 2
    assert report["bookings"]["bookings"] == QUICK.bookings

    summary = report["summary"]
    assert summary == bench.summary(
        report["intake"], report["worker"], report["ari"], report["bookings"]
    )
    assert (summary["intake_ratio"], summary["intake_rps"]) == (
        intake["ratio"],
        intake["middleware"]["rps"],
    )
    assert summary["worker_peak_rss_mib"] == round(worker["worker_peak_rss_kib"] / 1024, 1)

    table = bench.render(report)
    titles = [line.split(":")[0] for line in table.splitlines() if line[:3] in NUMBERED]
    assert titles == ["1. Webhook intake", "2. Memory", "3. ARI", "4. Bookings"]


def test_bad_sizes_exit_2(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "--quick", "--requests", "4", "--concurrency", "8")
    assert result.returncode == 2
    assert result.stderr == (
        "error: --concurrency must be within 1..1000 and --requests within concurrency..1000000\n"
    )


def test_summary_of_failed_sections_is_all_gaps() -> None:
    summary = bench.summary(None, None, None, None)
    assert summary.pop("intake_ratio_target") == bench.TARGET_RATIO
    assert summary == dict.fromkeys(summary)


def test_a_failed_section_is_named_in_the_table() -> None:
    report = {name: None for name in ("summary", "intake", "worker", "ari", "bookings")} | {
        "errors": {n: "RuntimeError: boom" for n in ("intake", "worker", "ari", "bookings")},
        "machine": {
            "cpus": 2,
            "python": "3.11",
            "load_average_before": [1.0],
            "load_average_after": [1.5],
        },
        "durability": bench.DURABILITY,
    }
    lines = bench.render(report).splitlines()
    assert [line for line in lines if "FAILED" in line] == [
        f"{name}: FAILED: RuntimeError: boom" for name in ("intake", "worker", "ari", "bookings")
    ]


async def test_the_bare_endpoint_parses_the_body_and_answers() -> None:
    async with serve_app(bench_bare.create_app()) as url, aiohttp.ClientSession() as http:
        answers = []
        for body in (bench_intake.booking_bodies(1, datetime.now(UTC))[0], b"{not"):
            async with http.post(url + bench_bare.PATH, data=body) as response:
                answers.append((response.status, await response.json()))
    assert answers == [(200, {"status": "ok"}), (400, {"error": "body is not valid JSON"})]


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert [bench_intake.percentile(samples, p) for p in (1, 50, 99, 100)] == [1, 50, 99, 100]
    assert bench_intake.percentile([3.0], 99) == 3.0
