"""The Calendar page's data: per hotel and month, each room type's availability and each rate
plan's chosen restriction field, as the PMS has it, as Channex last accepted it, and — on
request, one call per endpoint — as Channex holds it now. A cell differs when the PMS value
is not what Channex accepted (or reads back).

The PMS is read through its port and turned into cells by the same `domain.ari` code the
sync uses; the accepted values are `store.ari_state`. The web calls Channex for none of it:
the read-back is read by the worker when asked (`worker.read_back`, a wake-up per hotel, kind
and month) and the page shows the last one done, when it was read, and whether a newer one is
still asked.
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
from middleware.store import ari_state, wakeups
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


async def _stored_read_back(
    rt: Runtime, lane: Lane, month: date
) -> tuple[ReadBack | None, bool, datetime | None, dict[str, dict[str, dict[str, str]]]]:
    """The last read-back of the lane's month the worker finished (its outcome, when, and
    what Channex held), and whether a newer one is still asked."""
    subject = read_back_work.subject_of(lane.property_id, lane.kind, month)
    newest = await wakeups.latest(rt.db, "read_back", subject)
    done = await wakeups.latest(rt.db, "read_back", subject, done=True)
    waiting = newest is not None and newest.done_at is None
    if done is None or done.result is None:
        return None, waiting, None, {}
    result = orjson.loads(done.result)
    return str(result.get("outcome", "failed")), waiting, done.done_at, result.get("texts", {})


async def calendar_page(rt: Runtime, prop: PropertyMap, month: date, field: str) -> CalendarPage:
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
    rows: list[Row] = []
    shown: tuple[tuple[Kind, str], ...] = (
        ("availability", AVAILABILITY_FIELD),
        ("restrictions", field),
    )
    for kind, shown_field in shown:
        lane = Lane(prop.property_id, kind)
        accepted = _texts(await ari_state.acked(rt.db, lane, None, first, last), shown_field)
        outcome, waiting, at, stored = await _stored_read_back(rt, lane, month)
        if waiting:
            asked.append(kind)
        if outcome is not None and at is not None:
            backs[kind], read_at[kind] = outcome, at
        now_texts = {
            (entity_id, date.fromisoformat(day)): text
            for entity_id, by_day in stored.get(shown_field, {}).items()
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
