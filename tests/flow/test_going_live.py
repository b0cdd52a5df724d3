"""The README's "Going live against Channex" steps, in order, against both emulators.

The real commands and processes run as the README says, from a directory holding the `.env`
of step 2: the setup script (dry run, then for real with the webhook URL), the Procfile's
`web` and `worker`, `python -m middleware check` and `status`, then `POST /sync/full`. Before
that last step sistema-os changes, the worker polls, and an OTA booking arrives and reaches
sistema-os, yet Channex receives no ARI call of any kind; after it, Channex holds exactly what
sistema-os holds over the horizon (the booking's nights included), and a later change follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from middleware import clock as clocks
from middleware.domain.mapping import Mapping
from middleware.mapping_file import load_mapping
from middleware.sandbox.channex import ChannexEmulator, RecordedRequest
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.processes import (
    ROOT,
    MiddlewareProcess,
    child_env,
    running,
    wait_until_answering,
)
from middleware.sandbox.system_processes import free_port
from middleware.serving import serve_app
from tests.flow import oracle
from tests.kit.backends import Backend

API_KEY = "going-live-api-key-0123456789"
WEBHOOK_SECRET = "going-live-webhook-secret-abcdef"
ADMIN_TOKEN = "going-live-admin-token-987654"
TIMEZONE = "America/Sao_Paulo"
SYNC_DAYS = 30
WAIT_S = 60.0
ARI_PATHS = ("/api/v1/availability", "/api/v1/restrictions")
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SETUP = str(ROOT / "scripts" / "setup_channex_duke.py")


@dataclass(slots=True, kw_only=True)
class Hotel:
    """The two emulators as `tests.flow.oracle` sees them, once the setup wrote the mapping."""

    channex: ChannexEmulator
    pms: PmsEmulator
    mapping: Mapping

    @property
    def property_id(self) -> str:
        return self.mapping.properties[0].property_id

    def today(self) -> date:
        return clocks.hotel_today(TIMEZONE, clocks.utc_now())


async def command(cwd: Path, *args: str) -> tuple[int, str, str]:
    """`.venv/bin/python <args>` in `cwd` (its `.env` gives the settings); exit code, out, err."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env=child_env({}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=WAIT_S)
    return int(process.returncode or 0), out.decode(), err.decode()


async def eventually(what: str, ready: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not await ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT_S} s: {what}")
        await asyncio.sleep(0.1)


def ari_calls(channex: ChannexEmulator) -> list[RecordedRequest]:
    """Every call to Channex's ARI endpoints, reads and writes alike."""
    return [r for r in channex.requests if r.path in ARI_PATHS]


def dotenv(channex_url: str, pms_url: str, port: int, backend: Backend) -> str:
    """Step 2: the `.env` an operator writes from `.env.example` (plus quick test timings);
    on PostgreSQL its `DATABASE_URL` (the processes then run on the database's clock)."""
    return "\n".join(
        [
            *(f"{name}={value}" for name, value in backend.env().items()),
            f"CHANNEX_API_KEY={API_KEY}",
            f"CHANNEX_BASE_URL={channex_url}/api/v1",
            f"CHANNEX_WEBHOOK_SECRET={WEBHOOK_SECRET}",
            f"ADMIN_TOKEN={ADMIN_TOKEN}",
            f"PMS_BASE_URL={pms_url}",
            "HOST=127.0.0.1",  # the README's advice for a host behind a reverse proxy
            f"PORT={port}",
            f"CHANNEX_SYNC_DAYS={SYNC_DAYS}",
            "PMS_POLL_INTERVAL=1",
            "FEED_POLL_INTERVAL=1",
            "PARITY_INTERVAL=1",
            "WORKER_INTERVAL=0.2",
            "ARI_DEBOUNCE=0.2",
            "ARI_MAX_DELAY=0.5",
            "",
        ]
    )


@contextlib.asynccontextmanager
async def emulators() -> AsyncIterator[tuple[ChannexEmulator, PmsEmulator, str, str]]:
    def today() -> date:
        return clocks.hotel_today(TIMEZONE, clocks.utc_now())

    channex = ChannexEmulator(api_key=API_KEY, today=today)
    pms = PmsEmulator(hotel="duke_beach", today=today)
    async with serve_app(channex.app) as channex_url, serve_app(pms.app) as pms_url:
        yield channex, pms, channex_url, pms_url


async def test_the_readme_going_live_steps_send_nothing_before_go_live_and_all_after(
    tmp_path: Path, backend: Backend
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with emulators() as (channex, pms, channex_url, pms_url), aiohttp.ClientSession() as http:
        # 1. installing the runtime is this test's own environment.
        # 2. the settings
        (tmp_path / ".env").write_text(dotenv(channex_url, pms_url, port, backend))

        # 3. the setup script: a dry run changes nothing, the real run creates and maps
        code, out, err = await command(tmp_path, SETUP, "--dry-run")
        assert (code, err) == (0, ""), out
        assert out.splitlines()[-1].startswith("dry run: would create ")
        assert [r for r in channex.requests if r.method in WRITES] == []
        webhook = f"--webhook-url={url}/webhook/channex"
        code, out, err = await command(tmp_path, SETUP, webhook)
        assert (code, err) == (0, ""), out
        assert out.splitlines()[-1].startswith("done: created ")
        hotel = Hotel(
            channex=channex, pms=pms, mapping=load_mapping(tmp_path / "data" / "mapping.json")
        )
        prop = hotel.mapping.properties[0]
        room = hotel.mapping.by_room_code(prop.property_id, "lvu")
        assert room is not None

        # 4. the Procfile's processes (HOST and PORT from .env)
        web = MiddlewareProcess(
            "web", ["-m", "middleware.web"], {}, cwd=tmp_path, log_path=tmp_path / "web.log"
        )
        worker = MiddlewareProcess.worker({}, cwd=tmp_path)
        async with running(web, worker):
            await wait_until_answering(url + "/health")
            pms.middleware_url = url  # sistema-os sends its change notices to /webhook/pms

            # while not live: sistema-os changes, the worker reads it, an OTA booking arrives
            first = hotel.today() + timedelta(days=3)
            pms.set_rate("lvu", "padrao", first, first + timedelta(days=4), Decimal("612.00"))
            await pms.drain_notifications()
            stay = (hotel.today() + timedelta(days=10), hotel.today() + timedelta(days=12))
            _, revision_id = channex.create_booking(
                property_id=prop.property_id,
                ota_name="Booking.com",
                customer={"name": "Ana", "surname": "Lima", "mail": "ana@example.com"},
                rooms=[
                    {
                        "room_type_id": room.room.room_type_id,
                        "rate_plan_id": room.room.rate_plans[0].rate_plan_id,
                        "checkin_date": stay[0].isoformat(),
                        "checkout_date": stay[1].isoformat(),
                        "adults": 2,
                    }
                ],
            )
            await channex.deliver_pending()
            ack = f"/booking_revisions/{revision_id}/ack"

            async def booking_taken_in() -> bool:
                return bool(channex.calls("POST", ack)) and any(
                    b.channel == "Booking.com" and b.checkin == stay[0] for b in pms.bookings()
                )

            async def polled_twice_while_held() -> bool:
                return len(worker.events("ari_sync_held_not_live")) >= 2

            await eventually("the OTA booking reached sistema-os and was acked", booking_taken_in)
            await eventually(
                "the worker read sistema-os and held the sync", polled_twice_while_held
            )

            # 5. look before going live: all well, and plainly not live yet
            not_live = (
                f"{prop.name} ({prop.property_id}): not live yet, nothing is sent to Channex"
                " until the first full sync (POST /sync/full or python -m middleware sync full)"
            )
            code, out, err = await command(tmp_path, "-m", "middleware", "check")
            assert (code, err) == (0, ""), out
            assert [line.split()[0] for line in out.splitlines()] == ["ok"] * 10 + ["warn"]
            assert out.splitlines()[-1] == f"warn  live             {not_live}"
            async with http.get(url + "/health") as response:
                health = (response.status, orjson.loads(await response.read()))
            assert (health[0], health[1]["status"]) == (200, "warning")
            assert health[1]["checks"][-1] == {"name": "live", "ok": True, "detail": not_live}
            code, out, err = await command(tmp_path, "-m", "middleware", "status")
            assert (code, err) == (0, "")
            assert out.splitlines()[1].startswith(
                f"{prop.name} ({prop.property_id}): not live yet: nothing is sent to Channex"
                " until `sync full`; last full sync -"
            )

            # nothing reached Channex's ARI: no push, no read-back
            assert ari_calls(channex) == []
            for grid in (channex.availability, channex.restrictions):
                written = {entity: days for entity, days in grid(prop.property_id).items() if days}
                assert written == {}
            before = len(channex.requests)

            # 6. go live
            async with http.post(url + "/sync/full", headers=admin) as response:
                assert response.status == 202

            async def full_sync_pushed() -> bool:
                kinds = {e["kind"] for e in worker.events("outbox_pushed") if e["full_sync"]}
                return kinds == {"availability", "restrictions"}

            await eventually("the full sync pushed both endpoints", full_sync_pushed)
            assert oracle.ari_differences(hotel, days=SYNC_DAYS) == []
            pushed = [r for r in ari_calls(channex) if r.method == "POST" and r.status == 200]
            assert {r.path for r in pushed} == set(ARI_PATHS)
            assert all(r in channex.requests[before:] for r in ari_calls(channex))
            nights = {stay[0], stay[0] + timedelta(days=1)}
            held = channex.availability(prop.property_id)[room.room.room_type_id]
            assert {d: held[d] for d in nights} == {d: pms.availability("lvu", d) for d in nights}

            async with http.get(url + "/status", headers=admin) as response:
                status: dict[str, Any] = orjson.loads(await response.read())
            assert status["properties"][0]["live"]["by"] == "POST /sync/full from 127.0.0.1"
            async with http.get(url + "/health") as response:
                health = (response.status, orjson.loads(await response.read()))
            assert (health[0], health[1]["status"]) == (200, "ok")

            # live: a later change in sistema-os follows on its own
            later = hotel.today() + timedelta(days=20)
            pms.set_rate("lvu", "padrao", later, later, Decimal("777.00"))
            await pms.drain_notifications()
            rate_plan = room.room.rate_plans[0].rate_plan_id

            async def later_change_held() -> bool:
                cell = channex.restrictions(prop.property_id).get(rate_plan, {}).get(later, {})
                return cell.get("rate") == Decimal("777.00")

            await eventually("the later change reached Channex", later_change_held)
            assert oracle.ari_differences(hotel, days=SYNC_DAYS) == []
        assert (web.returncode, worker.returncode) == (0, 0)
    # The store was the backend's: on PostgreSQL no SQLite file was made beside the .env.
    assert (tmp_path / "data" / "middleware.db").exists() == (backend.database_url is None)
