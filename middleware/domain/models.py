"""Value types shared by the pure core and the adapters.

PMS-neutral names throughout: a PMS room category is a `room_code` (sistema-os calls it
`categoria`), a PMS rate plan a `plan_code` (`plano`). Only `pms/sistemaos.py` knows the
sistema-os field names; only `channex/` knows Channex's JSON. Money is `Decimal`; dates are
hotel-local `date`s; instants are UTC-aware `datetime`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Kind = Literal["availability", "restrictions"]
KINDS: tuple[Kind, ...] = ("availability", "restrictions")

AVAILABILITY_FIELD = "availability"
RESTRICTION_FIELDS = (
    "rate",
    "min_stay_arrival",
    "min_stay_through",
    "max_stay",
    "closed_to_arrival",
    "closed_to_departure",
    "stop_sell",
)
BOOL_FIELDS = frozenset({"closed_to_arrival", "closed_to_departure", "stop_sell"})
INT_FIELDS = frozenset({"availability", "min_stay_arrival", "min_stay_through", "max_stay"})

FieldValue = int | bool | Decimal


# --------------------------------------------------------------------------- PMS ARI


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDay:
    """One PMS rate plan on one date. `None` means "the PMS does not manage this field"."""

    plan_code: str
    rate: Decimal | None = None
    min_stay_arrival: int | None = None
    min_stay_through: int | None = None
    max_stay: int | None = None
    closed_to_arrival: bool | None = None
    closed_to_departure: bool | None = None
    stop_sell: bool | None = None

    def fields(self) -> dict[str, FieldValue]:
        """The managed fields, by their Channex restriction name."""
        out: dict[str, FieldValue] = {}
        for name in RESTRICTION_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomDay:
    """One PMS room category on one date: units free to sell and its plans."""

    day: date
    available: int
    plans: tuple[PlanDay, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomAri:
    room_code: str
    total: int
    days: tuple[RoomDay, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsAri:
    """The PMS's ARI for a date range, as the PMS port returns it (already clamped)."""

    currency: str | None
    rooms: tuple[RoomAri, ...]


# --------------------------------------------------------------------------- Channex cells


@dataclass(frozen=True, slots=True, order=True)
class CellKey:
    """One cell of a lane: a room type (availability) or a rate plan (restrictions) on a day."""

    entity_id: str
    day: date


@dataclass(frozen=True, slots=True, order=True)
class Lane:
    """The unit of batching and rate limiting: one property and one ARI endpoint."""

    property_id: str
    kind: Kind


# A lane's cells: for each cell, the fields and values to hold.
Cells = dict[CellKey, dict[str, FieldValue]]


# --------------------------------------------------------------------------- canonical text


def value_to_text(field_name: str, value: FieldValue) -> str:
    """Canonical text of a field value, so equal values compare equal as text in the store."""
    if field_name in BOOL_FIELDS:
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(int(value))


def value_from_text(field_name: str, text: str) -> FieldValue:
    if field_name in BOOL_FIELDS:
        return text == "true"
    if field_name in INT_FIELDS:
        return int(text)
    return Decimal(text)
