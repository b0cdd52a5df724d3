"""A claim waits for a write that holds its lane, then takes the lane's rows.

The pump reserves a rate-limit slot before it claims. A claim that gave up on a lane another
transaction held (an ARI sync enqueueing into it, as happens many times a second in a storm)
returned None with the slot already spent: in the many-hotels storm 8 to 17 slots a run went
unused, and a healthy lane sent 27 calls where SQLite sent 30. Lane transactions are short
(no network inside), so the claim waits for the lock instead.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from middleware.domain.models import CellKey, Cells, Lane
from middleware.store.outbox import Claim
from middleware.store.postgres.lanes import lock_lane
from middleware.store.postgres.store import PostgresStore

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LANE = Lane("prop-1", "restrictions")
CHANGES: Cells = {CellKey("plan-1", date(2026, 11, 21)): {"rate": 12345}}
HELD_S = 0.3


async def test_a_claim_waits_for_the_writer_holding_its_lane(pg_url: str) -> None:
    store = await PostgresStore.open(pg_url, caller_clock=True)
    try:
        await store.outbox.enqueue(LANE, CHANGES, NOW)
        async with store.db.transaction() as conn:  # another writer holds the lane
            await lock_lane(conn, LANE)
            claiming = asyncio.create_task(store.outbox.claim(LANE, NOW, lease_s=60))
            await asyncio.sleep(HELD_S)
            assert not claiming.done()  # waiting, not given up
        claim = await claiming
        assert claim is not None
        assert (claim.lane, claim.cells) == (LANE, CHANGES)
    finally:
        await store.close()


async def test_a_claim_within_the_limit_waits_too_and_spends_one_slot(pg_url: str) -> None:
    """The pump's claim (slot and rows in one transaction) waits as `claim` does, and the slot
    it takes pays for the push it returns."""
    store = await PostgresStore.open(pg_url, caller_clock=True)
    try:
        await store.outbox.enqueue(LANE, CHANGES, NOW)
        async with store.db.transaction() as conn:
            await lock_lane(conn, LANE)
            claiming = asyncio.create_task(
                store.outbox.claim_within_limit(
                    LANE, NOW, today=NOW.date(), limit=1, window_s=60, lease_s=60
                )
            )
            await asyncio.sleep(HELD_S)
            assert not claiming.done()
        claim = await claiming
        assert isinstance(claim, Claim)
        assert (claim.lane, claim.cells) == (LANE, CHANGES)
        await store.outbox.release(claim, NOW)  # the rows go back; the slot stays spent
        assert await store.outbox.claim_within_limit(
            LANE, NOW, today=NOW.date(), limit=1, window_s=60, lease_s=60
        ) == NOW + timedelta(seconds=60)
    finally:
        await store.close()
