"""The middleware as child processes against the emulators (`system.open_emulators`).

    async with run_middleware(emulators, workdir, split=True, env=...) as children:
        children.url, children.web, children.worker   # MiddlewareProcess each
    async with run_middleware(emulators, workdir, split=True, webs=2, workers=3, env=...) as c:
        c.webs, c.urls, c.workers                     # one store (DATABASE_URL in env), 5 children

`split=True`: `python -m middleware.web` and `python -m middleware.worker`; `split=False`: one
process, worker inside (`WORKER_IN_PROCESS=true`; `workers` is then ignored). `web_command` runs
another entry point in the web's place (it is given `--port N`). Every child gets the same
environment — DATABASE_URL included when given, so they share the PostgreSQL store (on SQLite
they share the file in `workdir`). The block starts the children, waits until every web answers
`/health`, registers the booking webhooks and points every sistema-os at the first web; on the
way out it stops whichever children still run (SIGTERM), even after a failure.

Several webs: each listens on a port of its own, and each property gets one booking webhook per
web in the emulated Channex (the first through the setup engine, the others beside it), so every
booking event reaches every web at about the same moment — two processes race to store each
revision, which is what their shared dedup must hold against, and a dead web loses nothing while
another is up. The sistema-os change notices go to the first web only (when it is down, the
worker's PMS poll is the safety net).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from middleware.sandbox import many_hotels
from middleware.sandbox.processes import MiddlewareProcess, running, wait_until_answering
from middleware.sandbox.system_emulators import Emulators
from middleware.serving import LOOPBACK

WEB_COMMAND = ("-m", "middleware.web", "--host", LOOPBACK)
WORKER_COMMAND = ("-m", "middleware.worker")


@dataclass(frozen=True, slots=True, kw_only=True)
class Children:
    urls: tuple[str, ...]  # one per web, in order
    webs: tuple[MiddlewareProcess, ...]  # with split=False: each one a whole middleware
    workers: tuple[MiddlewareProcess, ...]  # empty with split=False
    env: dict[str, str]

    @property
    def url(self) -> str:
        """The first web's address (the one the sistema-os notices go to)."""
        return self.urls[0]

    @property
    def web(self) -> MiddlewareProcess:
        return self.webs[0]

    @property
    def worker(self) -> MiddlewareProcess | None:
        return self.workers[0] if self.workers else None

    @property
    def all(self) -> tuple[MiddlewareProcess, ...]:
        return (*self.webs, *self.workers)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _name(kind: str, number: int) -> str:
    """`web`, `web-2`, ...: the first keeps the plain name (and `web.log`)."""
    return kind if number == 1 else f"{kind}-{number}"


@contextlib.asynccontextmanager
async def run_middleware(
    emulators: Emulators[Any],
    workdir: Path,
    *,
    split: bool,
    env: Mapping[str, str] | None = None,
    port: int = 0,
    web_command: Sequence[str] = WEB_COMMAND,
    webs: int = 1,
    workers: int = 1,
) -> AsyncIterator[Children]:
    """The middleware's children until the block ends (database and logs in `workdir`)."""
    if webs < 1 or (split and workers < 1):
        raise ValueError(f"at least one web and (split) one worker: webs={webs} workers={workers}")
    given = {
        **emulators.middleware_env(workdir),
        **(env or {}),
        "WORKER_IN_PROCESS": "false" if split else "true",
    }
    ports = [port or free_port(), *(free_port() for _ in range(webs - 1))]
    web_children = tuple(
        MiddlewareProcess(
            _name("web", n),
            [*web_command, "--port", str(p)],
            given,
            cwd=workdir,
            log_path=workdir / f"{_name('web', n)}.log",
        )
        for n, p in enumerate(ports, start=1)
    )
    worker_children = tuple(
        MiddlewareProcess(
            _name("worker", n),
            list(WORKER_COMMAND),
            given,
            cwd=workdir,
            log_path=workdir / f"{_name('worker', n)}.log",
        )
        for n in range(1, (workers if split else 0) + 1)
    )
    children = Children(
        urls=tuple(f"http://{LOOPBACK}:{p}" for p in ports),
        webs=web_children,
        workers=worker_children,
        env=given,
    )
    async with running(*children.all):
        try:
            for url, web in zip(children.urls, children.webs, strict=True):
                await wait_until_answering(url + "/health", process=web)
            await emulators.connect(children.url)
            headers = {emulators.credentials.secret_header: emulators.credentials.webhook_secret}
            for url in children.urls[1:]:
                await many_hotels.register_webhooks(
                    emulators.client, emulators.mapping, url + "/webhook/channex", headers
                )
            yield children
        finally:
            emulators.point_pms_at(None)
