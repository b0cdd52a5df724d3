"""Repeated wrong sign-in tokens are slowed down, per address and for everybody together."""

from __future__ import annotations

import pytest

from middleware.console.throttle import GLOBAL_FREE_TRIES, MAX_DELAY_S, WINDOW_S, SignInThrottle
from tests.kit.clocks import Ticker


def test_the_first_tries_are_free_then_each_waits_twice_as_long_up_to_the_cap() -> None:
    throttle = SignInThrottle(clock=Ticker())
    delays = []
    for _ in range(10):
        delays.append(throttle.delay_s("10.0.0.1"))
        throttle.failed("10.0.0.1")
    assert delays == [0.0, 0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, MAX_DELAY_S, MAX_DELAY_S]
    assert throttle.delay_s("10.0.0.2") == 0.0  # another address is not slowed


def test_a_success_clears_the_address_and_old_failures_expire() -> None:
    clock = Ticker()
    throttle = SignInThrottle(clock=clock)
    for _ in range(5):
        throttle.failed("a")
    assert throttle.delay_s("a") == 4.0
    throttle.succeeded("a")
    assert throttle.delay_s("a") == 0.0
    for _ in range(5):
        throttle.failed("a")
    clock.now += WINDOW_S
    assert throttle.delay_s("a") == 0.0


@pytest.mark.parametrize(
    ("failures", "delay"), [(GLOBAL_FREE_TRIES - 1, 0.0), (GLOBAL_FREE_TRIES + 2, 4.0)]
)
def test_many_addresses_together_are_slowed_too(failures: int, delay: float) -> None:
    throttle = SignInThrottle(clock=Ticker())
    for n in range(failures):
        throttle.failed(f"10.0.{n}.1")
    assert throttle.delay_s("192.168.0.9") == delay
