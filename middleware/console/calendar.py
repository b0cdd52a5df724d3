"""The Calendar page's data: per hotel and month, each room type's availability and each rate
plan's chosen restriction field, as the PMS has it, as Channex last accepted it, and — on
request, one call per endpoint — as Channex holds it now. A cell differs when the PMS value
is not what Channex accepted (or reads back).

The PMS is read through its port and turned into cells by the same `domain.ari` code the
sync uses; the accepted values are `store.ari_state`. The web calls Channex for none of it:
the read-back is read by the worker when asked (`worker.read_back`, a wake-up per hotel, kind
and month); the form's redirect names that wake-up (`?read_back=ID`), and the page shows its
result and when it was read, or that it is asked (a refresh of the same address shows it once
done).
"""

from __future__ import annotations

import calendar as months
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import orjson

from middleware import clock as clocks
from middleware.domain import ari
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
from middleware.worker import read_back as read_back_work

ReadBack = str  # "read", "busy" (no read slot was free), "failed"


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
    read_back: dict[str, ReadBack]  # per kind: the outcome of the last read-back done
    read_back_asked: tuple[str, ...] = ()  # kinds whose newer read-back the worker has not done
    read_back_at: dict[str, datetime] = dataclasses.field(
        default_factory=dict
    )  # when each was read

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


async def _asked_read_back(
    rt: Runtime, prop: PropertyMap, month: date, wakeup_id: int | None
) -> tuple[Kind | None, ReadBack | None, datetime | None, dict[str, dict[str, dict[str, str]]]]:
    """The read-back the page was sent to show (a wake-up of this hotel and month): its
    kind, its outcome (None while the worker has not done it), when it was read and what
    Channex held."""
    found = None if wakeup_id is None else await rt.store.wakeups.get(wakeup_id)
    if found is None or found.work != "read_back" or found.subject is None:
        return None, None, None, {}
    parsed = read_back_work.parse_subject(found.subject)
    if parsed is None or parsed[0] != prop.property_id or parsed[2] != month:
        return None, None, None, {}
    kind = parsed[1]
    if found.done_at is None or found.result is None:
        return kind, None, None, {}
    result = orjson.loads(found.result)
    return kind, str(result.get("outcome", "failed")), found.done_at, result.get("texts", {})


async def calendar_page(
    rt: Runtime, prop: PropertyMap, month: date, field: str, read_back_id: int | None = None
) -> CalendarPage:
    """The page; `read_back_id`: the read-back wake-up to show (the Read back form's)."""
    field = field if field in RESTRICTION_FIELDS else "rate"
    today, _ = clocks.horizon(prop.timezone, rt.clock(), rt.settings.channex_sync_days)
    first, last = read_back_work.month_days(prop, month, rt.clock(), rt.settings.channex_sync_days)
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
    asked: list[str] = []
    read_at: dict[str, datetime] = {}
    back_kind, outcome, at, stored = await _asked_read_back(rt, prop, month, read_back_id)
    if back_kind is not None and outcome is None:
        asked.append(back_kind)
    if back_kind is not None and outcome is not None and at is not None:
        backs[back_kind], read_at[back_kind] = outcome, at
    rows: list[Row] = []
    shown: tuple[tuple[Kind, str], ...] = (
        ("availability", AVAILABILITY_FIELD),
        ("restrictions", field),
    )
    for kind, shown_field in shown:
        lane = Lane(prop.property_id, kind)
        accepted = _texts(await rt.store.ari_state.acked(lane, None, first, last), shown_field)
        now_texts = {
            (entity_id, date.fromisoformat(day)): text
            for entity_id, by_day in (stored if kind == back_kind else {})
            .get(shown_field, {})
            .items()
            for day, text in by_day.items()
        }
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
        read_back_asked=tuple(asked),
        read_back_at=read_at,
    )
