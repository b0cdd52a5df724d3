"""Prometheus metrics (prometheus_client), one registry per process, served at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

PUSHES = Counter(
    "channex_pushes_total",
    "ARI pushes by endpoint and outcome (sent, partial, failed, rejected, rate_limited)",
    ["endpoint", "outcome"],
    registry=REGISTRY,
)
CHANNEX_CALLS = Counter(
    "channex_calls_total",
    "HTTP calls to Channex by endpoint class and status class",
    ["endpoint", "status"],
    registry=REGISTRY,
)
CHANNEX_429 = Counter(
    "channex_rate_limited_total", "429 answers from Channex", ["endpoint"], registry=REGISTRY
)
PUSH_VALUES = Counter(
    "channex_push_values_total", "ARI values sent", ["endpoint"], registry=REGISTRY
)
WEBHOOK_EVENTS = Counter(
    "webhook_events_total",
    "Inbound webhook events by event name and outcome",
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
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
PMS_LATENCY = Histogram(
    "pms_call_seconds",
    "sistema-os call latency by operation",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "queue_depth",
    "Items waiting by queue (outbox, dead, revisions, sync)",
    ["queue"],
    registry=REGISTRY,
)
