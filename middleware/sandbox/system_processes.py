"""The middleware as child processes against the emulators (`system.open_emulators`).

    async with run_middleware(emulators, workdir, split=True, env=...) as children:
        children.url, children.web, children.worker   # MiddlewareProcess each

`split=True`: `python -m middleware.web` and `python -m middleware.worker`; `split=False`: one
process, worker inside (`WORKER_IN_PROCESS=true`). `web_command` runs another entry point in
the web's place (it is given `--port N`). The block starts the children, waits until the web
answers `/health`, registers the booking webhooks and points every sistema-os at it; on the
way out it stops whichever children still run (SIGTERM), even after a failure.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from middleware.sandbox.processes import MiddlewareProcess, running, wait_until_answering
from middleware.sandbox.system_emulators import Emulators
from middleware.serving import LOOPBACK

WEB_COMMAND = ("-m", "middleware.web", "--host", LOOPBACK)


@dataclass(frozen=True, slots=True, kw_only=True)
class Children:
    url: str
    web: MiddlewareProcess  # with split=False: the one process
    worker: MiddlewareProcess | None
    env: dict[str, str]

    @property
    def all(self) -> tuple[MiddlewareProcess, ...]:
        return (self.web,) if self.worker is None else (self.web, self.worker)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def run_middleware(
    emulators: Emulators[Any],
    workdir: Path,
    *,
    split: bool,
    env: Mapping[str, str] | None = None,
    port: int = 0,
    web_command: Sequence[str] = WEB_COMMAND,
) -> AsyncIterator[Children]:
    """The middleware's children until the block ends (database and logs in `workdir`)."""
    port = port or free_port()
    given = {
        **emulators.middleware_env(workdir),
        **(env or {}),
        "WORKER_IN_PROCESS": "false" if split else "true",
    }
    args = [*web_command, "--port", str(port)]
    web = MiddlewareProcess("web", args, given, cwd=workdir, log_path=workdir / "web.log")
    worker = MiddlewareProcess.worker(given, cwd=workdir) if split else None
    children = Children(url=f"http://{LOOPBACK}:{port}", web=web, worker=worker, env=given)
    async with running(*children.all):
        try:
            await wait_until_answering(children.url + "/health", process=web)
            await emulators.connect(children.url)
            yield children
        finally:
            emulators.point_pms_at(None)
