"""Emulated bookings: revisions (new / modified / cancelled), the unacked feed, ack, reads.

Each revision is the full booking state. A new booking takes one unit of availability per
night and mapped room (Channex's read-only `allow_availability_autoupdate_on_confirmation`);
modification and cancellation adjust availability only when the property settings say so.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from middleware.sandbox import channex_booking_model as model
from middleware.sandbox import channex_http as http
from middleware.sandbox.channex_booking_spec import build_spec
from middleware.sandbox.channex_booking_values import BookingSpecError, parse_money
from middleware.sandbox.channex_state import Booking, ChannexState, JsonObject, naive_utc_text


def create(state: ChannexState, raw: JsonObject, now: datetime) -> JsonObject:
    spec = build_spec(state, raw)
    code, reservation = model.unique_id(spec["ota_name"], len(state.bookings) + 1)
    booking = Booking(
        id=str(uuid.uuid4()),
        property_id=spec["property_id"],
        unique_id=code,
        ota_reservation_code=reservation,
        channel_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"channex-sandbox/{spec['ota_name']}")),
        spec=spec,
    )
    state.bookings[booking.id] = booking
    _take_units(state, spec, -1)
    return _revise(state, booking, "new", now)


def modify(state: ChannexState, booking_id: str, changes: JsonObject, now: datetime) -> JsonObject:
    booking = _live(state, booking_id)
    spec = build_spec(state, changes, booking.spec)
    if _settings(state, booking)["allow_availability_autoupdate_on_modification"]:
        _take_units(state, booking.spec, +1)
        _take_units(state, spec, -1)
    booking.spec = spec
    return _revise(state, booking, "modified", now)


def cancel(
    state: ChannexState,
    booking_id: str,
    now: datetime,
    *,
    fee: Any = None,
    fee_service: bool | None = None,
) -> JsonObject:
    """A cancelled revision; `fee` (still due, in the booking's currency) becomes its amount."""
    booking = _live(state, booking_id)
    due = None if fee is None else parse_money(fee, booking.spec["currency"], "fee")
    if fee_service is not None and not isinstance(fee_service, bool):
        raise BookingSpecError("fee_service must be a boolean")
    if _settings(state, booking)["allow_availability_autoupdate_on_cancellation"]:
        _take_units(state, booking.spec, +1)
    return _revise(state, booking, "cancelled", now, fee=due, fee_service=fee_service)


def _live(state: ChannexState, booking_id: str) -> Booking:
    booking = state.bookings.get(booking_id)
    if booking is None:
        raise BookingSpecError(f"unknown booking {booking_id!r}")
    if booking.status == "cancelled":
        raise BookingSpecError(f"booking {booking_id} is already cancelled")
    return booking


def _settings(state: ChannexState, booking: Booking) -> JsonObject:
    settings: JsonObject = state.properties[booking.property_id]["settings"]
    return settings


def _take_units(state: ChannexState, spec: JsonObject, delta: int) -> None:
    for room in spec["rooms"]:
        grid = state.availability.get(room["room_type_id"] or "")
        if grid is None:
            continue
        for night in room["days"]:
            if night in grid:
                grid[night] = max(0, grid[night] + delta)


def _revise(
    state: ChannexState,
    booking: Booking,
    status: str,
    now: datetime,
    *,
    fee: Decimal | None = None,
    fee_service: bool | None = None,
) -> JsonObject:
    inserted_at = naive_utc_text(now)
    if inserted_at <= state.last_inserted_at:  # keep the feed order strict
        last = datetime.fromisoformat(state.last_inserted_at)
        inserted_at = naive_utc_text(last + timedelta(microseconds=1))
    state.last_inserted_at = inserted_at
    state.messages_issued += 1
    booking.status = status
    attrs = {"id": str(uuid.uuid4())}
    attrs.update(
        model.render(
            booking,
            booking.spec,
            status=status,
            inserted_at=inserted_at,
            message_id=model.system_id(state.messages_issued),
            fee=fee,
            fee_as_service=fee_service,
        )
    )
    booking.revision_ids.append(attrs["id"])
    state.revisions[attrs["id"]] = attrs
    state.revision_order.append(attrs["id"])
    return attrs


def revision_resource(state: ChannexState, revision_id: str) -> JsonObject:
    attrs = dict(state.revisions[revision_id])
    attrs["acknowledge_status"] = "acknowledged" if revision_id in state.acked else "pending"
    return http.resource("booking_revision", attrs, _relationships(attrs))


def booking_resource(state: ChannexState, booking: Booking) -> JsonObject:
    latest = booking.revision_ids[-1]
    attrs = {k: v for k, v in state.revisions[latest].items() if k != "booking_id"}
    attrs["id"] = booking.id
    attrs["revision_id"] = latest
    attrs["has_unacked_revisions"] = any(r not in state.acked for r in booking.revision_ids)
    return http.resource("booking", attrs, _relationships(attrs))


def _relationships(attrs: JsonObject) -> dict[str, tuple[str, str | None]]:
    rels: dict[str, tuple[str, str | None]] = {"property": ("property", attrs["property_id"])}
    if "booking_id" in attrs:
        rels["booking"] = ("booking", attrs["booking_id"])
    return rels


def _revisions(state: ChannexState, call: http.Call, *, unacked: bool) -> list[JsonObject]:
    rows = [state.revisions[r] for r in state.revision_order]
    if unacked:
        rows = [r for r in rows if r["id"] not in state.acked]
    for name in ("property_id", "booking_id"):
        wanted = http.filter_values(call, name)
        if wanted is not None:
            rows = [r for r in rows if r[name] in wanted]
    direction = call.query.get("order[inserted_at]", "desc").lower()
    return sorted(rows, key=lambda r: str(r["inserted_at"]), reverse=direction != "asc")


def _date_filter(rows: list[Any], call: http.Call, name: str) -> list[Any]:
    for op, keep in (("gte", date.__ge__), ("lte", date.__le__)):
        text = call.query.get(f"filter[{name}][{op}]")
        if text is not None:
            try:
                bound = date.fromisoformat(text[:10])
            except ValueError:
                raise http.validation_error({f"filter[{name}]": ["is invalid"]}) from None
            rows = [r for r in rows if keep(date.fromisoformat(r[name][:10]), bound)]
    return rows


def endpoints(state: ChannexState) -> list[http.Endpoint]:
    async def feed(call: http.Call) -> http.Reply:
        page, meta = http.paginate(call, _revisions(state, call, unacked=True))
        return http.reply([revision_resource(state, r["id"]) for r in page], meta=meta)

    async def list_revisions(call: http.Call) -> http.Reply:
        page, meta = http.paginate(call, _revisions(state, call, unacked=False))
        return http.reply([revision_resource(state, r["id"]) for r in page], meta=meta)

    async def get_revision(call: http.Call) -> http.Reply:
        attrs = state.find(state.revisions, call.params["id"])
        return http.reply(
            revision_resource(state, attrs["id"]), property_ids=(attrs["property_id"],)
        )

    async def ack(call: http.Call) -> http.Reply:
        attrs = state.find(state.revisions, call.params["id"])
        state.acked.add(attrs["id"])
        return http.success((attrs["property_id"],))

    async def list_bookings(call: http.Call) -> http.Reply:
        rows = [booking_resource(state, b)["attributes"] for b in state.bookings.values()]
        wanted = http.filter_values(call, "property_id")
        if wanted is not None:
            rows = [r for r in rows if r["property_id"] in wanted]
        for name in ("arrival_date", "departure_date", "inserted_at"):
            rows = _date_filter(rows, call, name)
        page, meta = http.paginate(call, http.ordered(rows, call, "inserted_at"))
        return http.reply(
            [booking_resource(state, state.bookings[r["id"]]) for r in page], meta=meta
        )

    async def get_booking(call: http.Call) -> http.Reply:
        booking = state.bookings.get(call.params["id"])
        if booking is None:
            raise http.not_found()
        return http.reply(booking_resource(state, booking), property_ids=(booking.property_id,))

    E = http.Endpoint
    return [
        E(method="GET", path="/booking_revisions/feed", handler=feed),
        E(method="GET", path="/booking_revisions", handler=list_revisions),
        E(method="GET", path="/booking_revisions/{id}", handler=get_revision),
        E(method="POST", path="/booking_revisions/{id}/ack", handler=ack),
        E(method="GET", path="/bookings", handler=list_bookings),
        E(method="GET", path="/bookings/{id}", handler=get_booking),
    ]
