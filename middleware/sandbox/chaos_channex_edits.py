"""Edits in the Channex UI during a chaos run: someone at the hotel (or another system) changes
cells at Channex that only the PMS should set, the drift a reconciliation must find and heal.

`make_ui_edits(seed, duration_s=...)` is pure: day offsets from the hotel's today (resolved
when the edit is made), a categoria, the fields and values, and whether Channex announces the
edit with its `ari` webhook (it always would; an unannounced edit stands for one whose
webhook never arrived, so only the scheduled read-back can find it). `edit_values` turns one
into the values of the emulator's UI-edit control (`POST /_control/ari/{kind}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random
from typing import Any, Literal

from middleware.domain.mapping import Mapping

CATEGORIAS = ("lvu", "lvl", "ov", "dlvu", "dlvl", "ovp")
PLAN_CODE = "padrao"
EDITS = (4, 8)  # how many edits a run makes
EDIT_WITHIN = 0.8  # in the first 80 % of the run
LAST_DAY = 60  # days ahead an edit may touch (inside the 90-day chaos horizon)
MOST_DAYS = 5
ANNOUNCED = 0.5  # share of edits whose `ari` webhook is sent


@dataclass(frozen=True, slots=True, kw_only=True)
class UiEdit:
    at_s: float
    kind: Literal["availability", "restrictions"]
    categoria: str
    first_day: int  # days after the hotel's today
    days: int
    fields: tuple[tuple[str, int | bool | str], ...]
    announced: bool


def make_ui_edits(seed: int, *, duration_s: float) -> tuple[UiEdit, ...]:
    rng = Random(f"chaos-ui-edits:{seed}")
    edits = []
    for _ in range(rng.randint(*EDITS)):
        kind: Literal["availability", "restrictions"] = rng.choice(
            ("availability", "restrictions", "restrictions")
        )
        edits.append(
            UiEdit(
                at_s=round(rng.uniform(0, EDIT_WITHIN * duration_s), 3),
                kind=kind,
                categoria=rng.choice(CATEGORIAS),
                first_day=rng.randint(0, LAST_DAY),
                days=rng.randint(1, MOST_DAYS),
                fields=_fields(rng, kind),
                announced=rng.random() < ANNOUNCED,
            )
        )
    return tuple(sorted(edits, key=lambda e: e.at_s))


def _fields(rng: Random, kind: str) -> tuple[tuple[str, int | bool | str], ...]:
    """What a person changes: closes a room type or opens it wide; cuts a rate far below the
    PMS's; stops sales, closes arrivals or departures, raises a minimum stay."""
    if kind == "availability":
        return (("availability", rng.choice((0, 1, 20))),)
    choice = rng.randrange(5)
    if choice == 0:
        return (("rate", f"{rng.randint(10, 99)}.00"),)
    if choice == 1:
        return (("stop_sell", True),)
    if choice == 2:
        return (("closed_to_arrival", True), ("closed_to_departure", True))
    if choice == 3:
        return (("min_stay_arrival", rng.randint(4, 7)),)
    return (("rate", f"{rng.randint(10, 99)}.00"), ("stop_sell", True))


def edit_values(edit: UiEdit, mapping: Mapping, today: date) -> list[dict[str, Any]]:
    """The edit as the emulator's UI-edit values (the API's shape, one range value)."""
    hotel = mapping.properties[0]  # a chaos run has one hotel
    ref = mapping.by_room_code(hotel.property_id, edit.categoria)
    if ref is None:
        raise ValueError(f"categoria {edit.categoria!r} is not mapped")
    first = today + timedelta(days=edit.first_day)
    value: dict[str, Any] = {
        "property_id": ref.property.property_id,
        "date_from": first.isoformat(),
        "date_to": (first + timedelta(days=edit.days - 1)).isoformat(),
        **dict(edit.fields),
    }
    if edit.kind == "availability":
        value["room_type_id"] = ref.room.room_type_id
    else:
        plan = next(p for p in ref.room.rate_plans if p.plan_code == PLAN_CODE)
        value["rate_plan_id"] = plan.rate_plan_id
    return [value]
