"""Wake-ups: recorded with who asked, taken once (two workers never both take one), taken
again only after a lost lease, finished with the work's result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.store.port import Store
from middleware.store.wakeups import Wakeup

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


LEASE_S = 60.0


async def test_a_lost_lease_lets_another_worker_take_it_and_done_is_final(
    store: Store,
) -> None:
    wakeup_id = await store.wakeups.ask("parity_check", by="admin", now=NOW)
    assert await store.wakeups.claim("parity_check", NOW, lease_s=LEASE_S) == [wakeup_id]
    later = NOW + timedelta(seconds=LEASE_S + 1)
    assert await store.wakeups.claim("parity_check", later, lease_s=LEASE_S) == [wakeup_id]

    await store.wakeups.finish([wakeup_id], later, result='{"passes": []}')

    assert await store.wakeups.claim("parity_check", later + timedelta(days=1), lease_s=1) == []
    assert await store.wakeups.get(wakeup_id) == Wakeup(
        id=wakeup_id,
        work="parity_check",
        asked_by="admin",
        asked_at=NOW,
        taken_until=None,
        done_at=later,
        result='{"passes": []}',
    )
    assert await store.wakeups.get(wakeup_id + 1) is None
