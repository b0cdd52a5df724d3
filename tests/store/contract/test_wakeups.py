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


async def test_work_about_one_thing_keeps_its_subject_and_the_newest_ask_is_found(
    store: Store,
) -> None:
    """A read-back of one month: asked twice, the newest ask about it is the one found; a
    month or work never asked about has none; `done` finds the newest finished one."""
    month = "p1|availability|2026-12"
    first = await store.wakeups.ask("read_back", by="console", now=NOW, subject=month)
    other = await store.wakeups.ask("read_back", by="console", now=NOW, subject="p1|x|2027-01")
    second = await store.wakeups.ask("read_back", by="console", now=NOW, subject=month)
    assert await store.wakeups.claim("read_back", NOW, lease_s=LEASE_S) == [first, other, second]
    await store.wakeups.finish([first], NOW, result='{"outcome": "read"}')

    newest = await store.wakeups.latest("read_back", month)
    assert newest == Wakeup(
        id=second,
        work="read_back",
        asked_by="console",
        asked_at=NOW,
        taken_until=NOW + timedelta(seconds=LEASE_S),
        done_at=None,
        result=None,
        subject=month,
    )
    done = await store.wakeups.latest("read_back", month, done=True)
    assert done is not None and (done.id, done.result) == (first, '{"outcome": "read"}')
    assert await store.wakeups.latest("ack_handled", month) is None
    assert await store.wakeups.latest("read_back", "p2|availability|2026-12") is None
