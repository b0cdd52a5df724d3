"""The Calendar page's data: per hotel and month, each room type's availability and each rate
plan's chosen restriction field, as the PMS has it, as Channex last accepted it, and — on
request, one call per endpoint — as Channex holds it now. A cell differs when the PMS value
is not what Channex accepted (or reads back).

The PMS is read through its port and turned into cells by the same `domain.ari` code the
sync uses; the accepted values are `store.ari_state`; the read-back takes a read slot of the
lane's rate limit (`lanes.reserve_read`, pushes first) like the parity check.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from middleware import clock as clocks
from middleware.domain import ari, readback
from middleware.domain.mapping import PropertyMap
from middleware.domain.models import (
    AVAILABILITY_FIELD,
    RESTRICTION_FIELDS,
    Cells,
    Kind,
    Lane,
    value_to_text,
)
from middleware.errors import MiddlewareError
from middleware.ops.runtime import Runtime

ReadBack = str  # "" none asked, "read", "busy" (no slot), "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    day: date
    pms: str | None
    accepted: str | None
    channex_now: str | None
    differs: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    kind: Kind
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarPage:
    prop: PropertyMap
    month: date  # first day of the month shown
    field: str  # the restriction field shown
    days: tuple[date, ...]  # the month's days Channex accepts (today .. horizon end)
    rows: tuple[Row, ...]
    pms_error: str | None
    read_back: dict[str, ReadBack]  # per kind

    @property
    def differences(self) -> int:
        return sum(c.differs for row in self.rows for c in row.cells)

    @property
    def previous_month(self) -> date:
        return (self.month - timedelta(days=1)).replace(day=1)

    @property
    def next_month(self) -> date:
        return self.month + timedelta(days=months.monthrange(self.month.year, self.month.month)[1])


def parse_month(text: str | None, today: date) -> date:
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _shown(field: str, text: str | None) -> str | None:
    if text is None or field != "rate":
        return text
    return f"{Decimal(text):.2f}"


def _texts(cells: Cells, field: str) -> dict[tuple[str, date], str]:
    return {
        (key.entity_id, key.day): value_to_text(field, fields[field])
        for key, fields in cells.items()
        if field in fields
    }


async def _read_back(rt: Runtime, lane: Lane, first: date, last: date) -> tuple[ReadBack, Cells]:
    s = rt.settings
    limit = (
        s.channex_avail_rate_limit if lane.kind == "availability" else s.channex_price_rate_limit
    )
    taken = await rt.store.lanes.reserve_read(
        lane,
        rt.clock(),
        limit=limit,
        own_limit=s.parity_read_limit,
        window_s=s.channex_rate_window_s,
    )
    if not taken:
        return "busy", {}
    try:
        if lane.kind == "availability":
            got = await rt.channex.get_availability(lane.property_id, first, last)
            return "read", readback.cells_from_availability(got)
        read = await rt.channex.get_restrictions(lane.property_id, first, last, RESTRICTION_FIELDS)
        return "read", readback.cells_from_restrictions(read)
    except MiddlewareError:
        return "failed", {}


async def calendar_page(
    rt: Runtime, prop: PropertyMap, month: date, field: str, read_back: Kind | None
) -> CalendarPage:
    field = field if field in RESTRICTION_FIELDS else "rate"
    today, end = clocks.horizon(prop.timezone, rt.clock(), rt.settings.channex_sync_days)
    last_day = month.replace(day=months.monthrange(month.year, month.month)[1])
    first, last = max(month, today), min(last_day, end)
    days = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
    if not days:
        return CalendarPage(
            prop=prop, month=month, field=field, days=(), rows=(), pms_error=None, read_back={}
        )
    pms: dict[Kind, Cells] = {"availability": {}, "restrictions": {}}
    pms_error = None
    try:
        grid = await rt.pms.read_ari(first, last)
        pms["availability"], pms["restrictions"], _ = ari.grid_to_cells(
            grid, prop, today=today, horizon_end=last
        )
    except MiddlewareError as exc:
        pms_error = str(exc)
    backs: dict[str, ReadBack] = {}
    rows: list[Row] = []
    shown: tuple[tuple[Kind, str], ...] = (
        ("availability", AVAILABILITY_FIELD),
        ("restrictions", field),
    )
    for kind, shown_field in shown:
        lane = Lane(prop.property_id, kind)
        accepted = _texts(await rt.store.ari_state.acked(lane, None, first, last), shown_field)
        now_cells: Cells = {}
        if read_back == kind:
            backs[kind], now_cells = await _read_back(rt, lane, first, last)
        now_texts = _texts(now_cells, shown_field)
        pms_texts = _texts(pms[kind], shown_field)
        entities = (
            [(room.room_type_id, room.room_code) for room in prop.room_types]
            if kind == "availability"
            else [
                (plan.rate_plan_id, f"{room.room_code}/{plan.plan_code}")
                for room in prop.room_types
                for plan in room.rate_plans
            ]
        )
        for entity_id, label in entities:
            cells = []
            for day in days:
                p, a = pms_texts.get((entity_id, day)), accepted.get((entity_id, day))
                n = now_texts.get((entity_id, day)) if kind in backs else None
                differs = p is not None and (p != a or (backs.get(kind) == "read" and p != n))
                cells.append(
                    Cell(
                        day=day,
                        pms=_shown(shown_field, p),
                        accepted=_shown(shown_field, a),
                        channex_now=_shown(shown_field, n),
                        differs=differs,
                    )
                )
            rows.append(Row(kind=kind, label=label, cells=tuple(cells)))
    return CalendarPage(
        prop=prop,
        month=month,
        field=field,
        days=days,
        rows=tuple(rows),
        pms_error=pms_error,
        read_back=backs,
    )
