"""What the sandbox tour reads back: the emulators' request logs since a mark, as short lines.

`mark(stack)` remembers how long each log is; `since(stack, marks)` returns what was added
after it — the Channex API calls, the sistema-os API calls, the webhook deliveries Channex
made and the change notices sistema-os sent. `lines(...)` renders them for a terminal, one
line per call and one per ARI value (`POST /restrictions  lvu/padrao 2026-12-24..2026-12-26
rate=589.00  → 200`), with Channex ids turned back into categoria / plano.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from middleware.clock import Clock
from middleware.domain import money
from middleware.domain.mapping import Mapping
from middleware.domain.models import Kind
from middleware.sandbox.channex import RecordedRequest as ChannexCall
from middleware.sandbox.channex_delivery import Delivery
from middleware.sandbox.pms_api import RecordedRequest as PmsCall
from middleware.sandbox.pms_notify import Notification
from middleware.sandbox.system import System

CHANNEX_API = "/api/v1"
PMS_API = "/api/v1/channex"
SHORT_ID = 8
ID_LEN = 32  # a path segment this long with a "-" is an id (a UUID is 36)
PARTY_WIDTH = 22


@dataclass(frozen=True, slots=True, kw_only=True)
class Marks:
    channex: int
    pms: int
    deliveries: int
    notices: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StepLog:
    channex: tuple[ChannexCall, ...]
    pms: tuple[PmsCall, ...]  # API calls only, not the control routes
    deliveries: tuple[Delivery, ...]
    notices: tuple[Notification, ...]

    def ari_bodies(self, kind: Kind) -> list[dict[str, Any]]:
        """Bodies of the POSTs to `/availability` or `/restrictions` Channex accepted."""
        return [
            c.body
            for c in self.channex
            if c.method == "POST"
            and c.path == f"{CHANNEX_API}/{kind}"
            and c.status == 200
            and isinstance(c.body, dict)
        ]

    def channex_calls(self, method: str, path: str) -> list[ChannexCall]:
        return [c for c in self.channex if c.method == method and c.path == CHANNEX_API + path]

    def pms_calls(self, method: str, path: str) -> list[PmsCall]:
        return [c for c in self.pms if c.method == method and c.path == PMS_API + path]


def mark(stack: System[Clock]) -> Marks:
    return Marks(
        channex=len(stack.channex.requests),
        pms=len(stack.pms.requests),
        deliveries=len(stack.channex.deliveries),
        notices=len(stack.pms.notifier.sent),
    )


def since(stack: System[Clock], marks: Marks) -> StepLog:
    return StepLog(
        channex=tuple(stack.channex.requests[marks.channex :]),
        pms=tuple(r for r in stack.pms.requests[marks.pms :] if r.path.startswith(PMS_API)),
        deliveries=tuple(stack.channex.deliveries[marks.deliveries :]),
        notices=tuple(stack.pms.notifier.sent[marks.notices :]),
    )


# --------------------------------------------------------------------------- rendering


def _short(path: str) -> str:
    """Long ids in a path cut to their first characters."""
    parts = [p[:SHORT_ID] + "…" if len(p) >= ID_LEN and "-" in p else p for p in path.split("/")]
    return "/".join(parts)


def _row(party: str, method: str, path: str, detail: str, status: int | None) -> str:
    answer = "no answer" if status is None else str(status)
    text = f"  {party:<{PARTY_WIDTH}}{method:<6}{path}"
    return f"{text}  {detail}  → {answer}" if detail else f"{text}  → {answer}"


def _span(value: dict[str, Any]) -> str:
    if "date" in value:
        return str(value["date"])
    days = f" {','.join(value['days'])}" if value.get("days") else ""
    first, last = value.get("date_from"), value.get("date_to")
    return (f"{first}" if first == last else f"{first}..{last}") + days


def _field(name: str, wire: Any, currency: str) -> str:
    if name == "rate" and isinstance(wire, int | str) and not isinstance(wire, bool):
        try:
            return f"rate={money.parse_rate(wire, currency):.2f}"
        except ValueError:
            pass
    return f"{name}={str(wire).lower() if isinstance(wire, bool) else wire}"


def value_text(value: dict[str, Any], mapping: Mapping, currency: str) -> str:
    """One ARI value: `lvu/padrao 2026-12-24..2026-12-26 rate=589.00`."""
    if "rate_plan_id" in value:
        ref = mapping.by_rate_plan(str(value["rate_plan_id"]))
        name = f"{ref.room.room_code}/{ref.plan.plan_code}" if ref and ref.plan else "?"
    else:
        room = mapping.by_room_type(str(value.get("room_type_id")))
        name = room.room.room_code if room else "?"
    skip = {"property_id", "room_type_id", "rate_plan_id", "date", "date_from", "date_to", "days"}
    fields = " ".join(_field(k, v, currency) for k, v in value.items() if k not in skip)
    return f"{name} {_span(value)} {fields}"


def _channex_lines(call: ChannexCall, mapping: Mapping, currency: str) -> list[str]:
    path = call.path.removeprefix(CHANNEX_API)
    party = "middleware → Channex"
    values = call.body.get("values") if isinstance(call.body, dict) else None
    if call.method == "POST" and path in ("/availability", "/restrictions") and values:
        return [
            _row(party, "POST", path, value_text(v, mapping, currency), call.status)
            for v in values
            if isinstance(v, dict)
        ]
    return [_row(party, call.method, _short(path), "", call.status)]


def _pms_detail(call: PmsCall) -> str:
    body = call.body if isinstance(call.body, dict) else {}
    if call.path.endswith("/ari"):
        return f"{call.query.get('date_from')}..{call.query.get('date_to')}"
    if call.method == "POST" and call.path.endswith("/booking"):
        return (
            f"{body.get('categoria')} {body.get('data_checkin')}..{body.get('data_checkout')}"
            f" {body.get('canal')} {body.get('codigo_ota')}"
        )
    keys = ("data_checkin", "data_checkout", "categoria", "motivo")
    return " ".join(f"{k}={body[k]}" for k in keys if k in body)


def _is_ari_write(call: ChannexCall) -> bool:
    return call.method == "POST" and call.path in (
        f"{CHANNEX_API}/availability",
        f"{CHANNEX_API}/restrictions",
    )


def _pms_row(call: PmsCall) -> str:
    path = call.path.removeprefix(PMS_API)
    return _row("middleware → PMS", call.method, path, _pms_detail(call), call.status)


def lines(log: StepLog, mapping: Mapping, currency: str) -> list[str]:
    """Everything in the log in the order of the story: webhooks, revision fetches, sistema-os
    bookings, acks, sistema-os's change notices, ARI reads, ARI pushes (each party's calls in
    the order that party saw them)."""
    reads = [c for c in log.channex if c.method == "GET"]
    acks = [c for c in log.channex if c.method != "GET" and not _is_ari_write(c)]
    out = [
        _row(
            "Channex → middleware",
            "POST",
            "/webhook/channex",
            f"{d.event} (attempt {d.attempt})",
            d.status,
        )
        for d in log.deliveries
    ]
    for call in reads:
        out.extend(_channex_lines(call, mapping, currency))
    out.extend(_pms_row(call) for call in log.pms if not call.path.endswith("/ari"))
    for call in acks:
        out.extend(_channex_lines(call, mapping, currency))
    out.extend(
        _row(
            "PMS → middleware",
            "POST",
            "/webhook/pms",
            f"{','.join(n.body.get('categorias', []))}"
            f" {n.body.get('date_from')}..{n.body.get('date_to')}",
            n.status,
        )
        for n in log.notices
    )
    out.extend(_pms_row(call) for call in log.pms if call.path.endswith("/ari"))
    for call in log.channex:
        if _is_ari_write(call):
            out.extend(_channex_lines(call, mapping, currency))
    return out
