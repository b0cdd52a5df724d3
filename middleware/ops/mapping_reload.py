"""Reloading the mapping file without a restart.

Triggers: SIGHUP to a process (`web`, `worker`, or the one-process `web`), `POST
/admin/mapping/reload`, and `python -m middleware reload-mapping`. The file is validated first
(`load_mapping`): a bad file keeps the mapping in use, and says why — in the route's answer,
the command's output, a log line (`mapping_reload_refused`) and a notice
(`mapping_reload_failed`, resolved by the next good reload).

Processes follow each other through the store: a reload done in one process (or asked for by
the CLI, which has no process to reload) writes a stamp (`keys.MAPPING_RELOAD_KEY`); every process's
`MappingReloader` looks at it every `interval_s` and reloads when it changed. So a signal to
the worker alone, or the route answered by the web process, reloads both.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import structlog

from middleware.domain.mapping import Mapping
from middleware.errors import MappingFileError
from middleware.mapping_file import load_mapping
from middleware.ops.runtime import Runtime
from middleware.store import keys
from middleware.store.port import Store
from middleware.store.stamps import to_db_time

log = structlog.get_logger(__name__)

FAILED_NOTICE = "mapping_reload_failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReloadResult:
    ok: bool
    problems: tuple[str, ...]  # why the file was refused (the mapping in use is kept)
    properties: int  # of the mapping in use afterwards
    categorias: tuple[str, ...]


def summary(mapping: Mapping) -> tuple[int, tuple[str, ...]]:
    return len(mapping.properties), mapping.room_codes()


async def request_reload(store: Store, now: datetime) -> None:
    """Ask every running process to reload the file (they look within their interval)."""
    await store.audit.set_value(keys.MAPPING_RELOAD_KEY, to_db_time(now), now)


class MappingReloader:
    """One per process: reloads its runtime's mapping when asked (signal, route, stamp)."""

    def __init__(self, runtime: Runtime, *, interval_s: float) -> None:
        self._rt = runtime
        self.interval_s = interval_s
        self._seen: str | None = None
        self._started = False
        self._lock = asyncio.Lock()

    async def reload_now(self, *, announce: bool = True) -> ReloadResult:
        """Validate the file and switch to it; with `announce`, the other processes follow."""
        async with self._lock:
            path = self._rt.settings.mapping_file
            now = self._rt.clock()
            try:
                mapping = load_mapping(path)
            except MappingFileError as exc:
                return await self._refused(exc, now)
            self._rt.use_mapping(mapping)
            properties, codes = summary(mapping)
            log.info("mapping_reloaded", path=str(path), properties=properties, categorias=codes)
            await self._rt.store.notices.resolve(now, kind=FAILED_NOTICE)
            if announce:
                await request_reload(self._rt.store, now)
                self._seen = await self._rt.store.audit.get_value(keys.MAPPING_RELOAD_KEY)
            return ReloadResult(ok=True, problems=(), properties=properties, categorias=codes)

    async def _refused(self, exc: MappingFileError, now: datetime) -> ReloadResult:
        path = self._rt.settings.mapping_file
        log.error("mapping_reload_refused", path=str(path), problems=list(exc.problems))
        detail = f"{exc}; the mapping in use is kept"
        await self._rt.store.notices.add(FAILED_NOTICE, detail, now, ref=str(path))
        properties, codes = summary(self._rt.mapping)
        return ReloadResult(
            ok=False, problems=exc.problems, properties=properties, categorias=codes
        )

    async def check_once(self) -> ReloadResult | None:
        """Reload if another process (or the CLI) asked since the last look; the first look
        only notes the stamp (the mapping was just loaded at start)."""
        stamp = await self._rt.store.audit.get_value(keys.MAPPING_RELOAD_KEY)
        if not self._started:
            self._started, self._seen = True, stamp
            return None
        if stamp == self._seen:
            return None
        self._seen = stamp
        return await self.reload_now(announce=False)

    async def run(self) -> None:
        """Look every `interval_s` until cancelled; a failed look is logged, never fatal."""
        while True:
            try:
                await self.check_once()
            except Exception:
                log.exception("mapping_reload_check_failed")
            await asyncio.sleep(self.interval_s)

    def install_sighup(self) -> None:
        """Reload on SIGHUP (the process's entry point calls this inside its event loop)."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(
            signal.SIGHUP, lambda: loop.create_task(self._on_signal(), name="mapping-reload")
        )

    async def _on_signal(self) -> None:
        log.info("mapping_reload_signalled")
        try:
            await self.reload_now()
        except Exception:
            log.exception("mapping_reload_failed")


@contextlib.asynccontextmanager
async def running(reloader: MappingReloader) -> AsyncIterator[MappingReloader]:
    """Run `reloader`'s look-loop in the background for the duration of the block."""
    await reloader.check_once()  # note the stamp before anything can change it
    task = asyncio.create_task(reloader.run(), name="mapping-reload-watch")
    try:
        yield reloader
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
