"""The worker's bounded pool: one task per key, at most `size` at once, failures logged and
contained, and a drain that cancels what does not finish in time."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from middleware.worker.keyed_pool import KeyedPool, results_of


async def test_a_key_already_running_is_not_started_twice() -> None:
    gate = asyncio.Event()
    pool = KeyedPool(4, name="t")

    async def work() -> str:
        await gate.wait()
        return "done"

    first = pool.start("hotel-1", work)
    assert first is not None
    assert pool.start("hotel-1", work) is None
    assert pool.busy("hotel-1") and not pool.busy("hotel-2")
    gate.set()
    assert await first == "done"
    await asyncio.sleep(0)
    assert not pool.busy("hotel-1")
    again = pool.start("hotel-1", work)
    assert again is not None and await again == "done"


async def test_at_most_size_tasks_hold_a_slot_and_the_others_wait_their_turn() -> None:
    gate = asyncio.Event()
    pool = KeyedPool(2, name="t")
    order: list[int] = []

    async def work(n: int) -> int:
        order.append(n)
        await gate.wait()
        return n

    tasks = [pool.start(n, lambda n=n: work(n)) for n in range(5)]  # type: ignore[misc]
    for _ in range(10):
        await asyncio.sleep(0)
    assert (pool.running, order) == (2, [0, 1])
    gate.set()
    assert await results_of(tasks) == [0, 1, 2, 3, 4]
    assert pool.peak_running == 2 and pool.running == 0


async def test_a_failing_task_is_logged_and_the_others_finish() -> None:
    pool = KeyedPool(2, name="bookings")
    ended: list[str] = []
    pool.on_done = lambda: ended.append("x")

    async def boom() -> int:
        raise RuntimeError("PMS exploded")

    async def fine() -> int:
        return 7

    with capture_logs() as logs:
        tasks = [pool.start("a", boom), pool.start("b", fine)]
        assert await results_of(tasks) == [7]
    assert [(e["event"], e["pool"], e["key"]) for e in logs] == [
        ("worker_task_failed", "bookings", "a")
    ]
    assert ended == ["x", "x"]


async def test_drain_lets_quick_tasks_finish_and_cancels_the_rest() -> None:
    pool = KeyedPool(4, name="t")
    cancelled = asyncio.Event()

    async def quick() -> None:
        await asyncio.sleep(0)

    async def stuck() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    pool.start("quick", quick)
    pool.start("stuck", stuck)
    assert await pool.drain(0.2) == (1, 1)
    assert cancelled.is_set()
    assert pool.keys() == []


def test_a_pool_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="size must be >= 1"):
        KeyedPool(0, name="t")
