"""Bookings benchmark: how long an OTA booking takes from Channex's webhook to Channex's ack.

    python scripts/bench_bookings.py [--bookings 200] [--worker-interval 0.02] [--json]

Everything runs in this process on loopback (`middleware.sandbox.stack`): the Channex and
sistema-os emulators and the real middleware, web with the worker inside.

(a) Middleware: `--bookings` one-room bookings, one at a time. Each is timed from the moment
    the Channex emulator creates the revision (and sends its webhooks) to the moment the ack
    for that revision arrives at the emulator; in between the middleware stored the webhook,
    fetched the revision, created the booking in sistema-os and recorded it. The part up to
    the revision fetch is reported too: that is the wait for the worker's next pass
    (`WORKER_INTERVAL`), the rest is the work.
(b) Direct: the same three HTTP calls made by hand with aiohttp, in sequence, for as many
    bookings (webhooks switched off): GET /booking_revisions/:id, POST
    /api/v1/channex/booking, POST /booking_revisions/:id/ack — the floor for (a).
Times are the emulator's arrival times of the calls (one monotonic clock for both runs).
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
import math
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp
import orjson

from middleware import logs
from middleware.sandbox.faults import FaultPlan
from middleware.sandbox.stack import API_KEY, Stack, open_stack

HOTEL = "duke_beach"
FIRST_NIGHT_DAYS = 20  # the first stay starts this many days after today
ACK_TIMEOUT_S = 30.0
POLL_S = 0.002
DROP_WEBHOOKS = FaultPlan(seed=1, p_drop_webhook=1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stay:
    code: str
    checkin: date
    checkout: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """Seconds after the revision was created: its fetch and its ack reached Channex."""

    revision_id: str
    booking_id: str
    fetch_s: float
    ack_s: float


def stays(codes: Sequence[str], count: int, first: date) -> list[Stay]:
    """`count` one-night stays, round-robin over the categorias, a new night every round: no
    two share a categoria and a night, so the hotel never runs out of apartments."""
    return [
        Stay(
            code=codes[n % len(codes)],
            checkin=first + timedelta(days=n // len(codes)),
            checkout=first + timedelta(days=n // len(codes) + 1),
        )
        for n in range(count)
    ]


def _spec(stack: Stack, stay: Stay, n: int) -> dict[str, Any]:
    return {
        "property_id": stack.property_id,
        "rooms": [
            {
                "room_type_id": stack.room_type_id(stay.code),
                "rate_plan_id": stack.rate_plan_id(stay.code, "padrao"),
                "checkin_date": stay.checkin.isoformat(),
                "checkout_date": stay.checkout.isoformat(),
                "adults": 2,
            }
        ],
        "customer": {"name": "Bench", "surname": f"Guest {n}", "mail": f"g{n}@example.com"},
    }


def _arrival(stack: Stack, method: str, path: str, since: int) -> float | None:
    """The emulator's arrival time of the first such call at or after log index `since`."""
    full = "/api/v1" + path
    for request in stack.channex.requests[since:]:
        if request.method == method and request.path == full and request.status == 200:
            return request.at
    return None


async def _ack_arrival(stack: Stack, revision_id: str, since: int) -> float:
    deadline = time.monotonic() + ACK_TIMEOUT_S
    path = f"/booking_revisions/{revision_id}/ack"
    while (at := _arrival(stack, "POST", path, since)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"revision {revision_id} not acked within {ACK_TIMEOUT_S} s")
        await asyncio.sleep(POLL_S)
    return at


def _timing(stack: Stack, booking_id: str, revision_id: str, since: int, t0: float) -> Timing:
    fetch = _arrival(stack, "GET", f"/booking_revisions/{revision_id}", since)
    ack = _arrival(stack, "POST", f"/booking_revisions/{revision_id}/ack", since)
    if fetch is None or ack is None:
        raise RuntimeError(f"revision {revision_id}: fetch or ack missing")
    return Timing(
        revision_id=revision_id, booking_id=booking_id, fetch_s=fetch - t0, ack_s=ack - t0
    )


async def bench_middleware(stack: Stack, plan: Sequence[Stay]) -> list[Timing]:
    timings = []
    for n, stay in enumerate(plan):
        since = len(stack.channex.requests)
        t0 = time.monotonic()  # the emulator stamps calls with this clock
        booking_id, revision_id = stack.channex.create_booking(**_spec(stack, stay, n))
        await _ack_arrival(stack, revision_id, since)
        timings.append(_timing(stack, booking_id, revision_id, since, t0))
    return timings


async def bench_direct(stack: Stack, plan: Sequence[Stay], offset: int) -> list[Timing]:
    """The three calls by hand; webhooks are dropped so the middleware never sees these."""
    codes = {stack.room_type_id(stay.code): stay.code for stay in plan}
    headers = {"user-api-key": API_KEY}
    timings = []
    stack.channex.faults = DROP_WEBHOOKS
    try:
        async with aiohttp.ClientSession() as session:
            for n, stay in enumerate(plan, start=offset):
                since = len(stack.channex.requests)
                t0 = time.monotonic()  # the emulator stamps calls with this clock
                booking_id, revision_id = stack.channex.create_booking(**_spec(stack, stay, n))
                url = f"{stack.channex_url}/booking_revisions/{revision_id}"
                async with session.get(url, headers=headers) as response:
                    response.raise_for_status()
                    attrs = (await response.json())["data"]["attributes"]
                room = attrs["rooms"][0]
                customer = attrs["customer"]
                body = {
                    "categoria": codes[room["room_type_id"]],
                    "data_checkin": room["checkin_date"],
                    "data_checkout": room["checkout_date"],
                    "hospede_nome": f"{customer['name']} {customer['surname']}",
                    "hospede_email": customer["mail"],
                    "adultos": room["occupancy"]["adults"],
                    "criancas": room["occupancy"]["children"],
                    "valor_total": room["amount"],
                    "moeda": attrs["currency"],
                    "canal": attrs["ota_name"],
                    "codigo_ota": attrs["unique_id"],
                    "channex_booking_id": booking_id,
                    "channex_revision_id": revision_id,
                    "quarto_indice": 0,
                }
                async with session.post(
                    f"{stack.pms_url}/api/v1/channex/booking",
                    json=body,
                    headers={"Idempotency-Key": f"{booking_id}:0"},
                ) as response:
                    response.raise_for_status()
                    await response.json()
                async with session.post(url + "/ack", headers=headers) as response:
                    response.raise_for_status()
                    await response.read()
                timings.append(_timing(stack, booking_id, revision_id, since, t0))
    finally:
        stack.channex.faults = None
    return timings


def _percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def figures(samples_s: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p99_ms": round(_percentile(ms, 99), 2),
        "min_ms": round(min(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def problems(stack: Stack, timings: Sequence[Timing]) -> list[str]:
    """What would make the figures meaningless: a booking not exactly once in the PMS, a
    revision not acked exactly once."""
    acks = Counter(
        r.path.split("/")[-2]
        for r in stack.channex.requests
        if r.method == "POST" and r.path.endswith("/ack") and r.status == 200
    )
    in_pms = Counter(b.channex_booking_id for b in stack.pms.bookings())
    found = []
    for t in timings:
        if in_pms[t.booking_id] != 1:
            found.append(f"booking {t.booking_id}: {in_pms[t.booking_id]} PMS bookings")
        if acks[t.revision_id] != 1:
            found.append(f"revision {t.revision_id}: acked {acks[t.revision_id]} times")
    return found


async def run(bookings: int, worker_interval_s: float) -> dict[str, Any]:
    env = {"WORKER_INTERVAL": str(worker_interval_s), "FEED_POLL_INTERVAL": "0"}
    with tempfile.TemporaryDirectory(prefix="bench-bookings-") as workdir:
        async with open_stack(Path(workdir), hotel=HOTEL, env=env) as stack:
            # live (without the full sync): each booking's availability re-sync is pushed
            ids = [prop.property_id for prop in stack.mapping]
            await stack.context.runtime.store.live.put_live(ids, stack.clock(), by="bench")
            codes = stack.mapping.room_codes()
            plan = stays(codes, 2 * bookings, stack.today() + timedelta(days=FIRST_NIGHT_DAYS))
            direct = await bench_direct(stack, plan[bookings:], bookings)
            middleware = await bench_middleware(stack, plan[:bookings])
            wrong = problems(stack, [*direct, *middleware])
    if wrong:
        raise RuntimeError("; ".join(wrong[:5]))
    mw = figures([t.ack_s for t in middleware])
    floor = figures([t.ack_s for t in direct])
    return {
        "bookings": bookings,
        "hotel": HOTEL,
        "worker_interval_s": worker_interval_s,
        "middleware": {
            **mw,
            "to_fetch": figures([t.fetch_s for t in middleware]),
            "fetch_to_ack": figures([t.ack_s - t.fetch_s for t in middleware]),
        },
        "direct": floor,
        "ratio": {
            "median": round(mw["median_ms"] / floor["median_ms"], 2),
            "p99": round(mw["p99_ms"] / floor["p99_ms"], 2),
        },
        "notes": [
            "in-process emulators and middleware on loopback (web with the worker inside); "
            "one booking at a time, each timed from the revision's creation to the ack's "
            "arrival at the Channex emulator",
            "in one process a stored booking webhook wakes the worker at once; with a "
            "separate worker process a revision waits for its next bookings pass "
            f"(WORKER_INTERVAL={worker_interval_s} s here, 5 s by default)",
            "the middleware also stores each webhook (twice: booking and booking_new), "
            "records the booking in SQLite and asks for the ARI resync the booking caused",
        ],
    }


def render(result: dict[str, Any]) -> str:
    mw, direct, ratio = result["middleware"], result["direct"], result["ratio"]
    rows = [
        ("middleware, webhook → ack", mw),
        ("  of which webhook → fetch", mw["to_fetch"]),
        ("  of which fetch → ack", mw["fetch_to_ack"]),
        ("direct, the 3 calls", direct),
    ]
    lines = [
        f"Bookings in: {result['bookings']} one-room bookings, one at a time "
        f"({result['hotel']}, WORKER_INTERVAL={result['worker_interval_s']} s)",
        "",
        f"{'':<30}{'median ms':>10}{'p99 ms':>10}{'min ms':>10}{'max ms':>10}",
    ]
    for name, f in rows:
        lines.append(
            f"{name:<30}{f['median_ms']:>10}{f['p99_ms']:>10}{f['min_ms']:>10}{f['max_ms']:>10}"
        )
    lines += [
        f"{'ratio middleware / direct':<30}{ratio['median']:>10}{ratio['p99']:>10}",
        "",
        *(f"note: {n}" for n in result["notes"]),
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--bookings", type=int, default=200, help="bookings per run (1..1000)")
    parser.add_argument(
        "--worker-interval", type=float, default=0.02, help="WORKER_INTERVAL in seconds"
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 1 <= args.bookings <= 1000 or args.worker_interval < 0.01:
        print(
            "error: --bookings must be within 1..1000 and --worker-interval >= 0.01",
            file=sys.stderr,
        )
        return 2
    logs.configure_logging("ERROR", stream=sys.stderr)
    result = asyncio.run(run(args.bookings, args.worker_interval))
    print(
        orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if args.json else render(result)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
