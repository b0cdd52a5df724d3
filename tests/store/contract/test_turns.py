"""Turns: how several workers share a timed pass (the PMS poll, the feed poll). One caller a
turn, whoever asks and however many ask at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from middleware.store.port import Store

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
EVERY_S = 10.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_a_turn_comes_round_once_every_interval(store: Store) -> None:
    asked = [0, 4, 9.5, 10, 12, 19.9, 20, 45]
    taken = [await store.audit.take_turn("turn:poll", at(s), every_s=EVERY_S) for s in asked]
    assert taken == [True, False, False, True, False, False, True, True]


async def test_each_name_has_its_own_turns(store: Store) -> None:
    assert await store.audit.take_turn("turn:poll", at(0), every_s=EVERY_S)
    assert await store.audit.take_turn("turn:feed", at(1), every_s=EVERY_S)
    assert not await store.audit.take_turn("turn:feed", at(2), every_s=EVERY_S)
    assert not await store.audit.take_turn("turn:poll", at(2), every_s=EVERY_S)


async def test_of_many_asking_at_once_one_takes_the_turn(store: Store) -> None:
    for round_s in (0, 10, 20):
        taken = await asyncio.gather(
            *(store.audit.take_turn("turn:nightly", at(round_s), every_s=EVERY_S) for _ in range(8))
        )
        assert sorted(taken) == [False] * 7 + [True]
