"""Emulated webhook subscriptions: CRUD with strict `event_mask` validation, and event routing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from middleware.channex import events
from middleware.sandbox import channex_http as http
from middleware.sandbox import channex_otas
from middleware.sandbox.channex_booking_model import customer_name
from middleware.sandbox.channex_checks import INVALID, Checks
from middleware.sandbox.channex_state import ChannexState, JsonObject

EVENTS = events.SUBSCRIBABLE
WEBHOOK_DEFAULTS: JsonObject = {
    "property_id": None,
    "is_global": False,
    "headers": {},
    "request_params": {},
    "is_active": False,
    "send_data": False,
    "protected": False,
}
WRITABLE = ("callback_url", "event_mask", *WEBHOOK_DEFAULTS)


def webhook_resource(row: JsonObject) -> JsonObject:
    return http.resource("webhook", dict(row), {"property": ("property", row["property_id"])})


def subscribed(row: JsonObject, event: str) -> bool:
    mask = str(row["event_mask"])
    return mask == "*" or event in mask.split(";")


def targets(state: ChannexState, property_id: str, event: str) -> list[JsonObject]:
    """Active webhooks that get `event` for `property_id`; property-level ones win over global."""
    active = [w for w in state.webhooks.values() if w["is_active"] and subscribed(w, event)]
    own = [w for w in active if w["property_id"] == property_id]
    return own or [w for w in active if w["property_id"] is None]


SPECIFIC_EVENTS = {
    "new": events.BOOKING_NEW,
    "modified": events.BOOKING_MODIFICATION,
    "cancelled": events.BOOKING_CANCELLATION,
}


REVISION_KEYS = ("booking_revision_id", "revision_id")  # real Channex sends the first


def summary(revision: JsonObject) -> JsonObject:
    """The keys Channex's booking and `non_acked_booking` payloads use to describe a revision."""
    arrival = date.fromisoformat(revision["arrival_date"])
    departure = date.fromisoformat(revision["departure_date"])
    return {
        "booking_unique_id": revision["unique_id"],
        "ota_code": channex_otas.ota_code(revision["ota_name"]),
        "arrival_date": revision["arrival_date"],
        "amount": revision["amount"],
        "currency": revision["currency"],
        "count_of_rooms": len(revision["rooms"]),
        "count_of_nights": (departure - arrival).days,
        "customer_name": customer_name(revision["customer"] or {}),
        "channel_id": revision["channel_id"],
    }


def booking_events(
    revision: JsonObject, revision_keys: tuple[str, ...] = REVISION_KEYS
) -> list[tuple[str, JsonObject]]:
    """(event, payload) pairs a new revision raises: generic, specific, unmapped room/rate.

    The booking payload names the revision under each of `revision_keys`."""
    payload: JsonObject = {"booking_id": revision["booking_id"]}
    payload.update(dict.fromkeys(revision_keys, revision["id"]))
    payload["property_id"] = revision["property_id"]
    payload.update(summary(revision))
    raised = [(events.BOOKING, payload), (SPECIFIC_EVENTS[revision["status"]], payload)]
    unmapped = {"booking_id": revision["booking_id"], "booking_revision_id": revision["id"]}
    if any(room["room_type_id"] is None for room in revision["rooms"]):
        raised.append((events.BOOKING_UNMAPPED_ROOM, unmapped))
    elif any(room["rate_plan_id"] is None for room in revision["rooms"]):
        raised.append((events.BOOKING_UNMAPPED_RATE, unmapped))
    return raised


def non_acked_payload(revision: JsonObject) -> JsonObject:
    """The `non_acked_booking` payload (contract §5.3)."""
    return {
        "booking_revision_id": revision["id"],
        "booking_id": revision["booking_id"],
        **summary(revision),
        "property_id": revision["property_id"],
    }


def check_webhook(state: ChannexState, attrs: JsonObject, *, partial: bool) -> None:
    checks = Checks(attrs, partial=partial)
    checks.string("callback_url", required=True)
    url = attrs.get("callback_url")
    if isinstance(url, str) and not url.startswith(("http://", "https://")):
        checks.add("callback_url", INVALID)
    checks.string("event_mask", required=True)
    mask = attrs.get("event_mask")
    if isinstance(mask, str) and mask != "*":
        unknown = sorted({name for name in mask.split(";") if name not in EVENTS})
        if unknown or not mask:
            checks.add("event_mask", "contains unknown events: " + ", ".join(unknown or [mask]))
    property_id = attrs.get("property_id")
    if property_id is not None and property_id not in state.properties:
        checks.add("property_id", "not found")
    for name in ("is_global", "is_active", "send_data", "protected"):
        checks.boolean(name)
    for name in ("headers", "request_params"):
        checks.mapping(name)
        value = attrs.get(name)
        if isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()):
            checks.add(name, INVALID)
    checks.raise_if_any()


Tester = Callable[[JsonObject], Awaitable[tuple[int | None, str]]]  # webhook → (status, body)


def endpoints(state: ChannexState, tester: Tester) -> list[http.Endpoint]:
    async def list_webhooks(call: http.Call) -> http.Reply:
        rows: list[Any] = list(state.webhooks.values())
        wanted = http.filter_values(call, "property_id")
        if wanted is not None:
            rows = [r for r in rows if r["property_id"] in wanted]
        page, meta = http.paginate(call, rows)
        return http.reply([webhook_resource(r) for r in page], meta=meta)

    async def get_webhook(call: http.Call) -> http.Reply:
        return http.reply(webhook_resource(state.find(state.webhooks, call.params["id"])))

    async def create_webhook(call: http.Call) -> http.Reply:
        attrs = http.write_body(call, "webhook")
        check_webhook(state, attrs, partial=False)
        row: JsonObject = {"id": str(uuid.uuid4()), **WEBHOOK_DEFAULTS}
        row.update({k: attrs[k] for k in WRITABLE if k in attrs})
        state.webhooks[row["id"]] = row
        return http.reply(webhook_resource(row), status=201, property_ids=_ids(row))

    async def update_webhook(call: http.Call) -> http.Reply:
        row = state.find(state.webhooks, call.params["id"])
        attrs = http.write_body(call, "webhook")
        check_webhook(state, {**row, **attrs}, partial=True)
        row.update({k: attrs[k] for k in WRITABLE if k in attrs})
        return http.reply(webhook_resource(row), property_ids=_ids(row))

    async def delete_webhook(call: http.Call) -> http.Reply:
        row = state.find(state.webhooks, call.params["id"])
        del state.webhooks[row["id"]]
        return http.success(_ids(row))

    async def test_webhook(call: http.Call) -> http.Reply:
        attrs = http.write_body(call, "webhook")
        check_webhook(state, attrs, partial=False)
        status, body = await tester({"id": None, **WEBHOOK_DEFAULTS, **attrs})
        return http.reply({"status_code": status, "body": body})

    E = http.Endpoint
    return [
        E(method="POST", path="/webhooks/test", handler=test_webhook),
        E(method="GET", path="/webhooks", handler=list_webhooks),
        E(method="POST", path="/webhooks", handler=create_webhook),
        E(method="GET", path="/webhooks/{id}", handler=get_webhook),
        E(method="PUT", path="/webhooks/{id}", handler=update_webhook),
        E(method="DELETE", path="/webhooks/{id}", handler=delete_webhook),
    ]


def _ids(row: JsonObject) -> tuple[str, ...]:
    return () if row["property_id"] is None else (str(row["property_id"]),)
