"""Group commit in front of a store operation that writes many items in one transaction.

`GroupCommit(write_many).submit(item)` returns once `item` is stored (with its result, e.g.
the row's id) or raises what its write raised. At most one write is in flight: the items
submitted while it waits for the store (and those submitted in the same turn of the event
loop as the first) go together in the next one. Alone, an item costs exactly one write; with
a hundred hotels, where the store is the worker's narrowest point, a few transactions a second
carry what were a hundred. Backend-neutral: it sees only the store operation (`Audit.record_calls`,
`SyncRequests.request_many`). No lifecycle: the writing task exists while there is something
to write. A caller that goes away (cancelled) leaves its item to be written all the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Items written together by `write_many` (one result per item, in order)."""

    def __init__(self, write_many: Callable[[list[Item]], Awaitable[Sequence[Result]]]) -> None:
        self._write_many = write_many
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writing: asyncio.Task[None] | None = None
        self.writes = 0  # batches written (tests compare it with the items)

    async def submit(self, item: Item) -> Result:
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_retrieved)  # a caller that went away leaves no loose error
        self._waiting.append((item, done))
        if self._writing is None:
            self._writing = asyncio.create_task(self._run(), name="group-commit")
        return await asyncio.shield(done)

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                await self._write(batch)
        except BaseException as exc:  # cancelled (shutdown): nobody waits forever
            batch, self._waiting = self._waiting, []
            _fail(batch, exc)
            raise
        finally:
            self._writing = None

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write_many([item for item, _ in batch])
        except Exception as exc:
            _fail(batch, exc)
            return
        except BaseException as exc:
            _fail(batch, exc)
            raise
        self.writes += 1
        for (_, done), result in zip(batch, results, strict=True):
            if not done.done():
                done.set_result(result)


def _fail(batch: Sequence[tuple[Any, asyncio.Future[Any]]], exc: BaseException) -> None:
    for _, done in batch:
        if done.done():
            continue
        if isinstance(exc, Exception):
            done.set_exception(exc)
        else:
            done.cancel()


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
