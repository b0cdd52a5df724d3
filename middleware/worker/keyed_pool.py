"""A bounded pool of background tasks with at most one task per key (a property, a lane).

The worker's loops hand each property's or lane's work to a `KeyedPool`, so one hotel's slow
PMS, slow Channex answers or paused lane holds only its own key: the others keep running, at
most `size` at once. A key already running is not started twice (its work is serial), and a
task's failure is logged, never raised into the loop that started it. `on_done` is called
after each task (the worker wakes its loop, so a key that finished can be given more work).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

DEFAULT_SIZE = 32

T = TypeVar("T")


class KeyedPool:
    def __init__(
        self, size: int = DEFAULT_SIZE, *, name: str, on_done: Callable[[], None] | None = None
    ) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self.size = size
        self.name = name
        self.on_done = on_done
        self._slots = asyncio.Semaphore(size)
        self._tasks: dict[Hashable, asyncio.Task[Any]] = {}
        self.running = 0  # holding a slot now
        self.peak_running = 0

    def busy(self, key: Hashable) -> bool:
        return key in self._tasks

    def keys(self) -> list[Hashable]:
        return list(self._tasks)

    def task_of(self, key: Hashable) -> asyncio.Task[Any] | None:
        """The task running for `key` now, if any."""
        return self._tasks.get(key)

    def start(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> asyncio.Task[T] | None:
        """Run `work()` in the background once a slot is free; None if `key` is running."""
        if key in self._tasks:
            return None
        task = asyncio.create_task(self._run(key, work), name=f"{self.name}:{key}")
        self._tasks[key] = task
        task.add_done_callback(lambda _: self._finished(key, task))
        return task

    async def _run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        async with self._slots:
            self.running += 1
            self.peak_running = max(self.peak_running, self.running)
            try:
                return await work()
            except Exception:
                log.exception("worker_task_failed", pool=self.name, key=str(key))
                raise
            finally:
                self.running -= 1

    def _finished(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled():
            task.exception()  # retrieved (and logged in `_run`), so asyncio does not warn
        if self.on_done is not None:
            self.on_done()

    async def drain(self, timeout_s: float) -> tuple[int, int]:
        """Let running tasks finish up to `timeout_s`, then cancel the rest; returns
        (finished, cancelled)."""
        tasks = list(self._tasks.values())
        if not tasks:
            return 0, 0
        done, pending = await asyncio.wait(tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        return len(done), len(pending)


async def results_of(tasks: Iterable[asyncio.Task[T] | None]) -> list[T]:
    """Wait for the started tasks; the values of those that finished without an error."""
    started = [task for task in tasks if task is not None]
    if not started:
        return []
    outcomes = await asyncio.gather(*started, return_exceptions=True)
    return [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]


async def outcome_of(task: asyncio.Task[T]) -> list[T]:
    """Wait for a task someone else started, without cancelling it if this wait is
    cancelled; its value if it finished without an error (else nothing)."""
    await asyncio.wait([task])
    if task.cancelled() or task.exception() is not None:
        return []
    return [task.result()]
