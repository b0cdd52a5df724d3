"""The chaos campaign: run many seeds, print one row per seed, exit 1 if any seed failed.

    python scripts/chaos.py --seeds 200 [--start 0] [--minutes-per-seed N] [--real-time] [--drift]
        [--postgres]

Each seed starts the real middleware (web and worker as subprocesses) against both emulators,
runs a seeded workload of OTA bookings and PMS changes under seeded faults (Channex 429s,
5xx, slow answers, partial rejections, lost / duplicated / reordered webhooks; sistema-os
down, flaky or losing replies; `kill -9` of either process), turns the faults off, waits for
quiet and asks the oracle (`middleware/sandbox/chaos_oracle.py`). A failing seed is rerun
alone with `--seeds 1 --start <seed>`; its directory (database, mapping, both process logs)
is kept and printed.

By default time is compressed (rate-limit window 6 s instead of 60 s, the 429 pauses
likewise); `--real-time` uses Channex's 60 s window. `--drift` runs the drift variant: edits
in the Channex UI and partly applied pushes as well, to be healed by reconciliation alone
(read-backs every `DRIFT_PARITY_INTERVAL_S`, no full sync after go-live). `--postgres` runs
the PostgreSQL variant: 2 web and 3 worker processes on a throwaway cluster of each seed's own,
`kill -9` of any of them and the database server stopped and started again as well.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the `middleware` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from middleware import pyversion

if pyversion.problem() is not None:  # first: one clear line on a Python older than 3.11
    pyversion.refuse()

import argparse
import asyncio
import shutil
import tempfile
from collections import Counter
from dataclasses import replace

from middleware import logs
from middleware.sandbox.chaos_run import ChaosOptions, SeedResult, run_seed

POSTGRES_WEBS = 2
POSTGRES_WORKERS = 3
DRIFT_PARITY_INTERVAL_S = 3  # compressed time (30 with --real-time): 900 s in the 60 s model

HEADER = (
    f"{'seed':>6} {'faults':>6} {'bookings':>8} {'revisions':>9} {'pms ops':>7} {'pushes':>6}"
    f" {'max/win':>7} {'parked':>6} {'secs':>5}  violations"
)
PMS_OPS = ("pms_rate", "pms_restriction", "pms_direct_booking", "pms_direct_cancel")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python scripts/chaos.py", description=__doc__)
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds (default 10)")
    parser.add_argument("--start", type=int, default=0, help="first seed (default 0)")
    parser.add_argument(
        "--minutes-per-seed",
        type=float,
        default=None,
        help="workload length per seed in minutes (default 0.75; 3 with --real-time)",
    )
    parser.add_argument(
        "--real-time", action="store_true", help="Channex's real 60 s rate-limit window"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep every seed's files under this directory"
    )
    parser.add_argument(
        "--drift",
        action="store_true",
        help="Channex UI edits and partly applied pushes too, healed by reconciliation alone",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="2 webs and 3 workers on PostgreSQL, with database restarts (the machine's server)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="fault counts per seed")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.start < 0:
        parser.error("--seeds must be >= 1 and --start >= 0")
    return args


def options_for(args: argparse.Namespace) -> ChaosOptions:
    minutes = args.minutes_per_seed or (3.0 if args.real_time else 0.75)
    interval = 0 if not args.drift else DRIFT_PARITY_INTERVAL_S * (10 if args.real_time else 1)
    if args.real_time:
        options = ChaosOptions(
            duration_s=minutes * 60,
            window_s=60.0,
            quiet_timeout_s=900.0,
            pms_poll_s=10,
            parity_interval_s=interval,
        )
    else:
        options = ChaosOptions(duration_s=minutes * 60, parity_interval_s=interval)
    if not args.postgres:
        return options
    return replace(options, postgres=True, webs=POSTGRES_WEBS, workers=POSTGRES_WORKERS)


def row(result: SeedResult) -> str:
    pms_ops = sum(result.done[name] for name in PMS_OPS)
    verdict = "none" if not result.violations else f"{len(result.violations)}"
    return (
        f"{result.seed:>6} {result.fault_total:>6} {result.bookings:>8} {result.revisions:>9}"
        f" {pms_ops:>7} {result.pushes:>6} {result.max_in_window:>7} {result.parked:>6}"
        f" {result.seconds:>5.0f}  {verdict}"
    )


def broken(seed: int, exc: Exception, workdir: Path) -> SeedResult:
    return SeedResult(
        seed=seed,
        faults=Counter(),
        done=Counter(),
        bookings=0,
        revisions=0,
        parked=0,
        pushes=0,
        attempts=0,
        max_in_window=0,
        excluded_cells=0,
        violations=(f"the run did not finish: {type(exc).__name__}: {exc}",),
        seconds=0.0,
        workdir=workdir,
    )


async def campaign(args: argparse.Namespace) -> int:
    options = options_for(args)
    root = args.workdir or Path(tempfile.mkdtemp(prefix="chaos-"))
    root.mkdir(parents=True, exist_ok=True)
    print(HEADER, flush=True)
    failed: list[SeedResult] = []
    for seed in range(args.start, args.start + args.seeds):
        workdir = root / f"seed-{seed}"
        workdir.mkdir()
        try:
            result = await run_seed(seed, options, workdir)
        except Exception as exc:  # the harness itself broke: a failed seed, not the end
            result = broken(seed, exc, workdir)
        print(row(result), flush=True)
        if args.verbose:
            faults = ", ".join(f"{k} {v}" for k, v in sorted(result.faults.items()))
            print(f"       faults: {faults}")
            print(
                f"       ARI calls {result.attempts} ({result.pushes} accepted), read-backs"
                f" {result.reads}, ARI cells dead-lettered with a reason {result.excluded_cells}",
                flush=True,
            )
        for violation in result.violations:
            print(f"       ! {violation}", flush=True)
        if result.violations:
            failed.append(result)
        elif args.workdir is None:
            shutil.rmtree(workdir)
    print(f"{args.seeds - len(failed)}/{args.seeds} seeds clean", flush=True)
    for result in failed:
        print(
            f"seed {result.seed}: rerun with --seeds 1 --start {result.seed}; files in"
            f" {result.workdir}",
            flush=True,
        )
    if not failed and args.workdir is None:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure_logging("WARNING", as_json=False, stream=sys.stderr)  # this process only
    return asyncio.run(campaign(args))


if __name__ == "__main__":
    sys.exit(main())
