"""The status report behind `GET /status` and `python -m middleware status` (JSON-ready).

Per property: whether it is live (since when, put live by whom; `None`: not live yet, nothing
is sent to Channex), the last full sync, per endpoint (lane) the queue, the last push and the
rate-limit state (calls used in the current window, tokens left, the 429 pause), the Channex
warnings and the bookings needing attention in hotel words (`attention_report`: the hotel,
the OTA and its code, the guest, the dates, the room types, the reason and the next step;
times in the hotel's timezone). The same warnings and bookings
are also listed for the whole install (`channex_warnings`, `bookings.needs_attention`), with
those not tied to a known property.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

import orjson

from middleware.ops.attention_report import attention_item
from middleware.ops.runtime import Runtime
from middleware.store import (
    keys,
    live,
)

RECENT_PUSHES = 10


def jsonable(value: Any) -> Any:
    """Dataclasses, datetimes and dates into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _live(record: live.LiveProperty | None) -> dict[str, str] | None:
    return None if record is None else {"since": record.since.isoformat(), "by": record.by}


async def _parity(rt: Runtime, property_id: str) -> dict[str, Any]:
    """The last whole-horizon comparison with Channex (when, days, cells, drift found and
    queued) and the drifted fields not yet seen healed."""
    last = await rt.store.audit.get_value(keys.PARITY_LAST_FULL_KEY.format(property_id=property_id))
    return {
        "last_full_comparison": None if last is None else orjson.loads(last),
        "open_drift": await rt.store.parity_drift.open_drift(property_id),
    }


async def status_report(rt: Runtime) -> dict[str, Any]:
    now = rt.clock()
    window_s = rt.settings.channex_rate_window_s
    lane_states = {
        (s.lane.property_id, s.lane.kind): s
        for s in await rt.store.lanes.states(now, window_s=window_s)
    }
    attention = await rt.store.revisions.list_by_status(["parked"], limit=100)
    open_notices = await rt.store.notices.open_notices(limit=100)
    warnings = [n for n in open_notices if n.kind == "channex_warning"]
    backlog = {(b.lane.property_id, b.lane.kind): b for b in await rt.store.outbox.backlog(now)}
    live_now = await rt.store.live.live_properties()
    properties = []
    for prop in rt.mapping:
        lanes_out: dict[str, Any] = {}
        for kind in ("availability", "restrictions"):
            state = lane_states.get((prop.property_id, kind))
            queue = backlog.get((prop.property_id, kind))
            limit = (
                rt.settings.channex_avail_rate_limit
                if kind == "availability"
                else rt.settings.channex_price_rate_limit
            )
            used = state.calls_in_window if state else 0
            paused_until = state.paused_until if state else None
            lanes_out[kind] = {
                "pending": queue.pending if queue else 0,
                "in_flight": queue.in_flight if queue else 0,
                "dead_lettered": queue.dead if queue else 0,
                "oldest_pending_at": jsonable(queue.oldest_enqueued_at) if queue else None,
                "last_push_at": jsonable(state.last_push_at) if state else None,
                "last_success_at": jsonable(state.last_success_at) if state else None,
                "last_error": state.last_error if state else None,
                "rate_limit": {
                    "per_minute": limit,
                    "window_s": window_s,
                    "used_in_window": used,
                    "tokens_left": max(limit - used, 0),
                    "paused": paused_until is not None and paused_until > now,
                    "paused_until": jsonable(paused_until),
                    "pause_count": state.pause_count if state else 0,
                },
            }
        properties.append(
            {
                "property_id": prop.property_id,
                "name": prop.name,
                "live": _live(live_now.get(prop.property_id)),
                "last_full_sync": await rt.store.audit.get_value(
                    keys.LAST_FULL_SYNC_KEY.format(property_id=prop.property_id)
                ),
                "parity": await _parity(rt, prop.property_id),
                "lanes": lanes_out,
                "channex_warnings": [
                    jsonable(n) for n in warnings if n.property_id == prop.property_id
                ],
                "needs_attention": [
                    attention_item(r, rt.mapping)
                    for r in attention
                    if r.property_id == prop.property_id
                ],
            }
        )
    pushes = await rt.store.outbox.recent_pushes(limit=RECENT_PUSHES)
    return {
        "now": now.isoformat(),
        "channex_enabled": rt.settings.channex_enabled,
        "properties": properties,
        "bookings": {
            "revisions": await rt.store.revisions.counts(),
            "oldest_unacked_at": jsonable(await rt.store.revisions.oldest_unacked()),
            "needs_attention": [attention_item(r, rt.mapping) for r in attention],
        },
        "webhooks": {"waiting": await rt.store.inbox.pending_count()},
        "sync_requests": {
            "pending": await rt.store.sync_requests.pending_count(),
            "last_error": await rt.store.sync_requests.last_error(),
        },
        "channex_warnings": [jsonable(n) for n in warnings],
        "notices": [jsonable(n) for n in open_notices if n.kind != "channex_warning"],
        "recent_pushes": [
            {
                "id": p.id,
                "property_id": p.lane.property_id,
                "endpoint": p.lane.kind,
                "status": p.status,
                "values": p.values_count,
                "calls": p.calls,
                "task_ids": list(p.task_ids),
                "warnings": len(p.warnings),
                "error": p.error,
                "full_sync": p.full_sync,
                "at": p.claimed_at.isoformat(),
            }
            for p in pushes
        ],
    }
