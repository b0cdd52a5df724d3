"""A chaos run's workload, chosen by its seed: OTA bookings through Channex, staff in the PMS.

`make_workload(seed, today=..., duration_s=...)` is pure and returns timed operations:
- OTA bookings created in the Channex emulator (one to three rooms), some modified (dates,
  room type, a room added, the last room removed, the guest) and some cancelled;
- sistema-os changes by hotel staff: prices, restrictions, direct bookings and their
  cancellations, half of them in bursts (a bulk edit) that make the middleware want more
  calls than the rate limit allows.
Stays fall in the next weeks of a large horizon and mostly in the big categorias, so most
bookings fit; a 409 (no free apartment) can still happen, as in a real hotel.

Room indexes are positions in the booking's room list, so a booking that lost a room never
gets one back: the middleware would rightly park a room that returns after its cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from random import Random
from typing import Literal

CATEGORIAS = (("lvu", 4), ("lvl", 4), ("ov", 2), ("dlvu", 1), ("dlvl", 1), ("ovp", 1))
FIRST_CHECKIN_DAYS = 1
LAST_CHECKIN_DAYS = 40
PMS_CHANGE_DAYS = 60  # staff change prices and restrictions up to this far ahead
MAX_NIGHTS = 4
CREATE_WITHIN = 0.8  # bookings are created in the first 80 % of the run
BURST_SHARE = 0.5  # of the PMS changes, made in bursts ...
BURST_S = 8.0  # ... each this long (longer than the 6 s compressed window)
GUESTS = ("Ana Souza", "Bruno Lima", "Carla Dias", "Diego Alves", "Elisa Rocha", "Fábio Melo")
OTAS = ("Booking.com", "Airbnb", "A-Expedia")
RESTRICTION_CHOICES = (
    "min_stay_arrival",
    "min_stay_through",
    "closed_to_arrival",
    "closed_to_departure",
    "stop_sell",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stay:
    categoria: str
    checkin: date
    checkout: date
    adults: int = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class OtaCreate:
    at_s: float
    key: int
    stays: tuple[Stay, ...]
    guest: str
    ota: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OtaModify:
    at_s: float
    key: int
    what: Literal["dates", "room_type", "add_room", "remove_room", "guest"]
    stays: tuple[Stay, ...]
    guest: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OtaCancel:
    at_s: float
    key: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsRate:
    at_s: float
    categoria: str
    date_from: date
    date_to: date
    rate: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsRestrict:
    at_s: float
    categoria: str
    date_from: date
    date_to: date
    fields: tuple[tuple[str, int | bool], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsBook:
    at_s: float
    key: int
    categoria: str
    checkin: date
    checkout: date


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsCancel:
    at_s: float
    key: int


Op = OtaCreate | OtaModify | OtaCancel | PmsRate | PmsRestrict | PmsBook | PmsCancel


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload:
    seed: int
    ops: tuple[Op, ...]  # by time

    def count(self, kind: type) -> int:
        return sum(1 for op in self.ops if isinstance(op, kind))


@dataclass(slots=True)
class _Booking:
    stays: list[Stay]
    guest: str
    lost_a_room: bool = False


def make_workload(
    seed: int,
    *,
    today: date,
    duration_s: float,
    bookings: tuple[int, int] = (20, 40),
    pms_changes: tuple[int, int] = (50, 150),
) -> Workload:
    rng = Random(f"chaos-workload:{seed}")
    ops: list[Op] = []
    for key in range(rng.randint(*bookings)):
        ops += _booking_life(rng, key, today, duration_s)
    direct = 0
    bursts = [rng.uniform(0, duration_s - BURST_S) for _ in range(rng.randint(1, 3))]
    for _ in range(rng.randint(*pms_changes)):
        at_s = _pms_moment(rng, bursts, duration_s)
        pick = rng.random()
        if pick < 0.45:
            ops.append(_rate(rng, at_s, today))
        elif pick < 0.75:
            ops.append(_restriction(rng, at_s, today))
        else:
            checkin = today + timedelta(days=rng.randint(0, LAST_CHECKIN_DAYS))
            nights = rng.randint(1, 3)
            ops.append(
                PmsBook(
                    at_s=at_s,
                    key=direct,
                    categoria=_categoria(rng),
                    checkin=checkin,
                    checkout=checkin + timedelta(days=nights),
                )
            )
            if rng.random() < 0.3:
                ops.append(PmsCancel(at_s=round(rng.uniform(at_s, duration_s), 3), key=direct))
            direct += 1
    ordered = sorted(enumerate(ops), key=lambda item: (item[1].at_s, item[0]))
    return Workload(seed=seed, ops=tuple(op for _, op in ordered))


def _pms_moment(rng: Random, bursts: list[float], duration_s: float) -> float:
    """Half the staff's changes come in bursts (a bulk edit), half spread over the run."""
    if rng.random() < BURST_SHARE:
        at_s = rng.choice(bursts) + rng.uniform(0, BURST_S)
    else:
        at_s = rng.uniform(0, duration_s)
    return round(min(at_s, duration_s), 3)


def _categoria(rng: Random) -> str:
    codes, weights = zip(*CATEGORIAS, strict=True)
    return str(rng.choices(codes, weights=weights)[0])


def _stay_dates(rng: Random, today: date) -> tuple[date, date]:
    checkin = today + timedelta(days=rng.randint(FIRST_CHECKIN_DAYS, LAST_CHECKIN_DAYS))
    return checkin, checkin + timedelta(days=rng.randint(1, MAX_NIGHTS))


def _booking_life(rng: Random, key: int, today: date, duration_s: float) -> list[Op]:
    created_s = round(rng.uniform(0, CREATE_WITHIN * duration_s), 3)
    checkin, checkout = _stay_dates(rng, today)
    rooms = rng.choices((1, 2, 3), weights=(75, 18, 7))[0]
    booking = _Booking(
        stays=[
            Stay(categoria=_categoria(rng), checkin=checkin, checkout=checkout)
            for _ in range(rooms)
        ],
        guest=rng.choice(GUESTS),
    )
    ops: list[Op] = [
        OtaCreate(
            at_s=created_s,
            key=key,
            stays=tuple(booking.stays),
            guest=booking.guest,
            ota=rng.choice(OTAS),
        )
    ]
    changes = rng.choices((0, 1, 2), weights=(50, 35, 15))[0]
    cancelled = rng.random() < 0.25
    times = sorted(round(rng.uniform(created_s, duration_s), 3) for _ in range(changes + 1))
    for at_s in times[:changes]:
        ops.append(_modify(rng, key, at_s, booking, today))
    if cancelled:
        ops.append(OtaCancel(at_s=times[-1], key=key))
    return ops


def _modify(rng: Random, key: int, at_s: float, booking: _Booking, today: date) -> OtaModify:
    options: list[Literal["dates", "room_type", "add_room", "remove_room", "guest"]] = [
        "dates",
        "dates",
        "room_type",
        "guest",
    ]
    if not booking.lost_a_room and len(booking.stays) < 3:
        options.append("add_room")
    if len(booking.stays) > 1:
        options.append("remove_room")
    what = rng.choice(options)
    stays = booking.stays
    if what == "dates":
        checkin, checkout = _stay_dates(rng, today)
        stays = [Stay(categoria=s.categoria, checkin=checkin, checkout=checkout) for s in stays]
    elif what == "room_type":
        index = rng.randrange(len(stays))
        old = stays[index]
        moved = Stay(categoria=_categoria(rng), checkin=old.checkin, checkout=old.checkout)
        stays = [*stays[:index], moved, *stays[index + 1 :]]
    elif what == "add_room":
        first = stays[0]
        stays = [
            *stays,
            Stay(categoria=_categoria(rng), checkin=first.checkin, checkout=first.checkout),
        ]
    elif what == "remove_room":
        stays = stays[:-1]
        booking.lost_a_room = True
    else:
        booking.guest = rng.choice(GUESTS)
    booking.stays = stays
    return OtaModify(at_s=at_s, key=key, what=what, stays=tuple(stays), guest=booking.guest)


def _rate(rng: Random, at_s: float, today: date) -> PmsRate:
    first = today + timedelta(days=rng.randint(0, PMS_CHANGE_DAYS))
    return PmsRate(
        at_s=at_s,
        categoria=_categoria(rng),
        date_from=first,
        date_to=first + timedelta(days=rng.randint(0, 13)),
        rate=Decimal(rng.randint(25, 120) * 10).quantize(Decimal("0.01")),
    )


def _restriction(rng: Random, at_s: float, today: date) -> PmsRestrict:
    first = today + timedelta(days=rng.randint(0, PMS_CHANGE_DAYS))
    names = rng.sample(RESTRICTION_CHOICES, rng.randint(1, 2))
    fields: list[tuple[str, int | bool]] = []
    for name in sorted(names):
        if name.startswith("min_stay"):
            fields.append((name, rng.randint(1, 3)))
        else:
            fields.append((name, rng.random() < (0.2 if name == "stop_sell" else 0.4)))
    return PmsRestrict(
        at_s=at_s,
        categoria=_categoria(rng),
        date_from=first,
        date_to=first + timedelta(days=rng.randint(0, 6)),
        fields=tuple(fields),
    )
