"""The sistema-os ARI document (`GET /api/v1/channex/ari`) → `PmsAri`. Pure.

Two shapes (pms-contract §2.1): *per date* (every room type carries `days`) and *flat* (one
`available`/`rate` per categoria, valid for the whole queried range). A day — or a flat
entry — carries either `rates: [{plano, rate, <restrictions>}]` or the fields of the single
plan `padrao` directly (`rate` and any restriction field; `rates` wins when both are there).
A restriction field that is absent or null is not managed by the PMS and stays `None`.

Structure that cannot be read (not an object, `room_types`/`days`/`rates` not lists, a
missing `categoria`/`total`/`date`/`plano`) raises `PayloadError` naming the path. Impossible
values are corrected and reported as problems, never raised:

- `available` outside `[0, total]` → clamped; missing, not a whole number or 15+ digits →
  day ignored;
- `rate` not a positive decimal (or absurd: above `MAX_RATE`, more than `MAX_RATE_PLACES`
  decimal places) → dropped from that plan day; a negative `total` → 0;
- a negative or non-integer stay restriction, a non-boolean flag → dropped;
- a day outside the requested range → ignored; a repeated date / categoria / plano → last wins.

A minimum stay of 0 means "no minimum" and becomes 1, silently: Channex's floor is 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from middleware.domain.models import PlanDay, PmsAri, RoomAri, RoomDay
from middleware.errors import PayloadError

AriShape = Literal["per_date", "flat"]
Action = Literal["clamped", "dropped", "ignored", "last_wins"]

DEFAULT_PLAN = "padrao"
MAX_RATE = Decimal("100000000")
MAX_RATE_PLACES = 4  # the most minor-unit digits any ISO 4217 currency has
MAX_WHOLE_DIGITS = 15
MAX_SHOWN_CHARS = 40
STAY_FIELDS = ("min_stay_arrival", "min_stay_through", "max_stay")
FLAG_FIELDS = ("closed_to_arrival", "closed_to_departure", "stop_sell")
PLAN_FIELDS = ("rate", *STAY_FIELDS, *FLAG_FIELDS)
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True, slots=True, kw_only=True)
class AriProblem:
    """One corrected value: where (`room_code`, `day`, `field`) and what was done."""

    room_code: str
    day: date | None
    field: str
    action: Action
    message: str


def load_ari_json(text: str) -> Any:
    """Decode an ARI body; JSON numbers with a fraction become `Decimal`, never float.

    The stdlib parser with `parse_float=Decimal` builds each number from its own text, so
    `450.10` stays `Decimal("450.10")` and no digit is lost to binary rounding; orjson would
    hand us a float first. ARI bodies are small, so orjson's speed does not matter here.
    """
    try:
        doc = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise PayloadError(f"PMS ARI: body is not JSON: {exc}") from exc
    if SURROGATE_ESCAPE.search(text) and not _utf8_only(doc):
        # the stdlib reads a lone "\ud800" into a str that no UTF-8 writer (orjson logs,
        # SQLite) accepts: one such categoria would make every sync fail on its log line
        raise PayloadError("PMS ARI: body is not JSON: a string holds a lone surrogate")
    return doc


def ari_shape(doc: Any) -> AriShape | None:
    """`per_date` when every room type carries `days`, `flat` when one does not, else None."""
    room_types = doc.get("room_types") if isinstance(doc, dict) else None
    if not isinstance(room_types, list) or not room_types:
        return None
    if all(isinstance(entry, dict) and "days" in entry for entry in room_types):
        return "per_date"
    return "flat"


def parse_ari_document(doc: Any, *, date_from: date, date_to: date) -> tuple[PmsAri, list[str]]:
    """The document as `PmsAri`, and a sentence for every value that had to be corrected."""
    ari, problems = read_ari_document(doc, date_from=date_from, date_to=date_to)
    return ari, [problem.message for problem in problems]


def read_ari_document(
    doc: Any, *, date_from: date, date_to: date
) -> tuple[PmsAri, list[AriProblem]]:
    """Like `parse_ari_document`, with the problems as structured records."""
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    if not isinstance(doc, dict):
        raise PayloadError(f"PMS ARI: the document is {_kind(doc)}, expected an object")
    room_types = doc.get("room_types")
    if not isinstance(room_types, list):
        raise PayloadError(f"PMS ARI: room_types is {_kind(room_types)}, expected a list")
    reader = _Reader(date_from, date_to)
    rooms: dict[str, RoomAri] = {}
    currencies: list[str] = []
    for index, entry in enumerate(room_types):
        room = reader.room(entry, f"room_types[{index}]")
        if room.room_code in rooms:
            reader.note(room.room_code, None, "categoria", "last_wins", "repeated, last entry wins")
        rooms[room.room_code] = room
        if isinstance(entry.get("currency"), str):
            currencies.append(entry["currency"])
    top = doc.get("currency")
    currency = top if isinstance(top, str) else next(iter(currencies), None)
    return PmsAri(currency=currency, rooms=tuple(rooms.values())), reader.problems


def merge_aris(parts: Sequence[PmsAri]) -> PmsAri:
    """Join per-day reads (disjoint days) into one `PmsAri`; the latest `total` wins."""
    totals: dict[str, int] = {}
    days: dict[str, dict[date, RoomDay]] = {}
    for part in parts:
        for room in part.rooms:
            totals[room.room_code] = room.total
            days.setdefault(room.room_code, {}).update((d.day, d) for d in room.days)
    rooms = tuple(
        RoomAri(room_code=code, total=totals[code], days=tuple(by_day[d] for d in sorted(by_day)))
        for code, by_day in days.items()
    )
    currency = next((part.currency for part in parts if part.currency is not None), None)
    return PmsAri(currency=currency, rooms=rooms)


class _Reader:
    """Walks one document for one requested range, collecting the problems it corrects."""

    def __init__(self, date_from: date, date_to: date) -> None:
        self.date_from = date_from
        self.date_to = date_to
        self.problems: list[AriProblem] = []

    def note(self, code: str, day: date | None, field: str, action: Action, what: str) -> None:
        where = f"{code} {day}" if day is not None else code
        message = f"{where}: {field} {what}"
        self.problems.append(
            AriProblem(room_code=code, day=day, field=field, action=action, message=message)
        )

    def room(self, entry: Any, path: str) -> RoomAri:
        if not isinstance(entry, dict):
            raise PayloadError(f"PMS ARI: {path} is {_kind(entry)}, expected an object")
        code = entry.get("categoria")
        if not isinstance(code, str) or not code.strip():
            raise PayloadError(f"PMS ARI: {path}.categoria is missing or not a non-empty string")
        total = _whole(entry.get("total"))
        if total is None:
            raise PayloadError(f"PMS ARI: {path}.total is missing or not a whole number")
        if total < 0:
            self.note(code, None, "total", "clamped", f"{total} < 0, clamped to 0")
            total = 0
        if "days" not in entry:  # flat: one value for every day of the range
            values = self.values(entry, path, code, total, self.date_from)
            if values is None:
                return RoomAri(room_code=code, total=total, days=())
            available, plans = values
            span = range((self.date_to - self.date_from).days + 1)
            room_days = tuple(
                RoomDay(day=self.date_from + timedelta(days=n), available=available, plans=plans)
                for n in span
            )
            return RoomAri(room_code=code, total=total, days=room_days)
        raw_days = entry["days"]
        if not isinstance(raw_days, list):
            raise PayloadError(f"PMS ARI: {path}.days is {_kind(raw_days)}, expected a list")
        by_day: dict[date, RoomDay] = {}
        for index, raw in enumerate(raw_days):
            day_path = f"{path}.days[{index}]"
            if not isinstance(raw, dict):
                raise PayloadError(f"PMS ARI: {day_path} is {_kind(raw)}, expected an object")
            day = _iso_date(raw.get("date"))
            if day is None:
                raise PayloadError(f"PMS ARI: {day_path}.date is missing or not YYYY-MM-DD")
            if not self.date_from <= day <= self.date_to:
                what = f"outside {self.date_from}..{self.date_to}, day ignored"
                self.note(code, day, "date", "ignored", what)
                continue
            values = self.values(raw, day_path, code, total, day)
            if values is None:
                continue
            if day in by_day:
                self.note(code, day, "date", "last_wins", "repeated, last entry wins")
            by_day[day] = RoomDay(day=day, available=values[0], plans=values[1])
        return RoomAri(room_code=code, total=total, days=tuple(by_day[d] for d in sorted(by_day)))

    def values(
        self, obj: dict[str, Any], path: str, code: str, total: int, day: date
    ) -> tuple[int, tuple[PlanDay, ...]] | None:
        """A day's (or flat entry's) availability and plans; None when the day is unusable."""
        available = _whole(obj.get("available"))
        if available is None:
            what = f"{_show(obj.get('available'))} is not a whole number, day ignored"
            self.note(code, day, "available", "ignored", what)
            return None
        if not 0 <= available <= total:
            clamped = min(max(available, 0), total)
            what = f"{available} outside [0, {total}], clamped to {clamped}"
            self.note(code, day, "available", "clamped", what)
            available = clamped
        if "rates" not in obj:
            if all(obj.get(name) is None for name in PLAN_FIELDS):
                return available, ()
            return available, (self.plan(obj, DEFAULT_PLAN, code, day),)
        raw_rates = obj["rates"]
        if not isinstance(raw_rates, list):
            raise PayloadError(f"PMS ARI: {path}.rates is {_kind(raw_rates)}, expected a list")
        plans: dict[str, PlanDay] = {}
        for index, raw in enumerate(raw_rates):
            plan_path = f"{path}.rates[{index}]"
            if not isinstance(raw, dict):
                raise PayloadError(f"PMS ARI: {plan_path} is {_kind(raw)}, expected an object")
            plan_code = raw.get("plano")
            if not isinstance(plan_code, str) or not plan_code.strip():
                raise PayloadError(f"PMS ARI: {plan_path}.plano is missing or not a string")
            if plan_code in plans:
                self.note(code, day, "plano", "last_wins", f"{plan_code} repeated, last wins")
            plans[plan_code] = self.plan(raw, plan_code, code, day)
        return available, tuple(plans.values())

    def plan(self, obj: dict[str, Any], plan_code: str, code: str, day: date) -> PlanDay:
        def drop(name: str, why: str) -> None:
            what = f"{_show(obj[name])} {why}, dropped from plano {plan_code}"
            self.note(code, day, name, "dropped", what)

        rate: Decimal | None = None
        if obj.get("rate") is not None:
            rate = _money(obj["rate"])
            if rate is None or rate <= 0:
                drop("rate", "is not a positive decimal")
                rate = None
            elif rate > MAX_RATE or _places(rate) > MAX_RATE_PLACES:
                drop("rate", "is out of range")
                rate = None
        stays: dict[str, int | None] = dict.fromkeys(STAY_FIELDS)
        for name in STAY_FIELDS:
            if obj.get(name) is None:
                continue
            nights = _whole(obj[name])
            if nights is None or nights < 0:
                drop(name, "is not a whole number of nights >= 0")
            else:
                stays[name] = nights if name == "max_stay" else max(nights, 1)
        flags: dict[str, bool | None] = dict.fromkeys(FLAG_FIELDS)
        for name in FLAG_FIELDS:
            if obj.get(name) is None:
                continue
            if isinstance(obj[name], bool):
                flags[name] = obj[name]
            else:
                drop(name, "is not a boolean")
        return PlanDay(
            plan_code=plan_code,
            rate=rate,
            min_stay_arrival=stays["min_stay_arrival"],
            min_stay_through=stays["min_stay_through"],
            max_stay=stays["max_stay"],
            closed_to_arrival=flags["closed_to_arrival"],
            closed_to_departure=flags["closed_to_departure"],
            stop_sell=flags["stop_sell"],
        )


# --------------------------------------------------------------------------- scalars


def _whole(value: Any) -> int | None:
    """An integer from a JSON int, an integral decimal/float or a digit string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            value = _money(value)
    if isinstance(value, int):  # as wide as any: a huge one must not reach a JSON encoder
        return value if abs(value) < 10**MAX_WHOLE_DIGITS else None
    if isinstance(value, float):
        value = _money(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        return None
    if value.adjusted() >= MAX_WHOLE_DIGITS or value != value.to_integral_value():
        return None
    return int(value)


def _money(value: Any) -> Decimal | None:
    """An exact decimal from a string or JSON number (floats through `repr`); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            return None
    else:
        return None
    return amount if amount.is_finite() else None


def _places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _iso_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _utf8_only(value: Any) -> bool:
    if isinstance(value, str):
        return not any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return all(_utf8_only(key) and _utf8_only(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_utf8_only(item) for item in value)
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 3] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return "a number"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)
