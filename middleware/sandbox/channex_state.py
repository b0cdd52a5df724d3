"""The Channex emulator's in-memory model: content rows, ARI cells, bookings and revisions.

Content rows are kept as their JSON attribute dicts (what GET returns); ARI is kept per date
with `Decimal` money. Cells hold only what was written; reads merge the rate plan's defaults.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from middleware.domain import money
from middleware.sandbox import channex_http as http

JsonObject = dict[str, Any]

_DECIMAL_TEXT = re.compile(r"^\d+(\.\d+)?$")

RESTRICTION_DEFAULTS: JsonObject = {
    "min_stay_arrival": 1,
    "min_stay_through": 1,
    "max_stay": 0,
    "closed_to_arrival": False,
    "closed_to_departure": False,
    "stop_sell": False,
}


def parse_money(value: Any, currency: str) -> Decimal | None:
    """A written rate: integer minor units or a decimal string in major units; None if invalid."""
    exp = money.exponent(currency)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value).scaleb(-exp)
    if isinstance(value, str) and _DECIMAL_TEXT.match(value):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return None
        fraction = -amount.as_tuple().exponent  # type: ignore[operator]
        return amount if fraction <= max(exp, 2) else None
    return None


def format_money(amount: Decimal, currency: str) -> str:
    return str(amount.quantize(money.unit(currency)))


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def naive_utc_text(instant: datetime) -> str:
    """`inserted_at` style: naive ISO with microseconds, no `Z`."""
    return instant.replace(tzinfo=None).isoformat(timespec="microseconds")


@dataclass(slots=True, kw_only=True)
class Booking:
    id: str
    property_id: str
    unique_id: str  # e.g. "BDC-9996013801"
    ota_reservation_code: str
    channel_id: str
    spec: JsonObject  # the current normalised booking spec
    status: str = "new"
    revision_ids: list[str] = field(default_factory=list)


class ChannexState:
    """Everything the emulator stores; handlers read and change it directly."""

    def __init__(self, *, today: Callable[[], date] | None = None) -> None:
        self._today = today
        self.properties: dict[str, JsonObject] = {}
        self.room_types: dict[str, JsonObject] = {}
        self.rate_plans: dict[str, JsonObject] = {}
        self.webhooks: dict[str, JsonObject] = {}
        self.availability: dict[str, dict[date, int]] = {}  # room type → date → units
        self.cells: dict[str, dict[date, JsonObject]] = {}  # rate plan → date → written fields
        self.bookings: dict[str, Booking] = {}
        self.revisions: dict[str, JsonObject] = {}  # revision id → attributes
        self.revision_order: list[str] = []  # insertion order
        self.acked: set[str] = set()
        self.last_inserted_at = ""
        self.messages_issued = 0  # revisions made: each gets its own `system_id`
        self.ota_rooms_issued = 0  # Booking.com room reservation ids handed out
        self.tasks: dict[str, JsonObject] = {}  # ARI task id → {"kind", "values" applied}

    def today_for(self, property_id: str) -> date:
        if self._today is not None:
            return self._today()
        tz_name = self.properties.get(property_id, {}).get("timezone") or "UTC"
        return datetime.now(ZoneInfo(tz_name)).date()

    def property_currency(self, property_id: str) -> str:
        return str(self.properties[property_id]["currency"])

    def find(self, table: dict[str, JsonObject], row_id: str) -> JsonObject:
        row = table.get(row_id)
        if row is None:
            raise http.not_found()
        return row

    def availability_on(self, room_type_id: str, day: date) -> int:
        return self.availability.get(room_type_id, {}).get(day, 0)

    def cell_on(self, rate_plan_id: str, day: date) -> JsonObject:
        """The full restriction cell: the plan's defaults overlaid with what was written."""
        plan = self.rate_plans[rate_plan_id]
        cell = plan_defaults(plan, day)
        written = self.cells.get(rate_plan_id, {}).get(day, {})
        rates: dict[int, Decimal] = dict(cell["rates"])
        rates.update(written.get("rates", {}))
        cell.update({name: value for name, value in written.items() if name != "rates"})
        cell["rates"] = rates
        cell["rate"] = rates[primary_occupancy(plan)]
        return cell

    def availability_grid(
        self, property_id: str, date_from: date | None, date_to: date | None
    ) -> dict[str, dict[date, int]]:
        out: dict[str, dict[date, int]] = {}
        for room_type in self.room_types.values():
            if room_type["property_id"] == property_id:
                rt_id = room_type["id"]
                days = _days(date_from, date_to) or sorted(self.availability.get(rt_id, {}))
                out[rt_id] = {day: self.availability_on(rt_id, day) for day in days}
        return out

    def restriction_grid(
        self, property_id: str, date_from: date | None, date_to: date | None
    ) -> dict[str, dict[date, JsonObject]]:
        out: dict[str, dict[date, JsonObject]] = {}
        for plan in self.rate_plans.values():
            if plan["property_id"] == property_id:
                plan_id = plan["id"]
                days = _days(date_from, date_to) or sorted(self.cells.get(plan_id, {}))
                out[plan_id] = {day: self.cell_on(plan_id, day) for day in days}
        return out


def _days(date_from: date | None, date_to: date | None) -> list[date]:
    if date_from is None or date_to is None:
        return []
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def primary_occupancy(plan: JsonObject) -> int:
    options: list[JsonObject] = plan["options"]
    for option in options:
        if option["is_primary"]:
            return int(option["occupancy"])
    return int(options[0]["occupancy"])


def plan_defaults(plan: JsonObject, day: date) -> JsonObject:
    """A new date's cell: option rates plus the plan's defaults (7-day arrays run Mo..Su)."""
    cell: JsonObject = {}
    for name, fallback in RESTRICTION_DEFAULTS.items():
        value = plan.get(name, fallback)
        cell[name] = value[day.weekday()] if isinstance(value, list) else value
    cell["rates"] = {int(opt["occupancy"]): Decimal(opt["rate"]) for opt in plan["options"]}
    return cell
