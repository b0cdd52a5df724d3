"""The Procfile's processes as real subprocesses: `python -m middleware.worker` and
`python -m middleware.web` start against the emulators (served here on loopback), answer
`/health`, stop on SIGTERM with exit code 0, and refuse bad configuration with exit code 2."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

import aiohttp
import orjson

from middleware.clock import utc_now
from middleware.sandbox.processes import child_env
from middleware.sandbox.system_emulators import Credentials, Hotels, open_emulators
from middleware.sandbox.system_processes import free_port
from tests.web.operator_kit import CHECKS

API_KEY = "process-test-api-key-0123"
ADMIN = "process-test-admin-token-4567"
WEBHOOK_SECRET = "process-test-webhook-secret-89ab"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0  # the worker's own shutdown timeout is 10 s


CREDENTIALS = Credentials(api_key=API_KEY, webhook_secret=WEBHOOK_SECRET, admin_token=ADMIN)


@contextlib.asynccontextmanager
async def emulators(tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """Both emulators on loopback and a mapping file written by the setup engine; yields the
    environment for the processes."""
    async with open_emulators(
        tmp_path, clock=utc_now, hotels=Hotels(plan="certification"), credentials=CREDENTIALS
    ) as served:
        yield {
            **served.middleware_env(tmp_path),
            "CHANNEX_SYNC_DAYS": "30",
            "WORKER_INTERVAL": "0.5",
        }


async def spawn(args: list[str], env: dict[str, str], cwd: Path, log: IO[bytes]) -> Any:
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, env=child_env(env), cwd=cwd, stdout=log, stderr=log
    )


async def healthy(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """The /health body once it says 200 (the worker's first heartbeat may come later)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last: object = None
    while time.monotonic() < deadline:
        try:
            async with session.get(url + "/health") as response:
                last = (response.status, await response.text())
                if response.status == 200:
                    body: dict[str, Any] = orjson.loads(last[1])
                    return body
        except aiohttp.ClientConnectionError as exc:
            last = exc
        await asyncio.sleep(0.1)
    raise AssertionError(f"/health not 200 within {START_TIMEOUT_S} s: {last!r}")


async def terminate(process: Any) -> int:
    process.send_signal(signal.SIGTERM)
    code: int = await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT_S)
    return code


async def test_worker_and_web_start_answer_health_and_stop_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    async with emulators(tmp_path) as env, aiohttp.ClientSession() as session:
        with (
            (tmp_path / "worker.log").open("wb") as worker_log,
            (tmp_path / "web.log").open("wb") as web_log,
        ):
            worker = await spawn(["-m", "middleware.worker"], env, tmp_path, worker_log)
            web = await spawn(
                ["-m", "middleware.web", "--host", "127.0.0.1", "--port", str(port)],
                env,
                tmp_path,
                web_log,
            )
            try:
                body = await healthy(session, f"http://127.0.0.1:{port}")
            finally:
                codes = [await terminate(web), await terminate(worker)]
        logs = (tmp_path / "worker.log").read_text() + (tmp_path / "web.log").read_text()
        assert codes == [0, 0], logs
        # all pass; the property has not gone live (no full sync yet), which is a warning
        assert body["status"] == "warning"
        assert [(c["name"], c["ok"]) for c in body["checks"]] == [(n, True) for n in CHECKS]
        assert body["checks"][-1]["detail"].endswith(
            "not live yet, nothing is sent to Channex until the first full sync"
            " (POST /sync/full or python -m middleware sync full)"
        )
        assert API_KEY not in logs
        assert ADMIN not in logs
        events = [orjson.loads(line)["event"] for line in logs.splitlines() if line.startswith("{")]
        assert "worker_started" in events
        assert "worker_stopped" in events
        assert "web_stopped" in events


def run_process(module: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module],
        env=child_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )


BAD_SETTINGS = {
    "CHANNEX_PRICE_RATE_LIMIT": "lots",
    "WORKER_INTERVAL": "-1",
    "PMS_BASE_URL": "ftp://pms.local",
    "MAPPING_FILE": "unused.json",
}
BAD_SETTINGS_PROBLEMS = [
    "CHANNEX_PRICE_RATE_LIMIT=lots: expected an integer",
    "PMS_BASE_URL=ftp://pms.local: expected an http(s) URL",
    "WORKER_INTERVAL=-1.0: must be >= 0.01",
    "CHANNEX_API_KEY is required while CHANNEX_ENABLED is true",
]


def test_bad_settings_exit_2_naming_every_problem(tmp_path: Path) -> None:
    for module, prefix in (("middleware.worker", "worker"), ("middleware.web", "middleware")):
        result = run_process(module, BAD_SETTINGS, tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr == (
            f"{prefix}: invalid configuration: " + "; ".join(BAD_SETTINGS_PROBLEMS) + "\n"
        )
        assert result.stdout == ""
        assert not (tmp_path / "data").exists()  # nothing created on the way out


def test_a_missing_mapping_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mapping.json"
    env = {
        "CHANNEX_API_KEY": API_KEY,
        "MAPPING_FILE": str(missing),
        "DATABASE_PATH": str(tmp_path / "m.db"),
    }
    for module in ("middleware.worker", "middleware.web"):
        result = run_process(module, env, tmp_path)
        assert result.returncode == 2, result.stderr
        assert f"{missing}: cannot be read (No such file or directory)" in result.stderr
        assert result.stdout == ""
