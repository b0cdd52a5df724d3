"""The benchmark's child processes: spawn one, wait until it answers HTTP, read its peak RSS,
stop it with SIGTERM (SIGKILL after a timeout). Linux only (`/proc/<pid>/status`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0  # the worker's own shutdown timeout is 10 s
READY_POLL_S = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class Child:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """Only what the child needs: no inherited settings, the repository importable."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **extra}


def peak_rss_kib(pid: int) -> int:
    """`VmHWM` (the resident set's high-water mark) of a live process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


@contextlib.asynccontextmanager
async def running(
    name: str, args: Sequence[str], env: Mapping[str, str], workdir: Path
) -> AsyncIterator[Child]:
    """`python <args>` with `env` (and nothing inherited but PATH), cwd `workdir`, output to
    `workdir/<name>.log`; stopped with SIGTERM when the block ends."""
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            env=child_env(env),
            cwd=workdir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    child = Child(name=name, process=process, log_path=log_path)
    try:
        yield child
    finally:
        await stop(child)


async def stop(child: Child) -> int:
    """SIGTERM, then SIGKILL if it has not ended within `STOP_TIMEOUT_S`; the exit code."""
    process = child.process
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return process.returncode if process.returncode is not None else -1


async def wait_answering(session: aiohttp.ClientSession, child: Child, url: str) -> None:
    """Until `GET url` gets any HTTP answer (a 405 will do): the server is listening."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.process.returncode is not None:
            raise RuntimeError(
                f"{child.name} exited {child.process.returncode}: {child.log_tail()}"
            )
        try:
            async with session.get(url) as response:
                await response.read()
                return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(READY_POLL_S)
    raise RuntimeError(
        f"{child.name} did not answer within {START_TIMEOUT_S} s: {child.log_tail()}"
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (`/proc/<pid>/stat`)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "; fields[0] is state
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")
