"""Webhook intake under load: the middleware's web process beside a bare Starlette endpoint.

Both servers run as one process each, served by `uvicorn.run` with the same options
(`python -m middleware.web`, `scripts/bench_bare.py`), and get the same load from this process:
one aiohttp `ClientSession` with `TCPConnector(limit=concurrency)`, `concurrency` clients each
posting the next body until `requests` are sent (or `PHASE_TIMEOUT_S` passes). Every body is a
distinct, valid booking event (its own revision id, a fresh timestamp, the right secret header),
so each one the middleware answers 200 has been committed to SQLite (WAL, synchronous=NORMAL)
and queued as a revision — which is checked afterwards by counting the rows.

Per server: a warm-up (not counted), `SEQUENTIAL_PROBES` requests one at a time (latency with
no queueing: a Nagle / delayed-ACK stall would show here as ~40 ms), then the measured load.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.mapping_file import write_mapping
from scripts import bench_process as procs

PATH = "/webhook/channex"
SECRET = "bench-webhook-secret-0123456789"
SECRET_HEADER = "X-Channex-Webhook-Secret"
PROPERTY_ID = "0b0e7c1e-5a1f-4d34-9d0c-6c0ffee00001"
SEQUENTIAL_PROBES = 200
ROUNDS = 4
PHASE_TIMEOUT_S = 120.0  # a round stops sending after this long
REQUEST_TIMEOUT_S = 30.0  # a request that hangs counts as a failure
NAGLE_SUSPECT_MS = 20.0  # a delayed ACK costs ~40 ms on Linux loopback


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def booking_bodies(count: int, now: datetime) -> list[bytes]:
    """`count` booking webhooks as Channex sends them, each with its own booking and revision."""
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        orjson.dumps(
            {
                "event": "booking",
                "payload": {
                    "booking_id": str(uuid.uuid4()),
                    "property_id": PROPERTY_ID,
                    "revision_id": str(uuid.uuid4()),
                },
                "property_id": PROPERTY_ID,
                "user_id": None,
                "timestamp": stamp,
            }
        )
        for _ in range(count)
    ]


@dataclass(slots=True)
class Tally:
    """What the measured rounds against one server add up to."""

    latencies_s: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0

    def figures(self) -> dict[str, Any]:
        ok = len(self.latencies_s)
        ms = [s * 1000 for s in self.latencies_s]
        return {
            "requests": ok + sum(self.failures.values()),
            "ok": ok,
            "failures": dict(self.failures),
            "seconds": round(self.seconds, 3),
            "rps": round(ok / self.seconds, 1) if self.seconds > 0 else 0.0,
            "p50_ms": round(percentile(ms, 50), 2) if ok else None,
            "p99_ms": round(percentile(ms, 99), 2) if ok else None,
            "max_ms": round(max(ms), 2) if ok else None,
            "server_cpu_ms_per_request": round(self.server_cpu_s * 1000 / ok, 3) if ok else None,
            "client_cpu_ms_per_request": round(self.client_cpu_s * 1000 / ok, 3) if ok else None,
            # of one core: near 1.0 the load generator, not the server, set the pace
            "client_cpu_share": round(self.client_cpu_s / self.seconds, 2)
            if self.seconds
            else None,
        }


async def run_load(
    session: aiohttp.ClientSession,
    url: str,
    bodies: Sequence[bytes],
    concurrency: int,
    tally: Tally,
) -> None:
    """Post every body, `concurrency` at a time; latencies of the 200s, failures by kind."""
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    pending = iter(bodies)
    deadline = time.monotonic() + PHASE_TIMEOUT_S

    async def client() -> None:
        for body in pending:
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                tally.failures[type(exc).__name__] += 1
                continue
            if status == 200:
                tally.latencies_s.append(time.perf_counter() - started)
            else:
                tally.failures[str(status)] += 1

    cpu_before = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    tally.seconds += time.perf_counter() - started
    tally.client_cpu_s += time.process_time() - cpu_before


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    name: str
    child: procs.Child
    url: str  # of the webhook route


async def measure_round(
    session: aiohttp.ClientSession, target: Target, count: int, concurrency: int, tally: Tally
) -> None:
    bodies = booking_bodies(count, datetime.now(UTC))  # fresh timestamps for every round
    cpu_before = procs.cpu_seconds(target.child.pid)
    await run_load(session, target.url, bodies, concurrency, tally)
    tally.server_cpu_s += procs.cpu_seconds(target.child.pid) - cpu_before


async def compare(
    session: aiohttp.ClientSession,
    targets: Sequence[Target],
    *,
    requests: int,
    concurrency: int,
    warmup: int,
    rounds: int,
) -> dict[str, dict[str, Any]]:
    """Warm each target up, probe it one request at a time, then load them in turns: round
    r sends `requests / rounds` to each, in A B / B A order, so a drift in what else the
    machine is doing weighs on both alike."""
    probes: dict[str, Tally] = {}
    for target in targets:
        await procs.wait_answering(session, target.child, target.url)
        await run_load(
            session, target.url, booking_bodies(warmup, datetime.now(UTC)), concurrency, Tally()
        )
        probes[target.name] = Tally()
        await run_load(
            session,
            target.url,
            booking_bodies(SEQUENTIAL_PROBES, datetime.now(UTC)),
            1,
            probes[target.name],
        )
    tallies = {target.name: Tally() for target in targets}
    sizes = [requests // rounds + (1 if r < requests % rounds else 0) for r in range(rounds)]
    for index, size in enumerate(sizes):
        order = targets if index % 2 == 0 else list(reversed(targets))
        for target in order:
            await measure_round(session, target, size, concurrency, tallies[target.name])
    result: dict[str, dict[str, Any]] = {}
    for target in targets:
        figures = tallies[target.name].figures()
        figures["sequential_p50_ms"] = probes[target.name].figures()["p50_ms"]
        figures["peak_rss_kib"] = procs.peak_rss_kib(target.child.pid)
        figures["sent_total"] = warmup + SEQUENTIAL_PROBES + requests
        result[target.name] = figures
    return result


def bench_mapping() -> Mapping:
    """A small made-up hotel: the web process needs a mapping to start, intake never reads it."""
    room = RoomTypeMap(
        room_code="std",
        room_type_id="0b0e7c1e-5a1f-4d34-9d0c-6c0ffee00002",
        rate_plans=(
            RatePlanMap(plan_code="padrao", rate_plan_id="0b0e7c1e-5a1f-4d34-9d0c-6c0ffee00003"),
        ),
    )
    prop = PropertyMap(
        property_id=PROPERTY_ID,
        name="Bench Hotel",
        currency="BRL",
        timezone="America/Sao_Paulo",
        room_types=(room,),
    )
    return Mapping((prop,))


def web_env(workdir: Path) -> dict[str, str]:
    mapping_path = workdir / "mapping.json"
    write_mapping(mapping_path, bench_mapping())
    return {
        "DATABASE_PATH": str(workdir / "intake.db"),
        "MAPPING_FILE": str(mapping_path),
        "CHANNEX_WEBHOOK_SECRET": SECRET,
        "CHANNEX_WEBHOOK_SECRET_HEADER": SECRET_HEADER,
        "CHANNEX_API_KEY": "bench-unused-api-key",
        "CHANNEX_BASE_URL": "http://127.0.0.1:9/api/v1",  # never called on intake
        "PMS_BASE_URL": "http://127.0.0.1:9",
        "WORKER_IN_PROCESS": "false",
        "LOG_LEVEL": "WARNING",
    }


def stored_rows(db_path: Path) -> dict[str, int]:
    """What the web process committed: webhook events, and revisions queued for the worker."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        events = conn.execute("SELECT count(*) FROM webhook_events").fetchone()[0]
        queued = conn.execute("SELECT count(*) FROM revisions WHERE status = 'pending'").fetchone()
    return {"webhook_events": int(events), "revisions_pending": int(queued[0])}


def _cost_ratio(bare: dict[str, Any], middleware: dict[str, Any]) -> float | None:
    cheap, dear = bare["server_cpu_ms_per_request"], middleware["server_cpu_ms_per_request"]
    return round(cheap / dear, 3) if cheap and dear else None


async def bench_intake(
    workdir: Path, *, requests: int, concurrency: int, warmup: int, rounds: int = ROUNDS
) -> dict[str, Any]:
    """The bare endpoint and the middleware under the same load; the ratio of throughputs."""
    env = web_env(workdir)
    bare_port, web_port = procs.free_port(), procs.free_port()
    bare_args = [str(procs.ROOT / "scripts" / "bench_bare.py"), "--port", str(bare_port)]
    web_args = ["-m", "middleware.web", "--host", procs.LOOPBACK, "--port", str(web_port)]
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        procs.running("bare", bare_args, {}, workdir) as bare,
        procs.running("web", web_args, env, workdir) as web,
    ):
        figures = await compare(
            session,
            [
                Target(name="bare", child=bare, url=f"http://{procs.LOOPBACK}:{bare_port}{PATH}"),
                Target(
                    name="middleware", child=web, url=f"http://{procs.LOOPBACK}:{web_port}{PATH}"
                ),
            ],
            requests=requests,
            concurrency=concurrency,
            warmup=warmup,
            rounds=rounds,
        )
    figures["middleware"]["stored"] = stored_rows(Path(env["DATABASE_PATH"]))
    bare_rps, web_rps = figures["bare"]["rps"], figures["middleware"]["rps"]
    sequential = [figures[name]["sequential_p50_ms"] or 0.0 for name in ("bare", "middleware")]
    return {
        "requests": requests,
        "concurrency": concurrency,
        "warmup": warmup,
        "rounds": rounds,
        **figures,
        "ratio": round(web_rps / bare_rps, 3) if bare_rps else 0.0,
        # the throughput ratio the servers' CPU cost alone would give (contention-proof)
        "cpu_ratio": _cost_ratio(figures["bare"], figures["middleware"]),
        "nagle_suspected": max(sequential) >= NAGLE_SUSPECT_MS,
    }
