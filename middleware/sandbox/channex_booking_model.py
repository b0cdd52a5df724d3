"""Booking revisions as the emulator renders them: a normalised spec → revision attributes.

What real Channex produces (contract §5.2a), and so what `render` produces:
- a room's `amount` is its nights (`days`) plus its exclusive taxes (`is_inclusive: false`);
  the booking's `amount` is the rooms' amounts plus every service (the rooms' own and the
  booking-level ones) — so the rooms' totals add up to it as pms-contract §2.2 reads them;
- money is a string with the currency's own decimals (KWD "123.450", JPY "12300");
- a cancelled revision keeps its rooms (none flagged `is_cancelled`) and its `amount` is what
  is still due: the fee ("0.00" when none); a fee > 0 also appears as a booking-level
  "Cancellation Fee" service, except for Airbnb, whose kept payout is the amount alone;
- `guarantee` is null or the masked default card (Visa, `VI`) with the spec's keys laid over
  it (a spec may pass a whole card through, sample full numbers included);
- `system_id` is a digit string, new for every revision; room `meta` is null or the spec's
  dict (Expedia's payment instruction goes there under `payment_instruction`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from middleware.sandbox import channex_otas
from middleware.sandbox.channex_state import Booking, JsonObject, format_money

FIRST_SYSTEM_ID = 12331233100
FIRST_RESERVATION_CODE = 9996013800
CANCELLATION_FEE = "Cancellation Fee"
MASKED_CARD: JsonObject = {
    "card_number": "411111******1111",
    "card_type": "VI",
    "cardholder_name": None,  # the customer's name when rendered
    "cvv": "***",
    "expiration_date": "12/2030",
    "is_virtual": False,
    "meta": {},
}
MONEY_KEYS = ("price_per_unit", "total_price")


def unique_id(ota_name: str, sequence: int) -> tuple[str, str]:
    """(unique_id, ota_reservation_code), e.g. ("BDC-9996013801", "9996013801")."""
    code = str(FIRST_RESERVATION_CODE + sequence)
    return f"{channex_otas.ota_code(ota_name)}-{code}", code


def system_id(sequence: int) -> str:
    """The source platform's message id: digits, not a UUID."""
    return str(FIRST_SYSTEM_ID + sequence)


def room_amount(room: JsonObject) -> Decimal:
    exclusive = (t["total_price"] for t in room["taxes"] if not t["is_inclusive"])
    return sum(room["days"].values(), Decimal(0)) + sum(exclusive, Decimal(0))


def booking_amount(spec: JsonObject) -> Decimal:
    rooms = sum(
        (room_amount(r) + _services_total(r["services"]) for r in spec["rooms"]), Decimal(0)
    )
    return rooms + _services_total(spec["services"])


def _services_total(items: list[JsonObject]) -> Decimal:
    return sum((item["total_price"] for item in items), Decimal(0))


def customer_name(customer: JsonObject) -> str:
    return " ".join(str(customer[k]) for k in ("name", "surname") if customer.get(k))


def fee_service(fee: Decimal) -> JsonObject:
    return {
        "name": CANCELLATION_FEE,
        "type": "fee",
        "nights": 1,
        "persons": 1,
        "price_mode": "per_stay",
        "price_per_unit": fee,
        "total_price": fee,
    }


def render(
    booking: Booking,
    spec: JsonObject,
    *,
    status: str,
    inserted_at: str,
    message_id: str,
    fee: Decimal | None = None,
    fee_as_service: bool | None = None,
) -> JsonObject:
    """The revision attributes (without `id`); `fee` only for a cancellation."""
    currency = spec["currency"]
    services = list(spec["services"])
    amount = booking_amount(spec)
    if status == "cancelled":
        amount = fee or Decimal(0)
        as_service = not channex_otas.is_airbnb(spec["ota_name"])
        if fee_as_service is not None:
            as_service = fee_as_service
        if amount > 0 and as_service:
            services.append(fee_service(amount))
    customer = spec["customer"]
    guarantee = spec["guarantee"]
    if guarantee is not None:
        holder = customer_name(customer) or None
        guarantee = {**MASKED_CARD, "cardholder_name": holder, **guarantee}
    return {
        "booking_id": booking.id,
        "property_id": booking.property_id,
        "unique_id": booking.unique_id,
        "system_id": message_id,
        "ota_reservation_code": booking.ota_reservation_code,
        "ota_name": spec["ota_name"],
        "status": status,
        "arrival_date": min(r["checkin_date"] for r in spec["rooms"]).isoformat(),
        "departure_date": max(r["checkout_date"] for r in spec["rooms"]).isoformat(),
        "arrival_hour": spec["arrival_hour"],
        "amount": format_money(amount, currency),
        "currency": currency,
        "notes": spec["notes"],
        "occupancy": {
            name: sum(r[name] for r in spec["rooms"]) for name in ("adults", "children", "infants")
        },
        "customer": dict(customer),
        "rooms": [_room(room, currency) for room in spec["rooms"]],
        "services": _money_items(services, currency),
        "guarantee": guarantee,
        "payment_collect": spec["payment_collect"],
        "payment_type": spec["payment_type"],
        "ota_commission": _opt_money(spec["ota_commission"], currency),
        "channel_id": booking.channel_id,
        "secondary_ota": spec["secondary_ota"],
        "is_crs_revision": False,
        "deposits": [],
        "agent": None,
        "meta": {},
        "inserted_at": inserted_at,
        "acknowledge_status": "pending",
    }


def _room(room: JsonObject, currency: str) -> JsonObject:
    return {
        "room_type_id": room["room_type_id"],
        "rate_plan_id": room["rate_plan_id"],
        "checkin_date": room["checkin_date"].isoformat(),
        "checkout_date": room["checkout_date"].isoformat(),
        "occupancy": {
            "adults": room["adults"],
            "children": room["children"],
            "infants": room["infants"],
            "ages": list(room["ages"]),
        },
        "amount": format_money(room_amount(room), currency),
        "days": {d.isoformat(): format_money(p, currency) for d, p in room["days"].items()},
        "guests": None if room["guests"] is None else [dict(g) for g in room["guests"]],
        "services": _money_items(room["services"], currency),
        "taxes": _money_items(room["taxes"], currency),
        "collected_taxes": _money_items(room["collected_taxes"], currency),
        "booking_room_id": room["booking_room_id"],
        "ota_unique_id": room["ota_unique_id"],
        "is_cancelled": False,
        "meta": None if room["meta"] is None else dict(room["meta"]),
    }


def _money_items(items: list[JsonObject], currency: str) -> list[JsonObject]:
    return [
        {k: format_money(v, currency) if k in MONEY_KEYS else v for k, v in item.items()}
        for item in items
    ]


def _opt_money(value: Any, currency: str) -> str | None:
    return None if value is None else format_money(value, currency)
