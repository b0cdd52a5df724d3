"""Lane state: the persisted call log, the 429 pause ladder, the view for /status."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from middleware.domain.models import CellKey, Lane
from middleware.store import lanes
from middleware.store.port import Store

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


LANE = Lane("prop-1", "restrictions")


AVAIL = Lane("prop-1", "availability")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_reserve_call_allows_limit_per_window_per_lane(store: Store) -> None:
    granted = [await store.lanes.reserve_call(LANE, at(n), limit=3) for n in range(3)]
    assert granted == [None, None, None]
    assert await store.lanes.reserve_call(LANE, at(3), limit=3) == at(60)
    assert await store.lanes.reserve_call(LANE, at(59.9), limit=3) == at(60)
    assert await store.lanes.reserve_call(AVAIL, at(4), limit=3) is None  # separate allowance
    assert await store.lanes.reserve_call(LANE, at(60), limit=3) is None
    assert await store.lanes.reserve_call(LANE, at(60.5), limit=3) == at(61)


async def test_pause_climbs_the_ladder_and_honours_retry_after(store: Store) -> None:
    untils = [await store.lanes.pause(LANE, at(0), retry_after_s=None) for _ in range(6)]
    assert untils == [at(60), at(120), at(240), at(480), at(600), at(600)]
    await store.lanes.clean_push(LANE, at(1))
    assert await store.lanes.pause(LANE, at(1), retry_after_s=None) == at(61)
    assert await store.lanes.pause(LANE, at(1), retry_after_s=300) == at(301)
    assert await store.lanes.pause(AVAIL, at(2), retry_after_s=30.5) == at(62)


async def test_states_lists_every_known_lane(store: Store) -> None:
    await store.lanes.reserve_call(AVAIL, at(0), limit=10)
    await store.lanes.reserve_call(AVAIL, at(30), limit=10)
    await store.lanes.pause(LANE, at(40), retry_after_s=None)
    assert await store.lanes.states(at(70)) == [
        lanes.LaneState(
            lane=AVAIL,
            failures=0,
            next_attempt_at=None,
            pause_count=0,
            paused_until=None,
            last_push_at=None,
            last_success_at=None,
            last_error=None,
            calls_in_window=1,
        ),
        lanes.LaneState(
            lane=LANE,
            failures=0,
            next_attempt_at=None,
            pause_count=1,
            paused_until=at(100),
            last_push_at=None,
            last_success_at=None,
            last_error=None,
            calls_in_window=0,
        ),
    ]
    await store.lanes.clean_push(LANE, at(200))
    state = await store.lanes.get(LANE, at(200))
    assert state is not None and (state.pause_count, state.paused_until) == (0, None)
    assert await store.lanes.get(Lane("prop-9", "availability"), at(200)) is None


async def test_a_read_takes_a_push_slot_only_with_nothing_to_push_and_half_the_slots_free(
    store: Store,
) -> None:
    for n in range(4):
        assert await store.lanes.reserve_call(LANE, at(n), limit=10) is None
    assert await store.lanes.reserve_read(LANE, at(5), limit=10) is True  # 5 of 10 used after
    assert await store.lanes.reserve_read(LANE, at(6), limit=10) is False  # would leave 4 free
    assert await store.lanes.reserve_read(LANE, at(66), limit=10) is True  # window moved on
    day = T0.date() + timedelta(days=3)
    await store.outbox.enqueue(LANE, {CellKey("rp", day): {"rate": Decimal(5)}}, at(70))
    assert await store.lanes.reserve_read(LANE, at(130), limit=10) is False  # a push waits
    await store.lanes.pause(AVAIL, at(130), retry_after_s=None)
    assert await store.lanes.reserve_read(AVAIL, at(131), limit=10) is False  # paused lane
    # Reads with a budget of their own never count against (or wait for) pushes.
    assert [
        await store.lanes.reserve_read(LANE, at(131), limit=10, own_limit=2) for _ in "abc"
    ] == [
        True,
        True,
        False,
    ]
    assert await store.lanes.reserve_call(LANE, at(132), limit=1) is None
    [state] = [s for s in await store.lanes.states(at(132)) if s.lane == LANE]
    assert state.calls_in_window == 1
