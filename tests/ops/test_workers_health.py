"""Several workers (PostgreSQL deployments): each beats under its own name; `/health` and the
`check` command say how many are fresh with each one's age and list the stale apart, pass
while one is fresh, and the problem watch alerts only when not one is."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from middleware.ops.checks import shown_workers, worker_detail
from middleware.ops.watch import WORKER_STALE_ALERT, ProblemWatch
from middleware.worker.runner import HEARTBEAT_NAME
from tests.flow.harness import start_system
from tests.kit.clocks import ManualClock
from tests.test_alerts import SOURCE, receiving
from tests.web.operator_kit import NO_WORKER, get_text

STALE_S = 60


@pytest.mark.parametrize(
    ("ages", "detail"),
    [
        ([("worker", 5.0)], "last heartbeat 5 s ago"),
        ([("worker:vm:7:ab", 61.0)], "last heartbeat 61 s ago (stale)"),
        (
            [("worker:a:1:00", 2.0), ("worker:b:2:11", 60.0)],
            "2 of 2 workers fresh: a:1:00 2 s ago, b:2:11 60 s ago",
        ),
        (
            [("worker:a:1:00", 400.0), ("worker:b:2:11", 3.0), ("worker", 90.0)],
            "1 of 3 workers fresh: b:2:11 3 s ago; stale: a:1:00 400 s ago, worker 90 s ago",
        ),
        (
            [("worker:a:1:00", 61.0), ("worker:b:2:11", 62.0)],
            "0 of 2 workers fresh; stale: a:1:00 61 s ago, b:2:11 62 s ago",
        ),
    ],
)
def test_what_the_worker_check_says(ages: list[tuple[str, float]], detail: str) -> None:
    assert worker_detail(ages, STALE_S) == detail


@pytest.mark.parametrize(
    ("found", "shown"),
    [
        # a restart: the stopped worker is not counted beside the fresh one that replaced it
        ([("worker:a", 3.0, True), ("worker:b", 1.0, False)], [("worker:b", 1.0)]),
        # between the stop and the start: the stopped one, still fresh, keeps /health green
        ([("worker:a", 3.0, True)], [("worker:a", 3.0)]),
        # a running worker gone stale (killed): listed with the fresh stopped one
        (
            [("worker:a", 3.0, True), ("worker:b", 90.0, False)],
            [("worker:a", 3.0), ("worker:b", 90.0)],
        ),
        # stopped long ago: listed no more while another worker is listed
        ([("worker:a", 900.0, True), ("worker:b", 90.0, False)], [("worker:b", 90.0)]),
        # only the long stopped: the newest of them, stale
        (
            [("worker:a", 900.0, True), ("worker:c", 100.0, True)],
            [("worker:c", 100.0)],
        ),
    ],
)
def test_which_workers_the_check_speaks_of(
    found: list[tuple[str, float, bool]], shown: list[tuple[str, float]]
) -> None:
    assert shown_workers(found, STALE_S) == shown


async def test_health_passes_while_one_worker_is_fresh_and_the_watch_alerts_when_none_is(
    clock: ManualClock, tmp_path: Path
) -> None:
    async with receiving() as (receiver, url):
        env = {**NO_WORKER, "ALERT_WEBHOOK_URL": url}
        async with start_system(tmp_path, clock=clock, extra_env=env) as system:
            audit = system.context.runtime.store.audit
            watch = ProblemWatch(system.context.runtime, system.context.checker)

            async def worker_entry() -> tuple[int, dict[str, object]]:
                status, text = await get_text(system, "/health")
                body = orjson.loads(text)
                [entry] = [c for c in body["checks"] if c["name"] == "worker"]
                return status, entry

            await audit.heartbeat(f"{HEARTBEAT_NAME}:m1:10:aa", clock())
            clock.advance(50)
            await audit.heartbeat(f"{HEARTBEAT_NAME}:m2:20:bb", clock())
            clock.advance(20)  # the first is 70 s old: stale; the second 20 s
            detail = "1 of 2 workers fresh: m2:20:bb 20 s ago; stale: m1:10:aa 70 s ago"
            assert await worker_entry() == (200, {"name": "worker", "ok": True, "detail": detail})
            assert await watch.check_once() == []
            clock.advance(41)
            detail = "0 of 2 workers fresh; stale: m1:10:aa 111 s ago, m2:20:bb 61 s ago"
            assert await worker_entry() == (503, {"name": "worker", "ok": False, "detail": detail})
            assert await watch.check_once() == [WORKER_STALE_ALERT]
            assert await watch.check_once() == []  # one alert per spell
            texts = await receiver.wait_for(1)
    assert texts == [f"{SOURCE} worker_stale: worker {detail}"]
