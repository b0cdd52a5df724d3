"""Prometheus metrics (prometheus_client), served at `GET /metrics` by the web process.

Single process (the default): every metric lives in `REGISTRY`. Two processes (web and
worker, `METRICS_DIR` set): `metrics_dir.use` has set `PROMETHEUS_MULTIPROC_DIR` before
prometheus_client was imported, so each process writes its values to its own files there and
`exposition()` merges every process's files (the library's multiprocess mode).

Labels are bounded: Channex endpoints and PMS operations are path templates (ids become
`:id`), webhook event names outside the known set count as `other`.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from middleware.calllog import CallRecord
from middleware.channex import events

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
API_PREFIX = "/api/v1/"
WEBHOOK_EVENT_NAMES = frozenset(
    {
        *events.BOOKING_EVENTS,
        events.BOOKING_UNMAPPED_ROOM,
        events.BOOKING_UNMAPPED_RATE,
        events.NON_ACKED_BOOKING,
        events.ARI,
        events.MESSAGE,
        events.TEST,
        "unknown",  # no event name in the envelope
    }
)
_NON_WORD = re.compile(r"\W+")
_ID_SEGMENT = re.compile(r"\d+|[0-9A-Fa-f]{8,}(?:-[0-9A-Fa-f]{4,})*")

REGISTRY = CollectorRegistry(auto_describe=True)

PUSHES = Counter(
    "channex_pushes_total",
    "ARI pushes by endpoint and outcome (sent, partial, failed, rejected, rate_limited)",
    ["endpoint", "outcome"],
    registry=REGISTRY,
)
CHANNEX_CALLS = Counter(
    "channex_calls_total",
    "HTTP calls to Channex by endpoint (path template) and status (2xx, 4xx, 429, 5xx, error)",
    ["endpoint", "status"],
    registry=REGISTRY,
)
CHANNEX_429 = Counter(
    "channex_rate_limited_total", "429 answers to ARI pushes", ["endpoint"], registry=REGISTRY
)
PUSH_VALUES = Counter(
    "channex_push_values_total", "ARI values sent", ["endpoint"], registry=REGISTRY
)
WEBHOOK_EVENTS = Counter(
    "webhook_events_total",
    "Inbound Channex webhook events by event name and outcome (stored status or refusal)",
    ["event", "outcome"],
    registry=REGISTRY,
)
BOOKING_REVISIONS = Counter(
    "booking_revisions_total",
    "Booking revisions processed by outcome",
    ["outcome"],
    registry=REGISTRY,
)
BOOKING_LATENCY = Histogram(
    "booking_processing_seconds",
    "From webhook receipt to Channex ack, per revision",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1200),
    registry=REGISTRY,
)
PMS_LATENCY = Histogram(
    "pms_call_seconds",
    "sistema-os call latency by operation (method and path template)",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
PARITY_READS = Counter(
    "channex_parity_reads_total",
    "ARI read-backs of Channex by endpoint and outcome (read, failed)",
    ["endpoint", "outcome"],
    registry=REGISTRY,
)
DRIFT_FOUND = Counter(
    "channex_drift_cells_total",
    "Cell fields found to differ from the PMS at Channex and queued to heal",
    ["property_id", "field"],
    registry=REGISTRY,
)
DRIFT_HEALED = Counter(
    "channex_drift_healed_total",
    "Drifted cell fields a later read-back found equal to the PMS again",
    ["property_id", "field"],
    registry=REGISTRY,
)
DRIFT_HEAL_SECONDS = Histogram(
    "channex_drift_heal_seconds",
    "From a drift found to a read-back finding it healed",
    buckets=(1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 86400),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "queue_depth",
    "Items waiting by queue (outbox, dead, revisions, sync, webhooks), read at scrape time",
    ["queue"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def exposition() -> bytes:
    """The text format of every metric: this process's, or every process's in multiprocess
    mode."""
    if not multiprocess():
        return generate_latest(REGISTRY)
    merged = CollectorRegistry()
    MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    return generate_latest(merged)


def path_template(url: str) -> str:
    """`https://h/api/v1/booking_revisions/5f0c.../ack?x=1` → `booking_revisions/:id/ack`."""
    path = urlsplit(url).path
    at = path.find(API_PREFIX)
    rest = path[at + len(API_PREFIX) :] if at >= 0 else path.lstrip("/")
    parts = [":id" if _ID_SEGMENT.fullmatch(p) else p for p in rest.split("/") if p]
    return "/".join(parts) or "/"


def status_class(status: int | None) -> str:
    if status is None:
        return "error"
    if status == 429:
        return "429"
    return f"{status // 100}xx"


def observe_call(record: CallRecord) -> None:
    """Count one outbound call: Channex by endpoint and status, sistema-os latency."""
    if record.service == "channex":
        CHANNEX_CALLS.labels(path_template(record.url), status_class(record.status)).inc()
    elif record.service == "pms":
        operation = f"{record.method} {path_template(record.url)}"
        PMS_LATENCY.labels(operation).observe(record.duration_ms / 1000)


def webhook_event(event: str, outcome: str) -> None:
    """Count one stored (or unstorable) `POST /webhook/channex` by event name and outcome."""
    name = event if event in WEBHOOK_EVENT_NAMES else "other"
    WEBHOOK_EVENTS.labels(name, outcome).inc()


def webhook_refused(reason: str) -> None:
    """Count one refused `POST /webhook/channex`: outcome `rejected_<reason>` (the route's
    fixed reasons: `wrong_secret`, `ip_not_allowed`, `stale_event`, ...)."""
    slug = _NON_WORD.sub("_", reason.lower()).strip("_")
    WEBHOOK_EVENTS.labels("unknown", f"rejected_{slug}").inc()
