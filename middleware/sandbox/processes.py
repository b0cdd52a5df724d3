"""The middleware's processes as real subprocesses, for tests and chaos runs that crash them.

`MiddlewareProcess.worker(env, cwd=...)` runs `python -m middleware.worker`,
`MiddlewareProcess.web(env, port=..., cwd=...)` runs `python -m middleware.web` on 127.0.0.1.
The child gets exactly the environment given (plus PATH and the repository on PYTHONPATH) and
runs in `cwd` (no `.env` there: nothing inherited can change its settings). Its stdout and
stderr are read line by line into `lines` (and appended to `log_path`, across restarts); its
structlog JSON lines are `events()`, and `wait_for_event(...)` waits for one.

`kill()` is `kill -9`: no shutdown code runs, whatever the process was doing is cut off mid-way,
as a crash or an OOM kill would. `stop()` is the polite SIGTERM. `start()` again after either
is a restart (same env, same log).

`middleware_env(settings, ...)` turns the in-process harness's `Settings` back into the
environment a child needs to talk to the same emulators and the same database.

    worker = MiddlewareProcess.worker(middleware_env(system.settings), cwd=tmp_path)
    async with running(worker):
        await worker.wait_for_event("worker_started")
        ...
        await worker.kill()
        await worker.start()
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from middleware.config import Settings

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0  # the worker lets in-flight work finish for up to 10 s
EVENT_TIMEOUT_S = 30.0
POLL_S = 0.05

# Settings a child needs to reach the same emulators and database, by environment name.
_PLAIN = {
    "CHANNEX_BASE_URL": "channex_base_url",
    "CHANNEX_WEBHOOK_SECRET_HEADER": "channex_webhook_secret_header",
    "CHANNEX_SYNC_DAYS": "channex_sync_days",
    "CHANNEX_TIMEOUT": "channex_timeout_s",
    "CHANNEX_RATE_WINDOW": "channex_rate_window_s",
    "CHANNEX_PRICE_RATE_LIMIT": "channex_price_rate_limit",
    "CHANNEX_AVAIL_RATE_LIMIT": "channex_avail_rate_limit",
    "ARI_DEBOUNCE": "ari_debounce_s",
    "ARI_MAX_DELAY": "ari_max_delay_s",
    "PMS_BASE_URL": "pms_base_url",
    "PMS_POLL_INTERVAL": "pms_poll_interval_s",
    "PMS_TIMEOUT": "pms_timeout_s",
    "FEED_POLL_INTERVAL": "feed_poll_interval_s",
    "MAPPING_FILE": "mapping_file",
    "DATABASE_PATH": "database_path",
    "WORKER_INTERVAL": "worker_interval_s",
    "WORKER_BATCH_SIZE": "worker_batch_size",
    "WORKER_LEASE": "worker_lease_s",
    "LOG_LEVEL": "log_level",
}
_SECRETS = {
    "CHANNEX_API_KEY": "channex_api_key",
    "CHANNEX_WEBHOOK_SECRET": "channex_webhook_secret",
    "PMS_API_TOKEN": "pms_api_token",
    "ADMIN_TOKEN": "admin_token",
    "PMS_WEBHOOK_TOKEN": "pms_webhook_token",
    "DATABASE_URL": "database_url",  # set: the children share the PostgreSQL store
}


def middleware_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """The environment that gives a child process these settings (the ones that decide whom
    it talks to and how fast it works); `overrides` win."""
    env = {name: str(getattr(settings, attr)) for name, attr in _PLAIN.items()}
    for name, attr in _SECRETS.items():
        value = getattr(settings, attr)
        if value is not None:
            env[name] = str(value)
    env["CHANNEX_ENABLED"] = "true" if settings.channex_enabled else "false"
    env["WORKER_IN_PROCESS"] = "false"
    return {**env, **overrides}


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """Only what the child needs: the settings given, PATH, and the repository importable."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env}


class MiddlewareProcess:
    """One middleware process that can be started, crashed (`kill`) and started again."""

    def __init__(
        self, name: str, args: list[str], env: Mapping[str, str], *, cwd: Path, log_path: Path
    ) -> None:
        self.name = name
        self.args = args
        self.env = child_env(env)
        self.cwd = cwd
        self.log_path = log_path
        self.lines: list[str] = []  # every output line of every run, in order
        self.starts = 0
        self.kills = 0
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    def worker(cls, env: Mapping[str, str], *, cwd: Path) -> MiddlewareProcess:
        return cls("worker", ["-m", "middleware.worker"], env, cwd=cwd, log_path=cwd / "worker.log")

    @classmethod
    def web(cls, env: Mapping[str, str], *, port: int, cwd: Path) -> MiddlewareProcess:
        args = ["-m", "middleware.web", "--host", "127.0.0.1", "--port", str(port)]
        return cls("web", args, env, cwd=cwd, log_path=cwd / "web.log")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def returncode(self) -> int | None:
        """None while running (or never started)."""
        return None if self._process is None else self._process.returncode

    async def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        await self._finish_reading()
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            env=self.env,
            cwd=self.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self.starts += 1
        self._reader = asyncio.create_task(
            self._read(self._process, self.starts), name=f"{self.name}-output"
        )

    async def kill(self) -> None:
        """`kill -9` and reap it (nothing happens when it is not running)."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()
        self.kills += 1
        await self._finish_reading()

    async def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM, wait for the exit, `kill -9` after `timeout_s`; the exit code."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=timeout_s)
            except TimeoutError:
                await self.kill()
        await self._finish_reading()
        return process.returncode

    def events(self, event: str | None = None, *, run: int | None = None) -> list[dict[str, Any]]:
        """The structlog JSON lines (optionally one event name, one run: 1 = the first start)."""
        found = []
        for line in self.lines:
            number, _, text = line.partition(" ")
            if not text.startswith("{") or (run is not None and int(number) != run):
                continue
            try:
                entry = orjson.loads(text)
            except orjson.JSONDecodeError:
                continue
            if isinstance(entry, dict) and (event is None or entry.get("event") == event):
                found.append(entry)
        return found

    def output(self) -> str:
        """Everything the process printed, for assertion messages."""
        return "\n".join(line.partition(" ")[2] for line in self.lines)

    async def wait_for_event(
        self, event: str, *, timeout_s: float = EVENT_TIMEOUT_S, run: int | None = None
    ) -> dict[str, Any]:
        """The first `event` line (of run `run`, default: the current one) once it is there."""
        wanted = self.starts if run is None else run
        deadline = time.monotonic() + timeout_s
        while not (found := self.events(event, run=wanted)):
            if not self.running:
                raise AssertionError(f"{self.name} exited ({self.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {event} from {self.name} within {timeout_s} s")
            await asyncio.sleep(POLL_S)
        return found[0]

    async def _read(self, process: asyncio.subprocess.Process, run: int) -> None:
        stream = process.stdout
        if stream is None:
            return
        with self.log_path.open("ab") as log:
            while raw := await stream.readline():
                log.write(raw)
                self.lines.append(f"{run} {raw.decode('utf-8', 'replace').rstrip()}")

    async def _finish_reading(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader


@contextlib.asynccontextmanager
async def running(*processes: MiddlewareProcess) -> AsyncIterator[None]:
    """Start the processes; on the way out stop (SIGTERM) whichever still run, even after a
    failure, so no child outlives the test."""
    try:
        for process in processes:
            await process.start()
        yield
    finally:
        for process in reversed(processes):
            await process.stop()


async def wait_until_answering(
    url: str, *, timeout_s: float = READY_TIMEOUT_S, process: MiddlewareProcess | None = None
) -> None:
    """Until `GET url` gets any HTTP answer (the web process is listening). With `process`,
    its exit ends the wait at once; either failure carries the end of its output."""
    deadline = time.monotonic() + timeout_s
    # one try may wait long: a /health under seeded faults probes a slow Channex or PMS
    timeout = aiohttp.ClientTimeout(total=timeout_s / 3)

    def failure(what: str) -> TimeoutError:
        tail = "" if process is None else "; its output ends:\n" + process.output()[-2000:]
        return TimeoutError(f"{url} {what}{tail}")

    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            if process is not None and process.returncode is not None:
                raise failure(f"did not answer: {process.name} exited {process.returncode}")
            try:
                async with session.get(url) as response:
                    await response.read()
                    return
            except (aiohttp.ClientError, TimeoutError):
                if time.monotonic() > deadline:
                    raise failure(f"did not answer within {timeout_s} s") from None
                await asyncio.sleep(0.1)
