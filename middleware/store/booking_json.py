"""A PMS booking request as the JSON the booking map stores (what the next revision is diffed
against). Rows written before a field existed load with that field's default. Only what a
request holds is stored: no card number, CVV, expiry or holder exists in one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from middleware.domain.pms_booking import Payment, PmsBookingRequest
from middleware.domain.revision import NightPrice, Person, Service, Tax

MONEY_FIELDS = ("total", "commission", "booking_total")
DATE_FIELDS = ("checkin", "checkout")


def request_to_json(request: PmsBookingRequest) -> str:
    document: dict[str, Any] = {}
    for name in PmsBookingRequest.__dataclass_fields__:
        value = getattr(request, name)
        document[name] = _plain(value)
    return orjson.dumps(document).decode()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Person | Service | Tax | NightPrice | Payment):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def request_from_json(text: str) -> PmsBookingRequest:
    raw: dict[str, Any] = orjson.loads(text)
    known = {k: v for k, v in raw.items() if k in PmsBookingRequest.__dataclass_fields__}
    for name in DATE_FIELDS:
        known[name] = date.fromisoformat(known[name])
    for name in MONEY_FIELDS:
        if known.get(name) is not None:
            known[name] = Decimal(known[name])
    if known.get("booker") is not None:
        known["booker"] = Person(**known["booker"])
    if known.get("payment") is not None:
        known["payment"] = Payment(**known["payment"])
    if "child_ages" in known:
        known["child_ages"] = tuple(known["child_ages"])
    if "nights" in known:
        known["nights"] = tuple(
            NightPrice(night=date.fromisoformat(n["night"]), price=Decimal(n["price"]))
            for n in known["nights"]
        )
    if "services" in known:
        known["services"] = tuple(
            Service(**{**s, "total": Decimal(s["total"])}) for s in known["services"]
        )
    for name in ("taxes", "withheld_taxes"):
        if name in known:
            known[name] = tuple(Tax(**{**t, "total": Decimal(t["total"])}) for t in known[name])
    return PmsBookingRequest(**known)
