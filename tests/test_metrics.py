"""`GET /metrics`: what a flow leaves in the counters, by name and label, and the two-process
deployment's merged view (`METRICS_DIR`, prometheus_client's multiprocess mode).

The registry is per process and the test process runs many systems, so the flow test reads
`/metrics` before and after and compares the differences against the emulators' own logs.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from middleware import metrics
from middleware.calllog import CallRecord
from middleware.sandbox.system_processes import free_port
from tests.flow import ota
from tests.flow.harness import SECRET_HEADER, System, start_system
from tests.kit.clocks import ManualClock
from tests.test_processes import ADMIN, emulators, healthy, spawn, terminate
from tests.web.operator_kit import INSTANT_ARI, get_text

D = date.fromisoformat
Key = tuple[str, tuple[tuple[str, str], ...]]
WAIT_S = 30.0


def samples(text: str) -> dict[Key, float]:
    """Every sample of the exposition text: (name, sorted labels) → value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def key(name: str, **labels: str) -> Key:
    return (name, tuple(sorted(labels.items())))


def grown(before: dict[Key, float], after: dict[Key, float]) -> dict[Key, float]:
    """Samples that grew (counters, histogram counts), by how much; `_created` and `_sum`
    (timestamps, seconds) and gauges left out."""
    return {
        k: after[k] - before.get(k, 0.0)
        for k in after
        if not k[0].endswith(("_created", "_sum", "_bucket"))
        and k[0] != "queue_depth"
        and after[k] != before.get(k, 0.0)
    }


@pytest.mark.parametrize(
    ("url", "template"),
    [
        ("http://h:1/api/v1/availability", "availability"),
        ("http://h:1/api/v1/properties/7c158e21-d4c6-4009-98d5-71bb56ad242d", "properties/:id"),
        (
            "http://h:1/api/v1/booking_revisions/38839274-7e10-47ff-9aa3-7de71877a5a3/ack",
            "booking_revisions/:id/ack",
        ),
        ("http://h:1/api/v1/booking_revisions/feed?pagination[page]=2", "booking_revisions/feed"),
        ("http://h:1/api/v1/channex/booking/1234", "channex/booking/:id"),
        ("http://h:1/", "/"),
    ],
)
def test_call_urls_become_bounded_endpoint_labels(url: str, template: str) -> None:
    assert metrics.path_template(url) == template


def test_status_classes() -> None:
    assert [metrics.status_class(s) for s in (200, 201, 401, 429, 503, None)] == [
        "2xx",
        "2xx",
        "4xx",
        "429",
        "5xx",
        "error",
    ]


def test_observe_call_counts_channex_calls_and_times_pms_calls() -> None:
    before = samples(metrics.exposition().decode())
    common = {"request_body": None, "response_body": None}
    metrics.observe_call(
        CallRecord(
            service="channex",
            method="GET",
            url="http://h/api/v1/booking_revisions/0c1d2e3f-aaaa-bbbb-cccc-111122223333",
            status=429,
            duration_ms=3,
            **common,
        )
    )
    metrics.observe_call(
        CallRecord(
            service="pms",
            method="PATCH",
            url="http://pms/api/v1/channex/booking/77",
            status=200,
            duration_ms=250,
            **common,
        )
    )
    after = samples(metrics.exposition().decode())
    assert grown(before, after) == {
        key("channex_calls_total", endpoint="booking_revisions/:id", status="429"): 1.0,
        key("pms_call_seconds_count", operation="PATCH channex/booking/:id"): 1.0,
    }
    pms_sum = key("pms_call_seconds_sum", operation="PATCH channex/booking/:id")
    assert after[pms_sum] - before.get(pms_sum, 0.0) == pytest.approx(0.25)


def test_webhook_outcomes_have_bounded_labels() -> None:
    before = samples(metrics.exposition().decode())
    metrics.webhook_event("booking_new", "queued")
    metrics.webhook_event("anything-a-sender-invents", "ignored")
    metrics.webhook_refused("wrong secret")
    metrics.webhook_refused("body larger than 1024 bytes")
    after = samples(metrics.exposition().decode())
    name = "webhook_events_total"
    assert grown(before, after) == {
        key(name, event="booking_new", outcome="queued"): 1.0,
        key(name, event="other", outcome="ignored"): 1.0,
        key(name, event="unknown", outcome="rejected_wrong_secret"): 1.0,
        key(name, event="unknown", outcome="rejected_body_larger_than_1024_bytes"): 1.0,
    }


async def _metrics(system: System) -> dict[Key, float]:
    status, text = await get_text(system, "/metrics")
    assert status == 200
    return samples(text)


async def test_metrics_after_a_flow(tmp_path: Path) -> None:
    async with start_system(tmp_path, clock=ManualClock(), extra_env=INSTANT_ARI) as system:
        before = await _metrics(system)
        await system.full_sync()
        booking_id, revision_id = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", D("2026-12-10"), D("2026-12-12"))],
        )
        await system.settle()
        system.pms.set_rate("ov", "padrao", D("2026-11-25"), D("2026-11-25"), Decimal("321"))
        await system.settle()
        headers = {SECRET_HEADER: "not-the-secret"}
        async with system.session.post(
            system.url + "/webhook/channex", json={"event": "booking"}, headers=headers
        ) as response:
            assert response.status == 401
        after = await _metrics(system)

    assert ota.acks(system) == Counter({revision_id: 1})
    ari = Counter(
        (r.path.removeprefix("/api/v1/"), r.status)
        for r in system.channex.requests
        if r.path in ("/api/v1/availability", "/api/v1/restrictions")
    )
    # full sync: one of each; the booking's nights and the ov rate: one each
    assert ari == Counter({("availability", 200): 2, ("restrictions", 200): 2})
    pms_ari_reads = sum(1 for r in system.pms.requests if r.path == "/api/v1/channex/ari")
    values_sent = {e: sum(len(b["values"]) for b in system.posts(e)) for e in PUSHED}
    delta = grown(before, after)
    # `booking` and `booking_new` announce the same revision: one queues it, one is a duplicate
    booking_events = Counter(
        {
            (dict(k[1])["event"], dict(k[1])["outcome"]): int(delta.pop(k))
            for k in list(delta)
            if k[0] == "webhook_events_total" and dict(k[1])["event"] != "unknown"
        }
    )
    assert sorted(booking_events.elements()) in (
        [("booking", "queued"), ("booking_new", "duplicate")],
        [("booking", "duplicate"), ("booking_new", "queued")],
    )
    assert delta == {
        key("channex_pushes_total", endpoint="availability", outcome="sent"): 2.0,
        key("channex_pushes_total", endpoint="restrictions", outcome="sent"): 2.0,
        key("channex_push_values_total", endpoint="availability"): values_sent["availability"],
        key("channex_push_values_total", endpoint="restrictions"): values_sent["restrictions"],
        key("channex_calls_total", endpoint="availability", status="2xx"): 2.0,
        key("channex_calls_total", endpoint="restrictions", status="2xx"): 2.0,
        key("channex_calls_total", endpoint="booking_revisions/:id", status="2xx"): 1.0,
        key("channex_calls_total", endpoint="booking_revisions/:id/ack", status="2xx"): 1.0,
        key("webhook_events_total", event="unknown", outcome="rejected_wrong_secret"): 1.0,
        key("booking_revisions_total", outcome="acked"): 1.0,
        key("booking_processing_seconds_count"): 1.0,
        key("pms_call_seconds_count", operation="GET channex/ari"): float(pms_ari_reads),
        key("pms_call_seconds_count", operation="POST channex/booking"): 1.0,
    }
    assert after[key("queue_depth", queue="outbox_pending")] == 0.0
    assert after[key("queue_depth", queue="revisions_pending")] == 0.0
    assert [b.channex_booking_id for b in system.pms.bookings()] == [booking_id]


async def test_two_processes_share_one_metrics_view_with_metrics_dir(tmp_path: Path) -> None:
    """The worker pushes; the web process's /metrics shows the worker's counters."""
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    async with emulators(tmp_path) as base_env, aiohttp.ClientSession() as session:
        env = {**base_env, "METRICS_DIR": str(metrics_dir), "WORKER_INTERVAL": "0.2"}
        url = f"http://127.0.0.1:{port}"
        with (tmp_path / "processes.log").open("wb") as log:
            worker = await spawn(["-m", "middleware.worker"], env, tmp_path, log)
            web = await spawn(
                ["-m", "middleware.web", "--host", "127.0.0.1", "--port", str(port)],
                env,
                tmp_path,
                log,
            )
            try:
                await healthy(session, url)
                headers = {"Authorization": f"Bearer {ADMIN}"}
                async with session.post(url + "/sync/full", headers=headers) as response:
                    assert response.status == 202
                found = await _wait_for_pushes(session, url)
            finally:
                codes = [await terminate(web), await terminate(worker)]
    assert codes == [0, 0], (tmp_path / "processes.log").read_text()
    sent = {e: found[key("channex_pushes_total", endpoint=e, outcome="sent")] for e in PUSHED}
    assert sent == {"availability": 1.0, "restrictions": 1.0}  # counted in the worker
    # counted in the web process (its /health probe)
    assert found[key("channex_calls_total", endpoint="properties/:id", status="2xx")] >= 1.0
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2  # one file per process


PUSHED = ("availability", "restrictions")


async def _wait_for_pushes(session: aiohttp.ClientSession, url: str) -> dict[Key, float]:
    deadline = time.monotonic() + WAIT_S
    found: dict[Key, float] = {}
    while time.monotonic() < deadline:
        async with session.get(url + "/metrics") as response:
            found = samples(await response.text())
        if all(key("channex_pushes_total", endpoint=e, outcome="sent") in found for e in PUSHED):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no pushes counted within {WAIT_S} s: {sorted(found)}")
