"""Many hotels, one middleware: ARI throughput against the rate-limit ceiling, under a storm.

    python scripts/bench_properties.py [--hotels 1 10 50 200] [--storm-s 120] [--json]

For each N: N hotels (two categorias each, `sandbox.many_hotels`), every one with its own
sistema-os emulator (all served by this process under one address) and all in one emulated
Channex that answers every ARI write after `--latency-s` (300 ms) and holds each property to
10 calls a minute per endpoint. The middleware runs as ONE child process in one-process mode
(`python -m middleware.web`, worker inside), or with `--processes two` as a web and a worker
process (`python -m middleware.worker`), production settings otherwise. After a full sync,
every hotel's PMS changes all the time for `--storm-s` (a new rate, then a walk-in booking,
every `--change-every-s` per hotel; each change notifies `/webhook/pms`), and OTA bookings
arrive at random hotels `--bookings-per-s` times a second. Reported:

- calls/min: accepted ARI writes during the storm (after its first minute, when the storm
  lasts two or more: the first may hold a burst), against the ceiling N x 20;
- max/window: the most calls any one lane (property, endpoint) had in any 60 s window (<= 10);
- 429s: refusals by the emulated Channex (the middleware's own limiter should leave none);
- converge: seconds from the storm's end until the middleware is idle and Channex holds the
  PMS's availability and rates for every hotel and day of the horizon;
- booking p50/p99: booking webhook sent -> revision acked, for bookings made during the storm;
- RSS / CPU: the middleware process's peak resident memory and its CPU use during the storm
  (100 % = one core); with two processes, the worker's (the web's CPU in brackets). The
  two-process booking figures include the worker's wake-up poll (`WORKER_INTERVAL`, 5 s): a
  web process does no booking work and wakes the worker through the store.

The machine may be shared: runs are short by default and every number is what this box did
then, not a capacity figure. Linux only (`/proc`).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the `middleware` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import random
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import orjson

from middleware import clock as clocks
from middleware import logs
from middleware.domain.mapping import Mapping
from middleware.sandbox import many_hotels
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.channex_limits import max_calls_in_window
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.processes import MiddlewareProcess
from middleware.sandbox.system_emulators import ChannexKnobs, Emulators, Hotels, open_emulators
from middleware.sandbox.system_processes import run_middleware
from middleware.store.open import open_store_file
from middleware.store.port import Store
from scripts import bench_process as procs

LIMIT = 10  # Channex: calls a minute per property and endpoint
WINDOW_S = 60.0
SYNC_DAYS = 30
SETTLE_TIMEOUT_S = 600.0
POLL_S = 0.5
ARI_PATHS = ("/api/v1/availability", "/api/v1/restrictions")


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    hotels: int
    calls_per_min: float
    ceiling_per_min: int
    max_in_window: int
    refused_429: int
    full_sync_s: float
    converge_s: float | None
    bookings: int
    bookings_acked: int
    booking_p50_s: float | None
    booking_p99_s: float | None
    rss_mib: float
    cpu_pct: float
    processes: str = "one"  # "one": web with the worker inside; "two": web and worker
    web_cpu_pct: float | None = None  # two processes: the web's CPU (cpu_pct is the worker's)

    @property
    def of_ceiling(self) -> float:
        return 100 * self.calls_per_min / self.ceiling_per_min


async def _idle(store: Store) -> bool:
    """No sync request open and no outbox row left, read in that order (`system.work_left`)."""
    if await store.sync_requests.pending_count():
        return False
    lanes = await store.outbox.backlog(clocks.utc_now())
    return not sum(b.pending + b.in_flight for b in lanes)


def _mismatches(channex: ChannexEmulator, hotels: list[PmsEmulator], mapping: Mapping) -> int:
    """Cells (availability or rate) where Channex does not hold what the PMS says."""
    wrong = 0
    for prop, pms in zip(mapping.properties, hotels, strict=True):
        first = pms.today()
        last = first + timedelta(days=SYNC_DAYS - 1)
        doc = pms.ari(first, last)
        held = channex.availability(prop.property_id, first, last)
        rates = channex.restrictions(prop.property_id, first, last)
        for room_doc in doc["room_types"]:
            ref = mapping.by_room_code(prop.property_id, room_doc["categoria"])
            if ref is None:
                continue
            plan_id = ref.room.rate_plans[0].rate_plan_id
            for day_doc in room_doc["days"]:
                day = date.fromisoformat(day_doc["date"])
                units = max(0, min(int(day_doc["available"]), int(room_doc["total"])))
                if held.get(ref.room.room_type_id, {}).get(day) != units:
                    wrong += 1
                rate = Decimal(str(day_doc["rates"][0]["rate"]))
                if Decimal(str(rates.get(plan_id, {}).get(day, {}).get("rate"))) != rate:
                    wrong += 1
    return wrong


async def _storm(
    hotels: list[PmsEmulator], seconds: float, change_every_s: float, seed: int
) -> None:
    """Every hotel's PMS changes every `change_every_s`, the hotels staggered."""
    rng = random.Random(seed)
    count = len(hotels)
    step_s = change_every_s / count
    deadline = time.monotonic() + seconds
    tick = 0
    while time.monotonic() < deadline:
        index = tick % count
        pms = hotels[index]
        code = many_hotels.code_of(index, rng.choice(many_hotels.DEFAULT_CODES))
        day = pms.today() + timedelta(days=rng.randrange(1, SYNC_DAYS - 1))
        if (tick // count) % 2:
            with contextlib.suppress(Exception):  # a full night: nothing to book
                pms.book_direct(code, day, day + timedelta(days=1))
        else:
            pms.set_rate(code, "padrao", day, day, Decimal(rng.randrange(300, 900)))
        tick += 1
        await asyncio.sleep(step_s)


async def _bookings(
    channex: ChannexEmulator, mapping: Mapping, seconds: float, per_s: float, seed: int
) -> dict[str, float]:
    """OTA bookings at random hotels; revision id -> when its webhook was sent."""
    rng = random.Random(seed + 1)
    sent: dict[str, float] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        prop = rng.choice(mapping.properties)
        room = rng.choice(prop.room_types)
        checkin = clocks.hotel_today(prop.timezone, clocks.utc_now()) + timedelta(
            days=rng.randrange(2, SYNC_DAYS - 3)
        )
        _, revision_id = channex.create_booking(
            property_id=prop.property_id,
            rooms=[
                {
                    "room_type_id": room.room_type_id,
                    "rate_plan_id": room.rate_plans[0].rate_plan_id,
                    "checkin_date": checkin.isoformat(),
                    "checkout_date": (checkin + timedelta(days=1)).isoformat(),
                    "adults": 2,
                    "children": 0,
                }
            ],
        )
        sent[revision_id] = time.monotonic()
        await asyncio.sleep(1 / per_s)
    return sent


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def run_one(n: int, args: argparse.Namespace) -> Row:
    env = {
        "CHANNEX_SYNC_DAYS": str(SYNC_DAYS),
        "WORKER_CONCURRENCY": str(args.concurrency),
        "PMS_POLL_INTERVAL": "0",
        "FEED_POLL_INTERVAL": "0",
        "PARITY_INTERVAL": "0",
        "PARITY_FULL_HOUR": "",
        "LOG_LEVEL": "WARNING",
    }
    channex = ChannexKnobs(rate_limit=LIMIT, window_s=WINDOW_S, ari_delay_s=args.latency_s)
    with tempfile.TemporaryDirectory(prefix="bench-properties-") as tmp:
        workdir = Path(tmp)
        async with (
            open_emulators(
                workdir, clock=clocks.utc_now, hotels=Hotels(count=n), channex=channex
            ) as emulators,
            run_middleware(emulators, workdir, split=args.processes == "two", env=env) as child,
        ):
            store = await open_store_file(workdir / "middleware.db")
            try:
                return await _measure(n, args, emulators, store, child.web, child.worker)
            finally:
                await store.close()


async def _measure(
    n: int,
    args: argparse.Namespace,
    emulators: Emulators[clocks.Clock],
    store: Store,
    web: MiddlewareProcess,
    worker: MiddlewareProcess | None,
) -> Row:
    """`worker`: the worker process (None in one-process mode: the web runs it)."""
    channex, hotels, mapping = emulators.channex, emulators.pms_hotels, emulators.mapping
    child = web if worker is None else worker
    assert child.pid is not None and web.pid is not None
    began = time.monotonic()
    ids = [prop.property_id for prop in mapping]  # the go-live full sync of every hotel
    await store.live.go_live(ids, clocks.utc_now(), by="bench_properties", source="sync_full")
    await _until(lambda: _idle(store), "the full sync")
    full_sync_s = time.monotonic() - began

    cpu_before = procs.cpu_seconds(child.pid)
    web_cpu_before = procs.cpu_seconds(web.pid)
    storm_from = time.monotonic()
    _, sent = await asyncio.gather(
        _storm(hotels, args.storm_s, args.change_every_s, args.seed),
        _bookings(channex, mapping, args.storm_s, args.bookings_per_s, args.seed),
    )
    storm_to = time.monotonic()
    cpu_pct = 100 * (procs.cpu_seconds(child.pid) - cpu_before) / (storm_to - storm_from)
    web_cpu_pct = 100 * (procs.cpu_seconds(web.pid) - web_cpu_before) / (storm_to - storm_from)
    for pms in hotels:
        await pms.drain_notifications()

    converge_s: float | None = None
    deadline = storm_to + args.converge_timeout_s
    while time.monotonic() < deadline:
        if await _idle(store) and _mismatches(channex, hotels, mapping) == 0:
            converge_s = time.monotonic() - storm_to
            break
        await asyncio.sleep(POLL_S)

    writes = [r for r in channex.requests if r.method == "POST" and r.path in ARI_PATHS]
    # After the storm's first window: that one may also carry a burst the full sync left room
    # for; from then on every window holds at most LIMIT calls per lane.
    steady_from = storm_from + WINDOW_S if storm_to - storm_from >= 2 * WINDOW_S else storm_from
    during = [r for r in writes if steady_from <= r.at <= storm_to and r.status == 200]
    lanes: dict[tuple[str, str], list[float]] = {}
    for r in writes:
        if r.status != 429:
            for pid in r.property_ids:
                lanes.setdefault((pid, r.path), []).append(r.at)
    max_window = max((max_calls_in_window(t, WINDOW_S) for t in lanes.values()), default=0)
    acks = {
        r.path.split("/")[-2]: r.at
        for r in channex.requests
        if r.method == "POST" and r.path.endswith("/ack") and r.status == 200
    }
    latencies = sorted(acks[rid] - at for rid, at in sent.items() if rid in acks)
    return Row(
        hotels=n,
        calls_per_min=len(during) * 60 / (storm_to - steady_from),
        ceiling_per_min=n * 2 * LIMIT,
        max_in_window=max_window,
        refused_429=sum(1 for r in writes if r.status == 429),
        full_sync_s=full_sync_s,
        converge_s=converge_s,
        bookings=len(sent),
        bookings_acked=len(latencies),
        booking_p50_s=_percentile(latencies, 50),
        booking_p99_s=_percentile(latencies, 99),
        rss_mib=procs.peak_rss_kib(child.pid) / 1024,
        cpu_pct=cpu_pct,
        processes="one" if worker is None else "two",
        web_cpu_pct=None if worker is None else web_cpu_pct,
    )


async def _until(check: Any, what: str) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done within {SETTLE_TIMEOUT_S} s")
        await asyncio.sleep(POLL_S)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[Row]) -> str:
    head = (
        "| hotels | calls/min | ceiling | of ceiling | max/window | 429s | full sync s |"
        " converge s | bookings acked | booking p50 s | p99 s | RSS MiB | CPU % |"
    )
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        hotels = f"{r.hotels}" if r.processes == "one" else f"{r.hotels} (web + worker)"
        cpu = f"{r.cpu_pct:.0f}" + ("" if r.web_cpu_pct is None else f" ({r.web_cpu_pct:.0f})")
        lines.append(
            f"| {hotels} | {r.calls_per_min:.0f} | {r.ceiling_per_min} | {r.of_ceiling:.0f} % |"
            f" {r.max_in_window} | {r.refused_429} | {r.full_sync_s:.1f} |"
            f" {_fmt(r.converge_s, '.1f')} | {r.bookings_acked}/{r.bookings} |"
            f" {_fmt(r.booking_p50_s, '.2f')} | {_fmt(r.booking_p99_s, '.2f')} |"
            f" {r.rss_mib:.0f} | {cpu} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--hotels", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--storm-s", type=float, default=120.0)
    parser.add_argument("--latency-s", type=float, default=0.3)
    parser.add_argument("--change-every-s", type=float, default=2.0)
    parser.add_argument("--bookings-per-s", type=float, default=0.5)
    parser.add_argument("--converge-timeout-s", type=float, default=180.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--processes",
        choices=("one", "two"),
        default="one",
        help="one: the web with the worker inside (default); two: a web and a worker process",
    )
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> list[Row]:
    rows = []
    for n in args.hotels:
        row = await run_one(n, args)
        rows.append(row)
        if not args.json:
            print(table([row]).splitlines()[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure_logging("ERROR", stream=sys.stderr)
    rows = asyncio.run(main_async(args))
    if args.json:
        print(orjson.dumps([asdict(r) for r in rows]).decode())
    else:
        print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
