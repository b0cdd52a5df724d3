"""`PostgresStore`: the concerns composed over one database share its state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from middleware.domain.models import CellKey, Lane
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
