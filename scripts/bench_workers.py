"""Several workers on one store: a go-live burst and the multi-hotel storm, per store and count.

    python scripts/bench_workers.py [--setups sqlite:1 postgres:1 postgres:2 postgres:4]
        [--revisions 1000] [--hotels 10] [--storm-s 60] [--json]

Each setup is a store and a number of worker processes beside one web process (the Procfile
deployment, `python -m middleware.web` and `python -m middleware.worker` x K), against the
emulators in this process. PostgreSQL setups run on a throwaway cluster started by the script
(`middleware/sandbox/pg_cluster.py`: the machine's PostgreSQL server binaries), one fresh
database per run; SQLite setups on a file in a temporary directory. Two runs per setup:

- burst: `--revisions` OTA bookings (one room, one night, each in a free apartment of Duke
  Beach) wait unacked in the Channex emulator's feed, never announced by a webhook, when the
  middleware starts; its feed poll (every `FEED_POLL_INTERVAL_S`) finds them. Reported:
  revisions acked per second from the moment every process answers to the last ack, the
  seconds that took, and the PMS bookings made (each revision applied once: equal to the
  revisions);
- storm: `scripts/bench_properties.py`'s storm (`--hotels` hotels, each PMS changing every
  `--change-every-s`, OTA bookings `--bookings-per-s`, Channex answering ARI after
  `--latency-s`, 10 calls a minute per lane), measured by that script's own `_measure`.
  Reported: accepted ARI calls a minute against the ceiling (hotels x 20), the most calls of
  one lane in a window (<= 10), 429s, booking webhook -> ack p50 / p99, and how long after the
  storm Channex held the PMS's values.

Every wait is bounded (`--timeout-s`); the script stops by itself. The machine may be shared:
every number is what this box did then (note its load), not a capacity figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the `middleware` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from itertools import count

import orjson

from middleware import clock as clocks
from middleware import logs
from middleware.config import load_settings
from middleware.domain.mapping import Mapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pg_cluster import Cluster, throwaway_cluster
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.system_emulators import ChannexKnobs, Hotels, open_emulators
from middleware.sandbox.system_processes import run_middleware
from middleware.store.open import open_store
from scripts import bench_properties

FEED_POLL_INTERVAL_S = 1
FIRST_NIGHT_DAYS = 2  # the burst's stays start this many days ahead
POLL_S = 0.25
SETUPS = ("sqlite:1", "postgres:1", "postgres:2", "postgres:4")


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    store: str  # sqlite | postgres
    workers: int

    @classmethod
    def parse(cls, text: str) -> Setup:
        store, _, workers = text.partition(":")
        if store not in ("sqlite", "postgres") or not workers.isdigit() or int(workers) < 1:
            raise argparse.ArgumentTypeError(f"expected sqlite:N or postgres:N, not {text!r}")
        return cls(store=store, workers=int(workers))


@dataclass(frozen=True, slots=True, kw_only=True)
class Burst:
    revisions: int
    acked: int
    pms_bookings: int
    seconds: float | None  # from every process answering to the last ack (None: not all)

    @property
    def acked_per_s(self) -> float | None:
        return None if not self.seconds else self.acked / self.seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    store: str
    workers: int
    burst: Burst
    storm: bench_properties.Row


class Databases:
    """Where each run's store is: a fresh PostgreSQL database of the cluster, or SQLite."""

    def __init__(self, cluster: Cluster | None) -> None:
        self._cluster = cluster
        self._numbers = count(1)

    def env(self, setup: Setup) -> dict[str, str]:
        if setup.store == "sqlite":
            return {}
        if self._cluster is None:
            raise RuntimeError("a PostgreSQL setup needs the cluster")
        name = f"bench_{next(self._numbers)}"
        self._cluster.admin(f"CREATE DATABASE {name}")
        return {"DATABASE_URL": self._cluster.url(name)}


@contextlib.contextmanager
def databases(setups: list[Setup]) -> Iterator[Databases]:
    if all(s.store == "sqlite" for s in setups):
        yield Databases(None)
        return
    with throwaway_cluster() as cluster:
        yield Databases(cluster)


def _book_the_burst(channex: ChannexEmulator, pms: PmsEmulator, mapping: Mapping, n: int) -> None:
    """`n` one-night bookings, each in an apartment free that night, not announced."""
    prop = mapping.properties[0]
    first = pms.today() + timedelta(days=FIRST_NIGHT_DAYS)
    units: list[str] = []
    for room in pms.ari(first, first)["room_types"]:
        units += [room["categoria"]] * int(room["total"])
    for index in range(n):
        night = first + timedelta(days=index // len(units))
        ref = mapping.by_room_code(prop.property_id, units[index % len(units)])
        if ref is None:
            raise RuntimeError(f"categoria {units[index % len(units)]!r} is not mapped")
        channex.create_booking(
            deliver=False,
            property_id=prop.property_id,
            rooms=[
                {
                    "room_type_id": ref.room.room_type_id,
                    "rate_plan_id": ref.room.rate_plans[0].rate_plan_id,
                    "checkin_date": night.isoformat(),
                    "checkout_date": (night + timedelta(days=1)).isoformat(),
                    "adults": 1,
                    "children": 0,
                }
            ],
        )


def _acks(channex: ChannexEmulator) -> list[float]:
    return [
        r.at
        for r in channex.requests
        if r.method == "POST" and r.path.endswith("/ack") and r.status == 200
    ]


async def run_burst(setup: Setup, database_env: dict[str, str], args: argparse.Namespace) -> Burst:
    env = {
        **database_env,
        "FEED_POLL_INTERVAL": str(FEED_POLL_INTERVAL_S),
        "PARITY_INTERVAL": "0",
        "PARITY_FULL_HOUR": "",
        "LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        workdir = Path(tmp)
        async with open_emulators(workdir, clock=clocks.utc_now) as emulators:
            channex, pms = emulators.channex, emulators.pms_hotels[0]
            _book_the_burst(channex, pms, emulators.mapping, args.revisions)
            async with run_middleware(
                emulators, workdir, split=True, env=env, workers=setup.workers
            ):
                began = time.monotonic()
                deadline = began + args.timeout_s
                while time.monotonic() < deadline:
                    if len(acks := _acks(channex)) >= args.revisions:
                        break
                    await asyncio.sleep(POLL_S)
                acks = _acks(channex)
            done = len(acks) >= args.revisions
            return Burst(
                revisions=args.revisions,
                acked=len(acks),
                pms_bookings=sum(1 for b in pms.bookings() if b.channex_booking_id),
                seconds=max(acks) - began if done else None,
            )


async def run_storm(
    setup: Setup, database_env: dict[str, str], args: argparse.Namespace
) -> bench_properties.Row:
    env = {
        **database_env,
        "CHANNEX_SYNC_DAYS": str(bench_properties.SYNC_DAYS),
        "PMS_POLL_INTERVAL": "0",
        "FEED_POLL_INTERVAL": "0",
        "PARITY_INTERVAL": "0",
        "PARITY_FULL_HOUR": "",
        "LOG_LEVEL": "WARNING",
    }
    knobs = ChannexKnobs(
        rate_limit=bench_properties.LIMIT,
        window_s=bench_properties.WINDOW_S,
        ari_delay_s=args.latency_s,
    )
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        workdir = Path(tmp)
        async with (
            open_emulators(
                workdir, clock=clocks.utc_now, hotels=Hotels(count=args.hotels), channex=knobs
            ) as emulators,
            run_middleware(
                emulators, workdir, split=True, env=env, workers=setup.workers
            ) as children,
        ):
            store = await open_store(load_settings(children.env, env_file=None))
            try:
                # RSS and CPU are one process's alone (the first worker's): not reported here
                return await bench_properties._measure(
                    args.hotels, args, emulators, store, children.web, children.worker
                )
            finally:
                await store.close()


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(results: list[Result]) -> str:
    head = (
        "| store | workers | burst acked | burst acked/s | burst s | hotels | calls/min |"
        " ceiling | of ceiling | max/window | 429s | bookings acked | webhook→ack p50 s |"
        " p99 s | converge s |"
    )
    lines = [head, "|" + "---|" * 15]
    for r in results:
        b, s = r.burst, r.storm
        lines.append(
            f"| {r.store} | {r.workers} | {b.acked}/{b.revisions} |"
            f" {_fmt(b.acked_per_s, '.1f')} | {_fmt(b.seconds, '.1f')} | {s.hotels} |"
            f" {s.calls_per_min:.0f} | {s.ceiling_per_min} | {s.of_ceiling:.0f} % |"
            f" {s.max_in_window} | {s.refused_429} | {s.bookings_acked}/{s.bookings} |"
            f" {_fmt(s.booking_p50_s, '.3f')} | {_fmt(s.booking_p99_s, '.3f')} |"
            f" {_fmt(s.converge_s, '.1f')} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--setups", type=Setup.parse, nargs="+", default=list(SETUPS))
    parser.add_argument("--revisions", type=int, default=1000, help="the burst's revisions")
    parser.add_argument("--hotels", type=int, default=10, help="the storm's hotels")
    parser.add_argument("--storm-s", type=float, default=60.0)
    parser.add_argument("--latency-s", type=float, default=0.3)
    parser.add_argument("--change-every-s", type=float, default=2.0)
    parser.add_argument("--bookings-per-s", type=float, default=0.5)
    parser.add_argument("--converge-timeout-s", type=float, default=180.0)
    parser.add_argument("--timeout-s", type=float, default=600.0, help="the burst's bound")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    args.setups = [s if isinstance(s, Setup) else Setup.parse(s) for s in args.setups]
    return args


async def main_async(args: argparse.Namespace) -> list[Result]:
    results = []
    with databases(args.setups) as where:
        for setup in args.setups:
            burst = await run_burst(setup, where.env(setup), args)
            storm = await run_storm(setup, where.env(setup), args)
            result = Result(store=setup.store, workers=setup.workers, burst=burst, storm=storm)
            results.append(result)
            if not args.json:
                print(table([result]).splitlines()[-1], flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure_logging("ERROR", stream=sys.stderr)
    results = asyncio.run(main_async(args))
    if args.json:
        print(orjson.dumps([asdict(r) for r in results]).decode())
    else:
        print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
