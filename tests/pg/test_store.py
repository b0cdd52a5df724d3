"""`PostgresStore`: the concerns composed over one database share its state."""

from __future__ import annotations

import importlib
import inspect
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from middleware.domain.models import CellKey, Lane
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.store import PostgresStore

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LANE = Lane("prop-1", "availability")
DAY = date(2026, 11, 21)


async def test_a_push_through_the_store_reaches_ari_state_and_the_lane(pg_url: str) -> None:
    store = await PostgresStore.open(pg_url, caller_clock=True)
    try:
        assert await store.outbox.enqueue(LANE, {CellKey("rt", DAY): {"availability": 2}}, T0) == 1
        claim = await store.outbox.claim(LANE, T0, lease_s=60)
        assert claim is not None
        await store.outbox.complete(
            claim, T0 + timedelta(seconds=1), task_ids=["t"], warnings=[], rejected=[],
            values_count=1, bytes_sent=10, calls=1, payload_sha256="0" * 64, duration_ms=5,
        )  # fmt: skip
        assert await store.ari_state.acked(LANE, None, DAY, DAY) == {
            CellKey("rt", DAY): {"availability": 2}
        }
        state = await store.lanes.get(LANE, T0 + timedelta(seconds=1))
        assert state is not None
        assert (state.failures, state.last_success_at) == (0, T0 + timedelta(seconds=1))
        assert await store.outbox.backlog(T0) == []
    finally:
        await store.close()


CONCERNS = [
    *("lanes", "ari_state", "outbox", "revisions", "notices", "inbox", "booking_map"),
    *("sync_requests", "audit", "live", "wakeups", "parity_drift", "fetched_facts"),
    *("pms_rooms", "timeline", "prune"),
]


def _signature(function: Any, *, drop_db: bool) -> list[tuple[str, Any, Any]]:
    parameters = list(inspect.signature(function).parameters.values())
    if drop_db:
        parameters = parameters[1:]
    return [(p.name, p.kind, p.default) for p in parameters]


@pytest.mark.parametrize("concern", CONCERNS)
def test_each_concern_has_the_sqlite_modules_operations(concern: str) -> None:
    """The port's rule: a method for every public function of `store/<concern>.py` that takes
    the database (or a connection of the caller's transaction), with the same name,
    parameters (the database dropped) and result type."""
    module = importlib.import_module(f"middleware.store.{concern}")
    pg = getattr(PostgresStore(cast(PostgresDatabase, None)), concern)
    checked = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or function.__module__ != module.__name__:
            continue
        first = next(iter(inspect.signature(function).parameters), None)
        if first not in ("db", "conn"):
            continue
        method = getattr(pg, name, None)
        assert method is not None, f"{concern}.{name} is missing"
        expected = _signature(function, drop_db=first == "db")
        assert (name, _signature(method, drop_db=False)) == (name, expected)
        theirs = inspect.signature(function).return_annotation
        assert inspect.signature(method).return_annotation == theirs, name
        checked.append(name)
    assert checked, f"no operation found in store/{concern}.py"
