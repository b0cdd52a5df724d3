"""`PostgresStore`: the concerns composed over one database share its state."""

from __future__ import annotations

import importlib
import inspect
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import pytest

from middleware.domain.models import CellKey, Lane
from middleware.store.postgres.database import PostgresDatabase, migrations
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


async def test_the_schema_version_is_the_last_migrations(pg_url: str) -> None:
    store = await PostgresStore.open(pg_url, caller_clock=True)
    try:
        assert await store.schema_version() == store.latest_schema_version == len(migrations())
    finally:
        await store.close()


CONCERNS = [
    *("lanes", "ari_state", "outbox", "revisions", "notices", "inbox", "booking_map"),
    *("sync_requests", "audit", "live", "wakeups", "parity_drift", "fetched_facts"),
    *("pms_rooms", "timeline", "prune", "retention"),
]


def _signature(function: Any) -> tuple[list[tuple[str, Any, Any]], Any]:
    signature = inspect.signature(function)
    parameters = [(p.name, p.kind, p.default) for p in signature.parameters.values()]
    return parameters, signature.return_annotation


@pytest.mark.parametrize("concern", CONCERNS)
def test_each_concern_has_the_ports_operations(concern: str) -> None:
    """Beyond mypy's check of `PostgresStore` against `store.port.Store`: every operation of
    the concern's protocol (`store/<concern>.py`) with the same parameter names, kinds and
    defaults and the same result annotation."""
    module = importlib.import_module(f"middleware.store.{concern}")
    (protocol,) = (
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and getattr(value, "_is_protocol", False)
        and value.__module__ == module.__name__
    )
    pg = getattr(PostgresStore(cast(PostgresDatabase, None)).concerns, concern)
    checked = []
    for name, function in inspect.getmembers(protocol, inspect.isfunction):
        if name.startswith("_"):
            continue
        method = getattr(type(pg), name, None)
        assert method is not None, f"{concern}.{name} is missing"
        assert (name, _signature(method)) == (name, _signature(function))
        checked.append(name)
    assert checked, f"no operation found in {protocol.__name__}"
