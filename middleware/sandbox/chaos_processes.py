"""The middleware's two processes as real subprocesses, for chaos runs: start, kill -9, restart.

`MiddlewareProcess` runs `python -m middleware.web --host 127.0.0.1 --port P` or
`python -m middleware.worker` with exactly the environment it is given (plus PATH and the
repository on PYTHONPATH: nothing inherited can change the settings), appending stdout and
stderr to one log file per process across restarts. `kill()` is `kill -9`: no shutdown code
runs, so whatever the process was doing is cut off mid-way, as a crash would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0  # the worker lets in-flight work finish for up to 10 s


def child_env(settings_env: Mapping[str, str]) -> dict[str, str]:
    """Only what the child needs: the settings given, PATH, and the repository importable."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **settings_env}


class MiddlewareProcess:
    """One middleware process (`web` or `worker`) that can be crashed and started again."""

    def __init__(
        self, name: str, args: list[str], env: Mapping[str, str], *, cwd: Path, log_path: Path
    ) -> None:
        self.name = name
        self.args = args
        self.env = child_env(env)
        self.cwd = cwd
        self.log_path = log_path
        self.starts = 0
        self.kills = 0
        self._process: asyncio.subprocess.Process | None = None

    @classmethod
    def web(cls, env: Mapping[str, str], *, port: int, cwd: Path) -> MiddlewareProcess:
        args = ["-m", "middleware.web", "--host", "127.0.0.1", "--port", str(port)]
        return cls("web", args, env, cwd=cwd, log_path=cwd / "web.log")

    @classmethod
    def worker(cls, env: Mapping[str, str], *, cwd: Path) -> MiddlewareProcess:
        return cls("worker", ["-m", "middleware.worker"], env, cwd=cwd, log_path=cwd / "worker.log")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                *self.args,
                env=self.env,
                cwd=self.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        self.starts += 1

    async def kill(self) -> None:
        """`kill -9` and reap it (no-op when it is not running)."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        await process.wait()
        self.kills += 1

    async def stop(self) -> int | None:
        """SIGTERM, wait for a clean exit, SIGKILL after `STOP_TIMEOUT_S`; the exit code."""
        process = self._process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT_S)
            except TimeoutError:
                await self.kill()
        return process.returncode

    def exit_code(self) -> int | None:
        """None while running (or never started)."""
        return None if self._process is None else self._process.returncode


async def wait_until_answering(url: str, *, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Until `GET url` gets any HTTP answer (the web process is listening)."""
    deadline = time.monotonic() + timeout_s
    timeout = aiohttp.ClientTimeout(total=2.0)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            try:
                async with session.get(url) as response:
                    await response.read()
                    return
            except (aiohttp.ClientError, TimeoutError):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not answer within {timeout_s} s") from None
                await asyncio.sleep(0.1)
