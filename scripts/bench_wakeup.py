"""Wake-up benchmark: a booking's webhook → ack in the two-process deployment (Procfile).

    python scripts/bench_wakeup.py [--backend sqlite|postgres] [--bookings 50]
        [--worker-interval 5] [--json]

The Channex and sistema-os emulators run in this process on loopback; the middleware runs as
its two production processes, `python -m middleware.web` and `python -m middleware.worker`
(`system_processes.run_middleware(split=True)`), on a SQLite file or — `--backend postgres` —
on a throwaway PostgreSQL cluster started for the run (`middleware.sandbox.pg_cluster`, the
tests' own; durability off) and removed after. Duke Beach is put live without a full sync,
then `--bookings` one-room OTA bookings are made one at a time, each timed from its creation
at the Channex emulator (which sends the webhooks) to the arrival there of its ack. In
between, the web stored the webhook and the worker — told by `store.signals` (LISTEN/NOTIFY,
or `PRAGMA data_version`), not by its `WORKER_INTERVAL` poll — fetched the revision, booked
it in sistema-os and acked it. The feed poll is off, so nothing else finds the revisions.
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
import contextlib
import math
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import orjson
import psycopg

from middleware import clock as clocks
from middleware import logs
from middleware.config import load_settings
from middleware.sandbox.pg_cluster import start_cluster
from middleware.sandbox.system_emulators import ChannexKnobs, Emulators, open_emulators
from middleware.sandbox.system_processes import run_middleware
from middleware.store.open import open_store

Backend = Literal["sqlite", "postgres"]
RATE_LIMIT = 1000  # the ARI pushes each booking causes must not queue behind Channex's limit
FIRST_NIGHT_DAYS = 20
ACK_TIMEOUT_S = 30.0
POLL_S = 0.002
MAX_BOOKINGS = 500
BENCH_DB = "bench_wakeup"


@contextlib.asynccontextmanager
async def database_env(backend: Backend) -> AsyncIterator[dict[str, str]]:
    """The settings that put the middleware on `backend`: nothing for SQLite (its file in the
    work directory), `DATABASE_URL` of a throwaway cluster's database for PostgreSQL."""
    if backend == "sqlite":
        yield {}
        return
    cluster = await asyncio.to_thread(start_cluster)
    try:
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {BENCH_DB}".encode())
        yield {"DATABASE_URL": cluster.url(BENCH_DB)}
    finally:
        await asyncio.to_thread(cluster.stop)


def _spec(emulators: Emulators[Any], n: int, first: date) -> dict[str, Any]:
    """Booking `n`: one night, round-robin over the room types, a new night every round (no
    two bookings share a room type and a night: the hotel never runs out)."""
    prop = emulators.mapping.properties[0]
    room = prop.room_types[n % len(prop.room_types)]
    checkin = first + timedelta(days=n // len(prop.room_types))
    return {
        "property_id": prop.property_id,
        "rooms": [
            {
                "room_type_id": room.room_type_id,
                "rate_plan_id": room.rate_plans[0].rate_plan_id,
                "checkin_date": checkin.isoformat(),
                "checkout_date": (checkin + timedelta(days=1)).isoformat(),
                "adults": 2,
            }
        ],
        "customer": {"name": "Bench", "surname": f"Guest {n}", "mail": f"g{n}@example.com"},
    }


async def _acked_at(emulators: Emulators[Any], revision_id: str, timeout_s: float) -> float:
    """The emulator's arrival time of the revision's ack (waiting for it up to `timeout_s`)."""
    path = f"/booking_revisions/{revision_id}/ack"
    deadline = time.monotonic() + timeout_s
    while True:
        acks = [r.at for r in emulators.channex.calls("POST", path) if r.status == 200]
        if acks:
            return acks[0]
        if time.monotonic() > deadline:
            raise TimeoutError(f"revision {revision_id} not acked within {timeout_s} s")
        await asyncio.sleep(POLL_S)


def problems(emulators: Emulators[Any], made: Sequence[tuple[str, str]]) -> list[str]:
    """What would make the figures meaningless: a booking not exactly once in sistema-os, a
    revision not acked exactly once."""
    acks = Counter(
        r.path.split("/")[-2]
        for r in emulators.channex.requests
        if r.method == "POST" and r.path.endswith("/ack") and r.status == 200
    )
    in_pms = Counter(b.channex_booking_id for b in emulators.pms.bookings())
    found = []
    for booking_id, revision_id in made:
        if in_pms[booking_id] != 1:
            found.append(f"booking {booking_id}: {in_pms[booking_id]} PMS bookings")
        if acks[revision_id] != 1:
            found.append(f"revision {revision_id}: acked {acks[revision_id]} times")
    return found


async def webhook_to_ack(
    workdir: Path,
    *,
    bookings: int,
    env: Mapping[str, str],
    ack_timeout_s: float = ACK_TIMEOUT_S,
    before_each: Callable[[int], Awaitable[object]] | None = None,
) -> list[float]:
    """Seconds from each booking's creation to its ack, one booking at a time, against the
    two-process middleware started with `env` (a `TimeoutError` if one is not acked within
    `ack_timeout_s`, a `RuntimeError` if a booking or an ack is missing or doubled).
    `before_each(n)` runs before booking `n` is made (a test's fault)."""
    given = {
        "FEED_POLL_INTERVAL": "0",
        "CHANNEX_PRICE_RATE_LIMIT": str(RATE_LIMIT),
        "CHANNEX_AVAIL_RATE_LIMIT": str(RATE_LIMIT),
        "LOG_LEVEL": "WARNING",
        **env,
    }
    knobs = ChannexKnobs(rate_limit=RATE_LIMIT)
    async with (
        open_emulators(workdir, clock=clocks.utc_now, channex=knobs) as emulators,
        run_middleware(emulators, workdir, split=True, env=given) as children,
    ):
        store = await open_store(load_settings(children.env, env_file=None))
        try:
            ids = [prop.property_id for prop in emulators.mapping]
            await store.live.put_live(ids, clocks.utc_now(), by="bench_wakeup")
        finally:
            await store.close()
        first = emulators.today() + timedelta(days=FIRST_NIGHT_DAYS)
        made: list[tuple[str, str]] = []
        samples: list[float] = []
        for n in range(bookings):
            if before_each is not None:
                await before_each(n)
            started = time.monotonic()  # the emulator's clock (`RecordedRequest.at`)
            booking_id, revision_id = emulators.channex.create_booking(**_spec(emulators, n, first))
            made.append((booking_id, revision_id))
            samples.append(await _acked_at(emulators, revision_id, ack_timeout_s) - started)
        await emulators.channex.deliver_pending()
        wrong = problems(emulators, made)
    if wrong:
        raise RuntimeError("; ".join(wrong[:5]))
    return samples


def _percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def figures(samples_s: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(_percentile(ms, 99), 1),
        "min_ms": round(min(ms), 1),
        "max_ms": round(max(ms), 1),
    }


async def run(backend: Backend, bookings: int, worker_interval_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-wakeup-") as workdir:
        async with database_env(backend) as db_env:
            env = {**db_env, "WORKER_INTERVAL": str(worker_interval_s)}
            samples = await webhook_to_ack(Path(workdir), bookings=bookings, env=env)
    return {
        "backend": backend,
        "bookings": bookings,
        "worker_interval_s": worker_interval_s,
        "webhook_to_ack": figures(samples),
        "loadavg": _loadavg(),
        "cpus": os.cpu_count(),
    }


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def render(result: dict[str, Any]) -> str:
    f = result["webhook_to_ack"]
    return "\n".join(
        [
            f"webhook → ack, two processes on {result['backend']}: {result['bookings']} bookings"
            f" one at a time (WORKER_INTERVAL={result['worker_interval_s']} s, feed poll off)",
            f"  p50 {f['p50_ms']} ms   p99 {f['p99_ms']} ms   min {f['min_ms']} ms"
            f"   max {f['max_ms']} ms",
            f"  load average {result['loadavg']} on {result['cpus']} CPUs",
        ]
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--bookings", type=int, default=50, help=f"1..{MAX_BOOKINGS}")
    parser.add_argument(
        "--worker-interval", type=float, default=5.0, help="WORKER_INTERVAL in seconds"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 1 <= args.bookings <= MAX_BOOKINGS or args.worker_interval < 0.01:
        print(
            f"error: --bookings must be within 1..{MAX_BOOKINGS} and --worker-interval >= 0.01",
            file=sys.stderr,
        )
        return 2
    logs.configure_logging("ERROR", stream=sys.stderr)
    result = asyncio.run(run(args.backend, args.bookings, args.worker_interval))
    print(
        orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if args.json else render(result)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
