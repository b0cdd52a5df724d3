"""Heartbeats of several processes of one kind: each worker beats under its own name, the
kind lists them all (and nothing of another kind that merely starts the same), and the long
silent are forgotten together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.store.audit import Heartbeat
from middleware.store.port import Store

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_every_worker_of_the_kind_is_listed_by_name(store: Store) -> None:
    assert await store.audit.heartbeats("worker") == []
    await store.audit.heartbeat("worker:b:2:ff", at(1))
    await store.audit.heartbeat("worker:a:1:00", at(2), "started")
    await store.audit.heartbeat("worker", at(3))  # a single worker's older name
    await store.audit.heartbeat("workers", at(4))  # another kind
    await store.audit.heartbeat("web:a:1:00", at(5))
    await store.audit.heartbeat("worker:b:2:ff", at(6))  # beats again

    assert await store.audit.heartbeats("worker") == [
        Heartbeat(name="worker", at=at(3), detail=None),
        Heartbeat(name="worker:a:1:00", at=at(2), detail="started"),
        Heartbeat(name="worker:b:2:ff", at=at(6), detail=None),
    ]
    assert await store.audit.heartbeats("web") == [
        Heartbeat(name="web:a:1:00", at=at(5), detail=None)
    ]


async def test_the_long_silent_are_forgotten_together(store: Store) -> None:
    for name, second in (("worker:old:1", 0), ("worker:older:2", -10), ("worker:new:4", 50)):
        await store.audit.heartbeat(name, at(second))
    await store.audit.heartbeat("workers", at(-100))  # not a worker: kept

    assert await store.audit.forget_heartbeats("worker", before=at(1)) == [
        "worker:old:1",
        "worker:older:2",
    ]
    assert await store.audit.heartbeats("worker") == [
        Heartbeat(name="worker:new:4", at=at(50), detail=None)
    ]
    assert await store.audit.last_heartbeat("workers") == (at(-100), None)
