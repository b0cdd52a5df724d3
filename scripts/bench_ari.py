"""ARI benchmark: what a full sync costs on the wire, and how fast a PMS change reaches Channex.

    python scripts/bench_ari.py [--days 500] [--changes 50] [--seed 7] [--json]

Everything runs in this process on loopback (`middleware.sandbox.system`): the Channex and
sistema-os emulators and the real middleware, web and worker, with production settings
unless said otherwise.

(a) Full sync of Duke Beach over `--days` days: calls, values and bytes per endpoint, beside a
    naive push of the same cells — one value per (entity, date) carrying all its fields,
    batched into as few calls as CHANNEX_MAX_PAYLOAD_BYTES allows.
(b) Change-to-Channex lag: `--changes` single rate changes on random dates (seeded), one at a
    time, each timed from the change in sistema-os (which notifies `/webhook/pms`) to the
    emulated Channex holding the new rate; with the default ARI_DEBOUNCE=2 and with 0.2 (the
    floor). For this part the rate limit is raised to 1000 calls a minute in both the emulator
    and the middleware, so the limiter never holds a change back: what is measured is the
    debounce and the pipeline, not Channex's 10 calls a minute.
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
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson

from middleware import logs
from middleware.clock import Clock, utc_now
from middleware.domain import encode, money
from middleware.domain.models import BOOL_FIELDS, KINDS, Kind
from middleware.sandbox.system import System, open_system
from middleware.sandbox.system_emulators import ChannexKnobs, Hotels

LAG_DEBOUNCES_S = (2.0, 0.2)
HIGH_RATE_LIMIT = 1000
LAG_TIMEOUT_S = 60.0
LAG_POLL_S = 0.002
HOTEL = "duke_beach"


# --------------------------------------------------------------------------- (a) full sync


def naive_values(
    kind: Kind, values: Sequence[dict[str, Any]], *, property_id: str, currency: str
) -> list[dict[str, Any]]:
    """The same cells as `values`, one value per (entity, date) with every field it holds."""
    entity_key = encode.ENTITY_KEYS[kind]
    cells = encode.expand_values(kind, values, currency=currency)
    out: list[dict[str, Any]] = []
    for key, fields in sorted(cells.items()):
        value: dict[str, Any] = {
            "property_id": property_id,
            entity_key: key.entity_id,
            "date": key.day.isoformat(),
        }
        for name, field_value in fields.items():
            if name == "rate":
                value[name] = money.format_rate(Decimal(field_value), currency, "auto")
            elif name in BOOL_FIELDS:
                value[name] = bool(field_value)
            else:
                value[name] = int(field_value)
        out.append(value)
    return out


def body_bytes(values: Sequence[dict[str, Any]]) -> int:
    return len(orjson.dumps({"values": list(values)}))


async def bench_full_sync(days: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ari-") as workdir:
        env = {"CHANNEX_SYNC_DAYS": str(days)}
        async with open_system(
            Path(workdir), clock=utc_now, hotels=Hotels(plan=HOTEL), env=env
        ) as stack:
            started = time.perf_counter()
            status, answer = await stack.admin("POST", "/sync/full")
            if status != 202:
                raise RuntimeError(f"/sync/full answered {status}: {answer}")
            await stack.settle()
            elapsed_s = time.perf_counter() - started
            currency = stack.mapping.properties[0].currency
            limit = stack.settings.channex_max_payload_bytes
            endpoints: dict[str, Any] = {}
            for kind in KINDS:
                calls = stack.channex.calls("POST", f"/{kind}")
                bodies = [c.body for c in calls if c.status == 200]
                values = [v for body in bodies for v in body["values"]]
                naive = naive_values(kind, values, property_id=stack.property_id, currency=currency)
                endpoints[kind] = _figures(
                    calls=len(calls),
                    values=len(values),
                    sent_bytes=sum(len(orjson.dumps(body)) for body in bodies),
                    naive_calls=len(encode.split_values(naive, limit)),
                    naive_values=len(naive),
                    naive_bytes=sum(body_bytes(c) for c in encode.split_values(naive, limit)),
                )
            total = _figures(
                **{
                    name: sum(e[name] for e in endpoints.values())
                    for name in ("calls", "values", "naive_calls", "naive_values", "naive_bytes")
                },
                sent_bytes=sum(e["bytes"] for e in endpoints.values()),
            )
            first = stack.today()
            return {
                "hotel": HOTEL,
                "days": days,
                "date_from": first.isoformat(),
                "date_to": (first + timedelta(days=days - 1)).isoformat(),
                "seconds": round(elapsed_s, 3),
                "endpoints": endpoints,
                "total": total,
            }


def _figures(
    *,
    calls: int,
    values: int,
    sent_bytes: int,
    naive_calls: int,
    naive_values: int,
    naive_bytes: int,
) -> dict[str, Any]:
    return {
        "calls": calls,
        "values": values,
        "bytes": sent_bytes,
        "naive_calls": naive_calls,
        "naive_values": naive_values,
        "naive_bytes": naive_bytes,
        "values_ratio": round(naive_values / values, 2) if values else None,
        "bytes_ratio": round(naive_bytes / sent_bytes, 2) if sent_bytes else None,
    }


# --------------------------------------------------------------------------- (b) lag


async def _holds(stack: System[Clock], rate_plan_id: str, day: Any, rate: Decimal) -> None:
    deadline = time.monotonic() + LAG_TIMEOUT_S
    while time.monotonic() < deadline:
        grid = stack.channex.restrictions(stack.property_id, day, day)
        if grid.get(rate_plan_id, {}).get(day, {}).get("rate") == rate:
            return
        await asyncio.sleep(LAG_POLL_S)
    raise TimeoutError(f"Channex did not get {rate} on {day} within {LAG_TIMEOUT_S} s")


async def bench_lag(days: int, changes: int, seed: int, debounce_s: float) -> dict[str, Any]:
    env = {
        "CHANNEX_SYNC_DAYS": str(days),
        "ARI_DEBOUNCE": str(debounce_s),
        "CHANNEX_PRICE_RATE_LIMIT": str(HIGH_RATE_LIMIT),
        "CHANNEX_AVAIL_RATE_LIMIT": str(HIGH_RATE_LIMIT),
    }
    with tempfile.TemporaryDirectory(prefix="bench-ari-") as workdir:
        async with open_system(
            Path(workdir),
            clock=utc_now,
            hotels=Hotels(plan=HOTEL),
            channex=ChannexKnobs(rate_limit=HIGH_RATE_LIMIT),
            env=env,
        ) as stack:
            await stack.admin("POST", "/sync/full")
            await stack.settle()
            plans = [
                (room.room_code, plan.plan_code, plan.rate_plan_id)
                for prop in stack.mapping
                for room in prop.room_types
                for plan in room.rate_plans
            ]
            rng = random.Random(seed)
            lags: list[float] = []
            for _ in range(changes):
                room_code, plan_code, rate_plan_id = rng.choice(plans)
                day = stack.today() + timedelta(days=rng.randrange(1, days))
                current = stack.pms.state.plan_day(room_code, plan_code, day).rate
                new_rate = current + Decimal(rng.randint(1, 99))
                started = time.perf_counter()
                stack.pms.set_rate(room_code, plan_code, day, day, new_rate)
                await _holds(stack, rate_plan_id, day, new_rate)
                lags.append(time.perf_counter() - started)
                await stack.settle()
            settings = stack.settings
            return {
                "ari_debounce_s": debounce_s,
                "ari_max_delay_s": settings.ari_max_delay_s,
                "worker_interval_s": settings.worker_interval_s,
                "changes": changes,
                "median_s": round(statistics.median(lags), 3),
                "p99_s": round(_percentile(lags, 99), 3),
                "min_s": round(min(lags), 3),
                "max_s": round(max(lags), 3),
            }


def _percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- the command


async def run(days: int, changes: int, seed: int) -> dict[str, Any]:
    full = await bench_full_sync(days)
    lag = [await bench_lag(days, changes, seed, d) for d in LAG_DEBOUNCES_S] if changes else []
    return {
        "full_sync": full,
        "lag": lag,
        "notes": [
            "in-process emulators and middleware on loopback (one-process mode: the PMS "
            "webhook wakes the worker)",
            f"lag runs raise the rate limit to {HIGH_RATE_LIMIT}/min in the emulator and "
            "the middleware (CHANNEX_PRICE_RATE_LIMIT, CHANNEX_AVAIL_RATE_LIMIT)",
            f"lag changes: seed {seed}, one at a time, each a single rate on a random date",
        ],
    }


def render(result: dict[str, Any]) -> str:
    full = result["full_sync"]
    lines = [
        f"(a) Full sync, Duke Beach, {full['days']} days ({full['date_from']} .. "
        f"{full['date_to']}), {full['seconds']} s",
        "",
        f"{'endpoint':<14}{'calls':>6}{'values':>9}{'bytes':>11}   "
        f"{'naive calls':>11}{'values':>9}{'bytes':>12}   {'values ×':>9}{'bytes ×':>9}",
    ]
    rows = [*full["endpoints"].items(), ("total", full["total"])]
    for name, e in rows:
        lines.append(
            f"{name:<14}{e['calls']:>6}{e['values']:>9}{e['bytes']:>11}   "
            f"{e['naive_calls']:>11}{e['naive_values']:>9}{e['naive_bytes']:>12}   "
            f"{e['values_ratio']:>9}{e['bytes_ratio']:>9}"
        )
    if result["lag"]:
        first = result["lag"][0]
        lines += [
            "",
            f"(b) Change-to-Channex lag, {first['changes']} single rate changes "
            f"(WORKER_INTERVAL={first['worker_interval_s']}, "
            f"ARI_MAX_DELAY={first['ari_max_delay_s']}, rate limit {HIGH_RATE_LIMIT}/min)",
            "",
            f"{'ARI_DEBOUNCE':<14}{'median s':>10}{'p99 s':>10}{'min s':>10}{'max s':>10}",
        ]
        for row in result["lag"]:
            lines.append(
                f"{row['ari_debounce_s']:<14}{row['median_s']:>10}{row['p99_s']:>10}"
                f"{row['min_s']:>10}{row['max_s']:>10}"
            )
    lines += ["", *(f"note: {n}" for n in result["notes"])]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=500, help="full-sync horizon (2..730)")
    parser.add_argument("--changes", type=int, default=50, help="single changes per lag run")
    parser.add_argument("--seed", type=int, default=7, help="seed of the lag changes")
    parser.add_argument("--json", action="store_true", help="print machine-readable figures")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not 2 <= args.days <= 730 or args.changes < 0:
        print("error: --days must be within 2..730 and --changes >= 0", file=sys.stderr)
        return 2
    logs.configure_logging("ERROR", stream=sys.stderr)
    result = asyncio.run(run(args.days, args.changes, args.seed))
    print(
        orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if args.json else render(result)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
