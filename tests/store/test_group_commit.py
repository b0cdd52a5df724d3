"""Group commit: items that wait for a busy store are written together, each caller getting
its own result once its item is stored; a failed write fails only the items in it."""

from __future__ import annotations

import asyncio

import pytest

from middleware.store.group_commit import GroupCommit


class Store:
    """A `write_many` that holds each write until `gate` is set and records the batches."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.batches: list[list[str]] = []
        self.fail_next = False

    async def write_many(self, items: list[str]) -> list[str]:
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("disk full")
        self.batches.append(list(items))
        return [f"id-{item}" for item in items]


async def test_items_waiting_for_a_busy_store_are_written_together() -> None:
    store = Store()
    writer: GroupCommit[str, str] = GroupCommit(store.write_many)
    first = [asyncio.ensure_future(writer.submit(x)) for x in ("a", "b")]  # the same turn
    await asyncio.sleep(0.01)  # their write waits for the store
    later = [asyncio.ensure_future(writer.submit(x)) for x in ("c", "d", "e")]
    await asyncio.sleep(0.01)
    assert [task.done() for task in first + later] == [False] * 5
    store.gate.set()
    assert await asyncio.gather(*first, *later) == ["id-a", "id-b", "id-c", "id-d", "id-e"]
    assert await writer.submit("f") == "id-f"  # alone: a write of its own
    assert (store.batches, writer.writes) == ([["a", "b"], ["c", "d", "e"], ["f"]], 3)


async def test_a_failed_write_fails_each_item_in_it_and_the_next_write_goes_on() -> None:
    store = Store()
    writer: GroupCommit[str, str] = GroupCommit(store.write_many)
    store.fail_next = True
    failed = [asyncio.ensure_future(writer.submit(x)) for x in ("a", "b")]
    await asyncio.sleep(0.01)
    after = asyncio.ensure_future(writer.submit("c"))
    await asyncio.sleep(0.01)
    store.gate.set()
    outcomes = await asyncio.gather(*failed, return_exceptions=True)
    assert [repr(outcome) for outcome in outcomes] == ["RuntimeError('disk full')"] * 2
    assert (await after, store.batches) == ("id-c", [["c"]])


async def test_a_caller_that_goes_away_still_has_its_item_written() -> None:
    store = Store()
    writer: GroupCommit[str, str] = GroupCommit(store.write_many)
    gone = asyncio.ensure_future(writer.submit("a"))
    await asyncio.sleep(0.01)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    store.gate.set()
    assert await writer.submit("b") == "id-b"
    assert store.batches == [["a"], ["b"]]
