"""The worker's memory while it does real work: a full sync plus a batch of OTA bookings.

The Channex and sistema-os emulators run in this process (loopback); the middleware runs as
its two production processes, `python -m middleware.web` and `python -m middleware.worker`,
on one temporary database. The setup engine creates Duke Beach in the emulated Channex (and
registers the booking webhook at the web process); the hotel goes live with a full-sync
request written into the database (as `POST /sync/full` would) and the worker pushes the
horizon; then `bookings` OTA bookings are made in the emulated Channex, whose webhooks reach
the web process, and the worker fetches each revision, books it in sistema-os, acks it and
pushes the availability it moved. When all of that is done, the peak RSS (`VmHWM`) of both
processes is read.

The rate limit is raised to `RATE_LIMIT` calls a minute (emulator and middleware) and the
worker polls every `WORKER_INTERVAL_S`, so the run takes seconds, not the minutes Channex's
10 calls a minute would impose; the work done is the same.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from middleware import clock as clocks
from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import duke_beach_plan
from middleware.channex.setup import run_setup
from middleware.domain.mapping import Mapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app
from middleware.store.open import open_store_file
from middleware.store.port import Store
from scripts import bench_process as procs

API_KEY = "bench-channex-api-key"
WEBHOOK_SECRET = "bench-webhook-secret-0123456789"
SECRET_HEADER = "X-Channex-Webhook-Secret"
RATE_LIMIT = 1000
WORKER_INTERVAL_S = 0.5
SETTLE_TIMEOUT_S = 300.0
SETTLE_POLL_S = 0.2
MAX_NIGHTS = 3


async def _settle(store: Store, channex: ChannexEmulator) -> dict[str, int]:
    """Wait until no sync request, outbox row or revision is left to do; revision counts."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        await channex.deliver_pending()
        lanes = await store.outbox.backlog(clocks.utc_now())
        counts = await store.revisions.counts()
        busy = (
            await store.sync_requests.pending_count()
            or sum(lane.pending + lane.in_flight for lane in lanes)
            or counts["pending"]
            or counts["applied"]
        )
        if not busy:
            return counts
        await asyncio.sleep(SETTLE_POLL_S)
    raise TimeoutError(f"the worker did not finish within {SETTLE_TIMEOUT_S} s")


def _ari_pushes(channex: ChannexEmulator) -> int:
    return sum(len(channex.calls("POST", path)) for path in ("/availability", "/restrictions"))


def _book(channex: ChannexEmulator, mapping: Mapping, count: int, days: int, seed: int) -> None:
    """`count` OTA bookings on random rooms and dates of the horizon (seeded)."""
    prop = mapping.properties[0]
    today = clocks.hotel_today(prop.timezone, clocks.utc_now())
    rng = random.Random(seed)
    for index in range(count):
        room = rng.choice(prop.room_types)
        checkin = today + timedelta(days=rng.randrange(1, max(2, days - MAX_NIGHTS)))
        checkout = checkin + timedelta(days=rng.randint(1, MAX_NIGHTS))
        channex.create_booking(
            property_id=prop.property_id,
            rooms=[
                {
                    "room_type_id": room.room_type_id,
                    "rate_plan_id": room.rate_plans[0].rate_plan_id,
                    "checkin_date": checkin.isoformat(),
                    "checkout_date": checkout.isoformat(),
                    "adults": 1,
                    "children": 0,
                }
            ],
            customer={
                "name": "Guest",
                "surname": f"Bench {index}",
                "mail": f"guest{index}@example.com",
                "phone": "+55 11 90000-0000",
            },
        )


async def bench_worker(workdir: Path, *, days: int, bookings: int, seed: int) -> dict[str, Any]:
    plan = duke_beach_plan()
    channex = ChannexEmulator(api_key=API_KEY, rate_limit=RATE_LIMIT)
    pms = PmsEmulator(hotel="duke_beach")
    mapping_path = workdir / "worker-mapping.json"
    async with (
        aiohttp.ClientSession() as session,
        serve_app(channex.app) as channex_url,
        serve_app(pms.app) as pms_url,
    ):
        client = ChannexClient(session, channex_url + "/api/v1", API_KEY)

        async def setup(webhook_url: str | None) -> Mapping:
            report = await run_setup(
                client,
                plan,
                mapping_path=mapping_path,
                webhook_url=webhook_url,
                webhook_secret=WEBHOOK_SECRET if webhook_url else None,
                secret_header=SECRET_HEADER,
                dry_run=False,
            )
            if report.mapping is None:
                raise RuntimeError("the setup engine wrote no mapping")
            return report.mapping

        mapping = await setup(None)
        db_path = workdir / "worker.db"
        env = {
            "CHANNEX_BASE_URL": channex_url + "/api/v1",
            "CHANNEX_API_KEY": API_KEY,
            "CHANNEX_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CHANNEX_WEBHOOK_SECRET_HEADER": SECRET_HEADER,
            "CHANNEX_SYNC_DAYS": str(days),
            "CHANNEX_PRICE_RATE_LIMIT": str(RATE_LIMIT),
            "CHANNEX_AVAIL_RATE_LIMIT": str(RATE_LIMIT),
            "PMS_BASE_URL": pms_url,
            "MAPPING_FILE": str(mapping_path),
            "DATABASE_PATH": str(db_path),
            "WORKER_IN_PROCESS": "false",
            "WORKER_INTERVAL": str(WORKER_INTERVAL_S),
            "LOG_LEVEL": "WARNING",
        }
        port = procs.free_port()
        web_url = f"http://{procs.LOOPBACK}:{port}"
        web_args = ["-m", "middleware.web", "--host", procs.LOOPBACK, "--port", str(port)]
        async with (
            procs.running("worker-web", web_args, env, workdir) as web,
            procs.running("worker", ["-m", "middleware.worker"], env, workdir) as worker,
        ):
            await procs.wait_answering(session, web, web_url + "/health")
            await setup(web_url + "/webhook/channex")
            pms.middleware_url = web_url
            store = await open_store_file(db_path)
            try:
                started = time.perf_counter()
                ids = [prop.property_id for prop in mapping]
                await store.live.go_live(ids, clocks.utc_now(), by="bench", source="bench")
                await _settle(store, channex)
                full_sync_s = time.perf_counter() - started
                full_sync_pushes = _ari_pushes(channex)
                _book(channex, mapping, bookings, days, seed)
                counts = await _settle(store, channex)
                elapsed_s = time.perf_counter() - started
                worker_rss_kib = procs.peak_rss_kib(worker.pid)
                web_rss_kib = procs.peak_rss_kib(web.pid)
            finally:
                pms.middleware_url = None
                await store.close()
    return {
        "hotel": "duke_beach",
        "days": days,
        "bookings": bookings,
        "seconds": round(elapsed_s, 3),
        "full_sync_seconds": round(full_sync_s, 3),
        "bookings_seconds": round(elapsed_s - full_sync_s, 3),
        "revisions": {status: n for status, n in counts.items() if n},
        "pms_bookings": len(pms.bookings()),
        "channex_calls": len(channex.requests),
        "channex_ari_pushes": _ari_pushes(channex),
        "channex_ari_pushes_full_sync": full_sync_pushes,
        "channex_acks": sum(
            1 for r in channex.requests if r.method == "POST" and r.path.endswith("/ack")
        ),
        "worker_peak_rss_kib": worker_rss_kib,
        "web_peak_rss_kib": web_rss_kib,
    }
