"""The sandbox as a workbench: it restarts at once after a stop (ports in TIME_WAIT are free),
`--emulators-only` starts just the emulators and writes `data/sandbox/.env`, with which the
Procfile's `web` and `worker` run against them; each emulator lists its control routes at
`/_control`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from starlette.routing import Route

from middleware.mapping_file import load_mapping
from middleware.sandbox import __main__ as sandbox
from middleware.sandbox import channex_control, pms_control
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import LOOPBACK, serve_app

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120.0  # a bound on waiting, not a timing: two fresh processes on a loaded CI box
ENV_KEYS = {
    "CHANNEX_BASE_URL",
    "CHANNEX_API_KEY",
    "CHANNEX_WEBHOOK_SECRET",
    "CHANNEX_WEBHOOK_SECRET_HEADER",
    "ADMIN_TOKEN",
    "PMS_BASE_URL",
    "MAPPING_FILE",
    "DATABASE_PATH",
    "PORT",
    "WORKER_INTERVAL",
    "PMS_POLL_INTERVAL",
    "FEED_POLL_INTERVAL",
    "ARI_DEBOUNCE",
    "ARI_MAX_DELAY",
}


def test_a_port_left_in_time_wait_counts_as_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((LOOPBACK, 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection((LOOPBACK, port))
        accepted, _ = server.accept()
        accepted.close()  # the server side closes first: its end of the pair goes to TIME_WAIT
        client.recv(1)
        client.close()
    assert sandbox.port_free(port)
    # what a plain bind without SO_REUSEADDR (the old check) sees on the same port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        try:
            plain.bind((LOOPBACK, port))
            refused = False
        except OSError:
            refused = True
    assert refused


def control_routes(routes: list[Any]) -> list[dict[str, str]]:
    return sorted(
        (
            {"method": method, "path": route.path}
            for route in routes
            if isinstance(route, Route)
            for method in route.methods or ()
            if method != "HEAD"
        ),
        key=lambda r: (r["path"], r["method"]),
    )


async def test_each_emulator_lists_its_control_routes_at_control() -> None:
    channex = ChannexEmulator(api_key="k")
    pms = PmsEmulator()
    async with (
        aiohttp.ClientSession() as session,
        serve_app(channex.app) as channex_url,
        serve_app(pms.app) as pms_url,
    ):
        for url, module, emulator, name in (
            (channex_url, channex_control, channex, "Channex"),
            (pms_url, pms_control, pms, "sistema-os"),
        ):
            async with session.get(url + "/_control") as response:
                assert response.status == 200
                body = await response.json()
            expected = control_routes(module.routes(emulator))
            listed = sorted(body["routes"], key=lambda r: (r["path"], r["method"]))
            assert listed == expected
            assert body["emulator"] == name
            assert body["described"] == (module.__doc__ or "").strip()
            assert len(expected) >= 12


def read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


@contextlib.asynccontextmanager
async def process(args: list[str], env: dict[str, str], cwd: Path) -> AsyncIterator[Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield child
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(child.wait(), timeout=20)
            except TimeoutError:
                child.kill()
                await child.wait()


async def line_with(child: Any, text: str) -> list[str]:
    """The child's output lines up to the first that contains `text`."""
    seen: list[str] = []
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(child.stdout.readline(), timeout=WAIT_S)
        if not raw:
            break
        seen.append(raw.decode().rstrip())
        if text in seen[-1]:
            return seen
    raise AssertionError(f"{text!r} never printed: {seen}")


async def until(check: Any, what: str, last: list[str] | None = None) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientConnectionError):
            result = await check()
            if result:
                return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {WAIT_S} s: {what}" + (f"; last: {last}" if last else ""))


async def test_emulators_only_with_its_env_file_runs_the_procfile_processes(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sandbox"
    async with (
        process(
            [
                "-m",
                "middleware.sandbox",
                "--emulators-only",
                "--free-ports",
                "--data-dir",
                str(data),
            ],
            {},
            tmp_path,
        ) as emulators,
        aiohttp.ClientSession() as session,
    ):
        printed = await line_with(emulators, "Ctrl-C stops the emulators.")
        assert any(f"set -a; . {data / '.env'}; set +a" in line for line in printed)
        env = read_env_file(data / ".env")
        assert set(env) == ENV_KEYS
        assert (data / ".env").stat().st_mode & 0o777 == 0o600
        assert not (data / "middleware.db").exists()  # no middleware ran
        port = env["PORT"]
        channex_root = env["CHANNEX_BASE_URL"].removesuffix("/api/v1")
        async with (
            process(["-m", "middleware.worker"], env, tmp_path) as _worker,
            process(["-m", "middleware.web", "--port", port], env, tmp_path) as _web,
        ):
            base = f"http://{LOOPBACK}:{port}"
            auth = {"Authorization": f"Bearer {env['ADMIN_TOKEN']}"}

            last_health: list[str] = []

            async def health() -> bool:
                async with session.get(base + "/health") as response:
                    last_health[:] = [await response.text()]
                    return response.status == 200

            await until(health, "the web process healthy", last_health)
            async with session.post(base + "/sync/full", headers=auth, json={}) as response:
                assert response.status in (200, 202), await response.text()

            ari = {"/api/v1/availability", "/api/v1/restrictions"}

            async def pushed() -> bool:
                async with session.get(channex_root + "/_control/requests") as response:
                    calls = orjson.loads(await response.read())
                return {c["path"] for c in calls if c["method"] == "POST"} >= ari

            await until(pushed, "both ARI endpoints pushed to the emulated Channex")
            # a booking made in the emulated Channex reaches the emulated sistema-os
            room = load_mapping(Path(env["MAPPING_FILE"])).properties[0].room_types[0]
            first = date.today() + timedelta(days=20)
            spec = {
                "rooms": [
                    {
                        "room_type_id": room.room_type_id,
                        "rate_plan_id": room.rate_plans[0].rate_plan_id,
                        "checkin_date": first.isoformat(),
                        "checkout_date": (first + timedelta(days=2)).isoformat(),
                        "adults": 2,
                    }
                ],
                "deliver": True,
            }
            async with session.post(channex_root + "/_control/bookings", json=spec) as response:
                assert response.status == 201, await response.text()

            async def booked() -> bool:
                async with session.get(env["PMS_BASE_URL"] + "/_control/bookings") as response:
                    return bool((await response.json())["bookings"])

            await until(booked, "the OTA booking in the emulated sistema-os")
