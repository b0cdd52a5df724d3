"""Seeded faults: outage, reproducible 5xx, slowness, and replies lost after the commit."""

import pytest

from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.pms_faults import FaultDecision, FaultRunner, PmsFaultPlan
from tests.sandbox.pms_harness import API, booking_body, running

KEY = {"Idempotency-Key": "0f1e2d3c-0000-4000-8000-000000000001:0"}


def decisions(plan: PmsFaultPlan, calls: int) -> list[FaultDecision]:
    runner = FaultRunner(plan)
    return [runner.before_call() for _ in range(calls)]


def test_the_same_seed_gives_the_same_faults() -> None:
    plan = PmsFaultPlan(42, p_5xx=0.3, p_slow=0.2, slow_s=1.5)
    first = decisions(plan, 50)
    assert first == decisions(plan, 50)
    assert first != decisions(PmsFaultPlan(43, p_5xx=0.3, p_slow=0.2, slow_s=1.5), 50)
    statuses = {d.status for d in first}
    assert statuses - {None} <= {500, 502, 503} and None in statuses and len(statuses) > 1
    assert {d.delay_s for d in first} == {0.0, 1.5}


def test_off_down_and_certain_plans() -> None:
    assert decisions(PmsFaultPlan(1), 3) == [FaultDecision()] * 3
    assert decisions(PmsFaultPlan(1, down=True), 2) == [FaultDecision(status=503)] * 2
    assert decisions(PmsFaultPlan(1, p_slow=1.0, slow_s=0.5), 2) == [FaultDecision(delay_s=0.5)] * 2
    runner = FaultRunner(PmsFaultPlan(1, fail_after_commit=2, commit_stall_s=3.0))
    assert [runner.after_commit() for _ in range(3)] == [
        FaultDecision(delay_s=3.0),
        FaultDecision(delay_s=3.0),
        FaultDecision(),
    ]
    with pytest.raises(ValueError, match="p_5xx must be within"):
        PmsFaultPlan(1, p_5xx=1.5)


async def test_down_answers_503_to_every_api_call_and_creates_nothing() -> None:
    pms = PmsEmulator(faults=PmsFaultPlan(0, down=True))
    async with running(pms) as client:
        answers = [
            await client.ari("2026-12-01", "2026-12-01"),
            await client.call("POST", API + "/booking", booking_body(), headers=KEY),
            await client.call("PATCH", API + "/booking/1", {"adultos": 1}),
            await client.call("POST", API + "/booking/1/cancel", {"motivo": "x"}),
        ]
        control = await client.call("GET", "/_control/bookings")
        pms.faults = None
        back = await client.ari("2026-12-01", "2026-12-01")
    down = (503, {"detail": "sistema-os unavailable (injected fault)"})
    assert answers == [down] * 4
    assert control == (200, {"bookings": []})
    assert back[0] == 200
    assert [r.status for r in pms.requests] == [503, 503, 503, 503, 200, 200]


async def test_seeded_5xx_are_reproducible_over_http() -> None:
    async def statuses(seed: int) -> list[int]:
        pms = PmsEmulator(shape="flat", faults=PmsFaultPlan(seed, p_5xx=0.5))
        async with running(pms) as client:
            return [(await client.ari("2026-12-01", "2026-12-01"))[0] for _ in range(16)]

    first = await statuses(2024)
    assert first == await statuses(2024)
    assert first != await statuses(2025)
    assert 200 in first and set(first) - {200} <= {500, 502, 503} and len(set(first)) > 1


async def test_a_reply_lost_after_commit_and_a_retry_make_one_booking() -> None:
    pms = PmsEmulator(faults=PmsFaultPlan(0, fail_after_commit=1))
    async with running(pms) as client:
        lost = await client.call("POST", API + "/booking", booking_body(), headers=KEY)
        retry = await client.call(
            "POST", API + "/booking", booking_body(observacoes="retry"), headers=KEY
        )
    assert lost == (500, {"detail": "internal error after commit (injected fault)"})
    assert retry == (201, {"id": 1, "apartamento": "OV-109", "status": "CONFIRMADA"})
    assert [(b.id, b.notes) for b in pms.bookings()] == [(1, "late arrival")]


async def test_a_reply_stalled_past_the_client_timeout_and_a_retry_make_one_booking() -> None:
    pms = PmsEmulator(faults=PmsFaultPlan(0, fail_after_commit=1, commit_stall_s=1.0))
    async with running(pms) as client:
        with pytest.raises(TimeoutError):
            await client.call("POST", API + "/booking", booking_body(), headers=KEY, timeout_s=0.2)
        retry = await client.call("POST", API + "/booking", booking_body(), headers=KEY)
    assert retry == (201, {"id": 1, "apartamento": "OV-109", "status": "CONFIRMADA"})
    assert len(pms.bookings()) == 1
