"""The Calls page's data: the live log of Channex and PMS calls and the ARI pushes.

Each ARI call's values are shown compactly, with Channex ids turned back into categoria /
plano (`lvu/padrao 2026-12-24..2026-12-26 rate=589.00`); bodies are the audit trail's,
already masked. Pushes carry the payload hash, task ids and warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from middleware.console.bookings_data import path_of
from middleware.domain.mapping import Mapping
from middleware.ops.runtime import Runtime
from middleware.store.audit import CallRow
from middleware.store.outbox import PushRecord

CALLS_SHOWN = 100
PUSHES_SHOWN = 30
VALUES_SHOWN = 12
KEYS = {"property_id", "room_type_id", "rate_plan_id", "date_from", "date_to", "date", "days"}


@dataclass(frozen=True, slots=True, kw_only=True)
class CallLine:
    call: CallRow
    path: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallsPage:
    calls: tuple[CallLine, ...]
    pushes: tuple[PushRecord, ...]


def _entity(mapping: Mapping, value: dict[str, Any]) -> str:
    if isinstance(plan_id := value.get("rate_plan_id"), str):
        ref = mapping.by_rate_plan(plan_id)
        return f"{ref.room.room_code}/{ref.plan.plan_code}" if ref and ref.plan else plan_id[:8]
    if isinstance(room_id := value.get("room_type_id"), str):
        ref = mapping.by_room_type(room_id)
        return ref.room.room_code if ref else room_id[:8]
    return "?"


def compact_values(mapping: Mapping, body: str | None) -> tuple[str, ...]:
    """One short line per ARI value of a push body; () for any other body."""
    try:
        doc = orjson.loads(body or "")
    except orjson.JSONDecodeError:
        return ("(body cut short)",) if body and body.startswith('{"values"') else ()
    values = doc.get("values") if isinstance(doc, dict) else None
    if not isinstance(values, list):
        return ()
    lines = []
    for value in values[:VALUES_SHOWN]:
        if not isinstance(value, dict):
            continue
        days = (
            f"{value.get('date_from')}..{value.get('date_to')}"
            if "date_from" in value
            else str(value.get("date", ""))
        )
        if isinstance(value.get("days"), list):
            days += " " + ",".join(str(d) for d in value["days"])
        fields = " ".join(f"{k}={v}" for k, v in value.items() if k not in KEYS)
        lines.append(f"{_entity(mapping, value)} {days} {fields}".strip())
    if len(values) > VALUES_SHOWN:
        lines.append(f"… +{len(values) - VALUES_SHOWN}")
    return tuple(lines)


async def calls_page(rt: Runtime) -> CallsPage:
    calls = await rt.store.audit.recent_calls(limit=CALLS_SHOWN)
    return CallsPage(
        calls=tuple(
            CallLine(
                call=c,
                path=path_of(c.url),
                values=compact_values(rt.mapping, c.request_body) if c.service == "channex" else (),
            )
            for c in calls
        ),
        pushes=tuple(await rt.store.outbox.recent_pushes(limit=PUSHES_SHOWN)),
    )
