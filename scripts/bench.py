"""The speed benchmark: every figure measured in ONE run, every ratio computed from that run.

    python scripts/bench.py [--requests 10000] [--concurrency 64] [--quick] [--json]

All on loopback (127.0.0.1), bounded in time and count; it stops by itself.

1. Webhook intake (`scripts/bench_intake.py`): requests per second and latency of
   `POST /webhook/channex` on the real web process (`python -m middleware.web`, SQLite WAL,
   every 200 committed first) beside a bare Starlette endpoint that only parses the JSON
   (`scripts/bench_bare.py`), both under `uvicorn.run` with the same options and the same load.
2. Memory (`scripts/bench_worker.py`): peak RSS of the web process during the intake load, and
   of the worker (`python -m middleware.worker`) through a full sync and a batch of OTA bookings.
3. ARI (`scripts/bench_ari.py`): full-sync calls, values and bytes against a naive push, and the
   change-to-Channex lag.
4. Bookings (`scripts/bench_bookings.py`): webhook → ack against the three raw HTTP calls.

A section that fails is reported with its error and the others still run (exit code 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `middleware` and `scripts` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from middleware import pyversion

if pyversion.problem() is not None:  # first: one clear line on a Python older than 3.11
    pyversion.refuse()

import argparse
import asyncio
import dataclasses
import os
import platform
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from middleware import logs
from scripts import bench_ari, bench_bookings, bench_intake, bench_worker

TARGET_RATIO = 0.7
DURABILITY = (
    "SQLite WAL, synchronous=NORMAL: a webhook is answered 200 only after its transaction has "
    "committed to the WAL, so it survives a crash or kill of the process; the WAL is fsynced at "
    "checkpoints, not at every commit, so an OS crash or power loss can lose the last commits "
    "(synchronous=FULL would fsync every group commit)"
)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Sizes:
    requests: int
    concurrency: int
    warmup: int
    rounds: int
    worker_days: int
    worker_bookings: int
    ari_days: int
    ari_changes: int
    bookings: int
    bookings_worker_interval_s: float


FULL = Sizes(
    requests=10_000,
    concurrency=64,
    warmup=1_000,
    rounds=4,
    worker_days=500,
    worker_bookings=50,
    ari_days=500,
    ari_changes=50,
    bookings=200,
    bookings_worker_interval_s=0.02,
)
QUICK = Sizes(
    requests=600,
    concurrency=16,
    warmup=100,
    rounds=2,
    worker_days=30,
    worker_bookings=3,
    ari_days=20,
    ari_changes=1,
    bookings=3,
    bookings_worker_interval_s=0.05,
)
SEED = 7


async def _section(
    name: str, run: Callable[[], Awaitable[dict[str, Any]]], errors: dict[str, str]
) -> dict[str, Any] | None:
    started = time.perf_counter()
    try:
        result = await run()
    except Exception as exc:
        errors[name] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
        return None
    result["section_seconds"] = round(time.perf_counter() - started, 1)
    return result


async def run(sizes: Sizes) -> dict[str, Any]:
    errors: dict[str, str] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        intake = await _section(
            "intake",
            lambda: bench_intake.bench_intake(
                workdir,
                requests=sizes.requests,
                concurrency=sizes.concurrency,
                warmup=sizes.warmup,
                rounds=sizes.rounds,
            ),
            errors,
        )
        worker = await _section(
            "worker",
            lambda: bench_worker.bench_worker(
                workdir, days=sizes.worker_days, bookings=sizes.worker_bookings, seed=SEED
            ),
            errors,
        )
    ari = await _section(
        "ari", lambda: bench_ari.run(sizes.ari_days, sizes.ari_changes, SEED), errors
    )
    bookings = await _section(
        "bookings",
        lambda: bench_bookings.run(sizes.bookings, sizes.bookings_worker_interval_s),
        errors,
    )
    return {
        "summary": summary(intake, worker, ari, bookings),
        "intake": intake,
        "worker": worker,
        "ari": ari,
        "bookings": bookings,
        "errors": errors,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "durability": DURABILITY,
        "sizes": {
            "requests": sizes.requests,
            "concurrency": sizes.concurrency,
            "warmup": sizes.warmup,
            "rounds": sizes.rounds,
            "worker_days": sizes.worker_days,
            "worker_bookings": sizes.worker_bookings,
            "ari_days": sizes.ari_days,
            "ari_changes": sizes.ari_changes,
            "bookings": sizes.bookings,
        },
    }


def _mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


def summary(
    intake: dict[str, Any] | None,
    worker: dict[str, Any] | None,
    ari: dict[str, Any] | None,
    bookings: dict[str, Any] | None,
) -> dict[str, Any]:
    """The headline figures, each taken from this run's sections (None where one failed)."""
    mw = intake["middleware"] if intake else None
    bare = intake["bare"] if intake else None
    lag = {row["ari_debounce_s"]: row for row in ari["lag"]} if ari else {}
    return {
        "intake_rps": mw["rps"] if mw else None,
        "intake_p50_ms": mw["p50_ms"] if mw else None,
        "intake_p99_ms": mw["p99_ms"] if mw else None,
        "bare_rps": bare["rps"] if bare else None,
        "bare_p50_ms": bare["p50_ms"] if bare else None,
        "bare_p99_ms": bare["p99_ms"] if bare else None,
        "intake_ratio": intake["ratio"] if intake else None,
        "intake_cpu_ratio": intake["cpu_ratio"] if intake else None,
        "intake_ratio_target": TARGET_RATIO,
        "intake_ratio_met": intake["ratio"] >= TARGET_RATIO if intake else None,
        "web_peak_rss_mib": _mib(mw["peak_rss_kib"]) if mw else None,
        "worker_peak_rss_mib": _mib(worker["worker_peak_rss_kib"]) if worker else None,
        "ari_full_sync_calls": ari["full_sync"]["total"]["calls"] if ari else None,
        "ari_naive_calls": ari["full_sync"]["total"]["naive_calls"] if ari else None,
        "ari_values_ratio": ari["full_sync"]["total"]["values_ratio"] if ari else None,
        "ari_bytes_ratio": ari["full_sync"]["total"]["bytes_ratio"] if ari else None,
        "ari_lag_median_s": {str(k): v["median_s"] for k, v in lag.items()} or None,
        "ari_lag_p99_s": {str(k): v["p99_s"] for k, v in lag.items()} or None,
        "booking_ack_median_ms": bookings["middleware"]["median_ms"] if bookings else None,
        "booking_ack_p99_ms": bookings["middleware"]["p99_ms"] if bookings else None,
        "booking_direct_median_ms": bookings["direct"]["median_ms"] if bookings else None,
        "booking_ratio_median": bookings["ratio"]["median"] if bookings else None,
    }


def _intake_table(intake: dict[str, Any]) -> list[str]:
    lines = [
        f"1. Webhook intake: {intake['requests']} requests at concurrency "
        f"{intake['concurrency']} per server, in {intake['rounds']} alternating rounds, after "
        f"{intake['warmup']} warm-up requests",
        "",
        f"{'':<22}{'rps':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'alone ms':>10}"
        f"{'cpu ms/req':>12}{'peak RSS MiB':>14}",
    ]
    for name in ("bare", "middleware"):
        f = intake[name]
        label = "bare Starlette" if name == "bare" else "middleware (SQLite)"
        lines.append(
            f"{label:<22}{f['rps']:>9}{f['p50_ms']!s:>9}{f['p99_ms']!s:>9}{f['max_ms']!s:>9}"
            f"{f['sequential_p50_ms']!s:>10}{f['server_cpu_ms_per_request']!s:>12}"
            f"{_mib(f['peak_rss_kib'])!s:>14}"
        )
    stored = intake["middleware"]["stored"]
    lines += [
        f"{'ratio (throughput)':<22}{intake['ratio']:>9}   target >= {TARGET_RATIO}",
        f"{'ratio (server CPU)':<22}{intake['cpu_ratio']!s:>9}   bare cpu ms/req ÷ middleware's: "
        "the throughput ratio if the server's CPU were the only limit",
        f"load generator (this process, aiohttp): {intake['bare']['client_cpu_share']} / "
        f"{intake['middleware']['client_cpu_share']} of a core busy during the bare / "
        "middleware rounds (near 1.0 it, not the server, set the pace)",
        f"stored by the middleware: {stored['webhook_events']} webhook events, "
        f"{stored['revisions_pending']} revisions queued (sent: "
        f"{intake['middleware']['sent_total']}); failures: bare "
        f"{intake['bare']['failures'] or 'none'}, middleware "
        f"{intake['middleware']['failures'] or 'none'}",
        "alone ms: median of 200 requests sent one at a time (a Nagle / delayed-ACK stall "
        f"would show as ~40 ms): {'SUSPECTED' if intake['nagle_suspected'] else 'none'}",
    ]
    return lines


def _worker_table(worker: dict[str, Any]) -> list[str]:
    return [
        f"2. Memory: worker through a {worker['days']}-day full sync "
        f"({worker['full_sync_seconds']} s, {worker['channex_ari_pushes_full_sync']} ARI pushes),"
        f" then {worker['bookings']} OTA bookings ({worker['bookings_seconds']} s, "
        f"{worker['channex_acks']} acks, {worker['pms_bookings']} PMS bookings, "
        f"{worker['channex_ari_pushes'] - worker['channex_ari_pushes_full_sync']} ARI pushes)",
        f"   peak RSS: worker {_mib(worker['worker_peak_rss_kib'])} MiB, web "
        f"{_mib(worker['web_peak_rss_kib'])} MiB (web under the intake load: see 1.)",
    ]


def render(result: dict[str, Any]) -> str:
    lines: list[str] = []
    sections: list[tuple[str, Callable[[dict[str, Any]], list[str]]]] = [
        ("intake", _intake_table),
        ("worker", _worker_table),
        ("ari", lambda r: ["3. ARI", *bench_ari.render(r).splitlines()]),
        ("bookings", lambda r: ["4. Bookings", *bench_bookings.render(r).splitlines()]),
    ]
    for name, table in sections:
        section = result[name]
        lines += table(section) if section else [f"{name}: FAILED: {result['errors'][name]}"]
        lines.append("")
    machine = result["machine"]
    lines += [
        f"machine: {machine['cpus']} CPUs, Python {machine['python']}, load average "
        f"{machine['load_average_before'][0]} before, {machine['load_average_after'][0]} after",
        f"durability: {result['durability']}",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, help="measured requests per server")
    parser.add_argument("--concurrency", type=int, help="concurrent clients")
    parser.add_argument("--quick", action="store_true", help="small sizes (tests, CI)")
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    base = QUICK if args.quick else FULL
    requests = base.requests if args.requests is None else args.requests
    concurrency = base.concurrency if args.concurrency is None else args.concurrency
    if not 1 <= concurrency <= 1000 or not concurrency <= requests <= 1_000_000:
        print(
            "error: --concurrency must be within 1..1000 and --requests within "
            "concurrency..1000000",
            file=sys.stderr,
        )
        return 2
    sizes = dataclasses.replace(base, requests=requests, concurrency=concurrency)
    logs.configure_logging("ERROR", stream=sys.stderr)
    result = asyncio.run(run(sizes))
    print(
        orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if args.json else render(result)
    )
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
