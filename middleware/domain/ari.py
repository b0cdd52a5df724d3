"""The PMS's ARI grid as Channex cells.

`grid_to_cells` turns the PMS's rooms × days × plans into two lanes of cells — availability per
room type, rates and restrictions per rate plan — keeping only what is mapped, inside the
horizon, and possible. Whatever it had to leave out comes back as `GridProblem`s (data, not
log lines: the caller decides how loudly to report them). What Channex does not hold yet is
`outbox_rules.diff_texts`'s to decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from middleware.domain import money
from middleware.domain.mapping import PropertyMap, RoomTypeMap
from middleware.domain.models import (
    AVAILABILITY_FIELD,
    CellKey,
    Cells,
    FieldValue,
    PlanDay,
    PmsAri,
    RoomAri,
)

MIN_STAY_FIELDS = ("min_stay_arrival", "min_stay_through")


@dataclass(frozen=True, slots=True, kw_only=True)
class GridProblem:
    """Something in the PMS grid that could not be mapped or was impossible."""

    room_code: str
    plan_code: str | None
    day: date | None
    message: str


def grid_to_cells(
    ari: PmsAri, prop: PropertyMap, *, today: date, horizon_end: date
) -> tuple[Cells, Cells, list[GridProblem]]:
    """(availability cells, restriction cells, problems) for the mapped part of `ari`.

    Days before `today` or after `horizon_end` are left out (Channex refuses past dates).
    """
    grid = _Grid(prop=prop, today=today, horizon_end=horizon_end)
    grid.check_currency(ari.currency)
    rooms = {room.room_code: room for room in prop.room_types}
    for room_ari in ari.rooms:
        room = rooms.get(room_ari.room_code)
        if room is None:
            grid.report_unmapped(room_ari.room_code, None)
            continue
        grid.add_room(room_ari, room)
    return grid.availability, grid.restrictions, grid.problems


@dataclass(slots=True, kw_only=True)
class _Grid:
    """The cells and problems collected while walking one property's part of the grid."""

    prop: PropertyMap
    today: date
    horizon_end: date
    keep_rates: bool = True
    availability: Cells = field(default_factory=dict)
    restrictions: Cells = field(default_factory=dict)
    problems: list[GridProblem] = field(default_factory=list)
    unmapped: set[tuple[str, str | None]] = field(default_factory=set)

    def report(self, room_code: str, plan_code: str | None, day: date | None, what: str) -> None:
        where = f"room {room_code!r}" + (f" plan {plan_code!r}" if plan_code is not None else "")
        when = f" on {day}" if day is not None else ""
        self.problems.append(
            GridProblem(
                room_code=room_code,
                plan_code=plan_code,
                day=day,
                message=f"property {self.prop.property_id}: {where}{when} {what}",
            )
        )

    def report_unmapped(self, room_code: str, plan_code: str | None) -> None:
        """Once per code, not once per day."""
        if (room_code, plan_code) not in self.unmapped:
            self.unmapped.add((room_code, plan_code))
            self.report(room_code, plan_code, None, "is not mapped")

    def check_currency(self, currency: str | None) -> None:
        """Rates priced in another currency than the Channex property's are never sent."""
        if currency is None or currency.strip().upper() == self.prop.currency.upper():
            return
        self.keep_rates = False
        self.problems.append(
            GridProblem(
                room_code="",
                plan_code=None,
                day=None,
                message=f"property {self.prop.property_id}: PMS currency {currency} is not "
                f"{self.prop.currency}, rates not sent",
            )
        )

    def add_room(self, room_ari: RoomAri, room: RoomTypeMap) -> None:
        total = max(room_ari.total, 0)
        plans = {plan.plan_code: plan.rate_plan_id for plan in room.rate_plans}
        for room_day in room_ari.days:
            day = room_day.day
            if not self.today <= day <= self.horizon_end:
                continue
            units = min(max(room_day.available, 0), total)
            if units != room_day.available:
                self.report(
                    room.room_code, None, day, f"available {room_day.available} clamped to {units}"
                )
            self.availability[CellKey(room.room_type_id, day)] = {AVAILABILITY_FIELD: units}
            for plan_day in room_day.plans:
                rate_plan_id = plans.get(plan_day.plan_code)
                if rate_plan_id is None:
                    self.report_unmapped(room.room_code, plan_day.plan_code)
                    continue
                fields = self.possible_fields(plan_day, room.room_code, day)
                if fields:
                    self.restrictions[CellKey(rate_plan_id, day)] = fields

    def possible_fields(
        self, plan_day: PlanDay, room_code: str, day: date
    ) -> dict[str, FieldValue]:
        """The plan's managed fields minus those Channex would refuse (each one reported)."""
        fields = plan_day.fields()
        refused: list[str] = []
        if plan_day.rate is not None:
            try:
                money.quantize(plan_day.rate, self.prop.currency)
            except ValueError:
                refused.append(f"rate {plan_day.rate} is not > 0")
                del fields["rate"]
        if not self.keep_rates:
            fields.pop("rate", None)
        for name in MIN_STAY_FIELDS:
            if name in fields and int(fields[name]) < 1:
                refused.append(f"{name} {fields.pop(name)} is below 1")
        if "max_stay" in fields and int(fields["max_stay"]) < 0:
            refused.append(f"max_stay {fields.pop('max_stay')} is negative")
        for reason in refused:
            self.report(room_code, plan_day.plan_code, day, f"{reason}, not sent")
        return fields
