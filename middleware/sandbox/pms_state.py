"""The sistema-os emulator's hotel model: guests, bookings, apartments, rate/restriction overrides.

Pure and in memory: no HTTP, no clock. Availability of a categoria on a night is its units
minus the live bookings occupying that night (checkin ≤ night < checkout, not CANCELADA).
Every booking holds one apartment for its whole stay, chosen as the first apartment of the
categoria free on every night; no such apartment means `NoFreeApartmentError` (HTTP 409).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from middleware.sandbox.pms_booking_details import (
    CLEARED_VALUES,
    DETAIL_FIELDS,
    Booker,
    BookingDetails,
    NightPrice,
    Payment,
    Service,
    Tax,
    WithheldTax,
)
from middleware.sandbox.pms_calendar import days_between, nights
from middleware.sandbox.pms_hotel import (
    CENT,
    Hotel,
    Plan,
    Restrictions,
    RoomType,
    valid_restriction,
)

CONFIRMED = "CONFIRMADA"
CANCELLED = "CANCELADA"
FIRST_BOOKING_ID = 1


class PmsStateError(Exception):
    """A request the hotel cannot carry out; the message says why, for a `detail`."""


class UnknownCategoriaError(PmsStateError):
    pass


class UnknownPlanError(PmsStateError):
    pass


class UnknownBookingError(PmsStateError):
    pass


class InvalidStayError(PmsStateError):
    pass


class NoFreeApartmentError(PmsStateError):
    pass


class BookingCancelledError(PmsStateError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class Guest:
    id: int
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingRequest(BookingDetails):
    categoria: str
    checkin: date
    checkout: date
    guest_name: str
    guest_email: str | None = None
    guest_phone: str | None = None
    adults: int = 1
    children: int = 0
    valor_total: Decimal = Decimal("0.00")
    currency: str | None = None
    channel: str = "Direto"
    ota_code: str | None = None
    channex_booking_id: str | None = None
    channex_revision_id: str | None = None
    quarto_indice: int | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingChanges:
    """A modification: only the fields that are set change; `cleared` names attributes
    (`guest_email`, `guest_phone`, `notes`, `ota_code` or one of `DETAIL_FIELDS`) to empty."""

    categoria: str | None = None
    checkin: date | None = None
    checkout: date | None = None
    guest_name: str | None = None
    guest_email: str | None = None
    guest_phone: str | None = None
    adults: int | None = None
    children: int | None = None
    valor_total: Decimal | None = None
    currency: str | None = None
    channel: str | None = None
    ota_code: str | None = None
    channex_revision_id: str | None = None
    notes: str | None = None
    plan: str | None = None
    infants: int | None = None
    children_ages: tuple[int, ...] | None = None
    arrival_hour: str | None = None
    booker: Booker | None = None
    nightly: tuple[NightPrice, ...] | None = None
    services: tuple[Service, ...] | None = None
    taxes: tuple[Tax, ...] | None = None
    withheld_taxes: tuple[WithheldTax, ...] | None = None
    ota_commission: Decimal | None = None
    payment: Payment | None = None
    booking_total: Decimal | None = None
    rooms_in_booking: int | None = None
    cleared: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking(BookingDetails):
    id: int
    categoria: str
    apartamento: str
    checkin: date
    checkout: date
    status: str
    guest: Guest
    adults: int
    children: int
    valor_total: Decimal
    currency: str
    channel: str
    ota_code: str | None
    channex_booking_id: str | None
    channex_revision_id: str | None
    quarto_indice: int | None
    notes: str | None
    cancel_reason: str | None = None
    cancel_fee: Decimal | None = None  # `multa`: what the hotel still receives

    def occupies(self, night: date) -> bool:
        return self.status != CANCELLED and self.checkin <= night < self.checkout


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanDay:
    """One plan of one categoria on one date, overrides applied."""

    plano: str
    rate: Decimal
    restrictions: Restrictions


Key = tuple[str, str, date]  # categoria, plano, date
T = TypeVar("T")


class PmsState:
    def __init__(self, hotel: Hotel) -> None:
        self.hotel = hotel
        self._bookings: dict[int, Booking] = {}
        self._guests: list[Guest] = []
        self._rates: dict[Key, Decimal] = {}
        self._restrictions: dict[Key, dict[str, int | bool]] = {}
        self._idempotency: dict[str, int] = {}
        self._next_id = FIRST_BOOKING_ID

    # ------------------------------------------------------------------ rates and restrictions

    def room(self, categoria: str) -> RoomType:
        room = self.hotel.room_type(categoria)
        if room is None:
            raise UnknownCategoriaError(f"unknown categoria {categoria!r}")
        return room

    def plan(self, categoria: str, plano: str) -> tuple[RoomType, Plan]:
        room = self.room(categoria)
        plan = room.plan(plano)
        if plan is None:
            raise UnknownPlanError(f"categoria {categoria!r} has no plano {plano!r}")
        return room, plan

    def set_rate(
        self, categoria: str, plano: str, date_from: date, date_to: date, rate: Decimal
    ) -> None:
        self.plan(categoria, plano)
        if not rate.is_finite() or rate < 0:
            raise PmsStateError(f"rate must be a non-negative amount, got {rate}")
        for day in _range(date_from, date_to):
            self._rates[(categoria, plano, day)] = rate.quantize(CENT)

    def set_restrictions(
        self, categoria: str, plano: str, date_from: date, date_to: date, **fields: int | bool
    ) -> None:
        self.plan(categoria, plano)
        for name, value in fields.items():
            if not valid_restriction(name, value):
                raise PmsStateError(f"bad restriction {name}={value!r}")
        for day in _range(date_from, date_to):
            self._restrictions.setdefault((categoria, plano, day), {}).update(fields)

    def plan_day(self, categoria: str, plano: str, day: date) -> PlanDay:
        room, plan = self.plan(categoria, plano)
        key = (categoria, plano, day)
        rate = self._rates.get(key, self.hotel.base_rate(plan, day))
        restrictions = self.hotel.base_restrictions(room, plan, day)
        overrides = self._restrictions.get(key)
        if overrides:
            restrictions = replace(restrictions, **overrides)  # type: ignore[arg-type]
        return PlanDay(plano=plano, rate=rate, restrictions=restrictions)

    def quote(self, categoria: str, checkin: date, checkout: date) -> Decimal:
        """The stay's price on the categoria's first plan."""
        plano = self.room(categoria).planos[0].plano
        total = sum(
            (self.plan_day(categoria, plano, n).rate for n in nights(checkin, checkout)),
            Decimal("0.00"),
        )
        return total.quantize(CENT)

    # ------------------------------------------------------------------ availability

    def available(self, categoria: str, night: date) -> int:
        room = self.room(categoria)
        taken = sum(
            1 for b in self._bookings.values() if b.categoria == categoria and b.occupies(night)
        )
        return len(room.apartamentos) - taken

    def _free_apartment(
        self,
        categoria: str,
        checkin: date,
        checkout: date,
        *,
        ignore: int | None = None,
        prefer: str | None = None,
    ) -> str:
        stay = nights(checkin, checkout)
        busy = {
            b.apartamento
            for b in self._bookings.values()
            if b.id != ignore and b.categoria == categoria and any(b.occupies(n) for n in stay)
        }
        candidates = list(self.room(categoria).apartamentos)
        if prefer in candidates:
            candidates.insert(0, prefer)
        for apartment in candidates:
            if apartment not in busy:
                return apartment
        raise NoFreeApartmentError(
            f"no {categoria} apartment is free every night from {checkin} to {checkout}"
        )

    # ------------------------------------------------------------------ guests and bookings

    def guests(self) -> list[Guest]:
        return list(self._guests)

    def find_or_create_guest(self, name: str, email: str | None, phone: str | None) -> Guest:
        """Match by e-mail, then by phone (digits only), else a new guest."""
        if email:
            found = next((g for g in self._guests if g.email and _same_email(g.email, email)), None)
            if found is not None:
                return found
        if phone and _digits(phone):
            found = next(
                (g for g in self._guests if g.phone and _digits(g.phone) == _digits(phone)), None
            )
            if found is not None:
                return found
        guest = Guest(id=len(self._guests) + 1, name=name, email=email or None, phone=phone or None)
        self._guests.append(guest)
        return guest

    def bookings(self) -> list[Booking]:
        return sorted(self._bookings.values(), key=lambda b: b.id)

    def booking(self, booking_id: int) -> Booking:
        found = self._bookings.get(booking_id)
        if found is None:
            raise UnknownBookingError(f"booking {booking_id} not found")
        return found

    def booking_for_key(self, idempotency_key: str) -> Booking | None:
        """The booking an earlier create with this `Idempotency-Key` made, if any."""
        found = self._idempotency.get(idempotency_key)
        return None if found is None else self._bookings[found]

    def create_booking(
        self, request: BookingRequest, *, idempotency_key: str | None = None
    ) -> Booking:
        """A new booking on a free apartment; the key, when given, is remembered on success."""
        _check_stay(request.checkin, request.checkout)
        apartment = self._free_apartment(request.categoria, request.checkin, request.checkout)
        guest = self.find_or_create_guest(
            request.guest_name, request.guest_email, request.guest_phone
        )
        booking = Booking(
            id=self._next_id,
            categoria=request.categoria,
            apartamento=apartment,
            checkin=request.checkin,
            checkout=request.checkout,
            status=CONFIRMED,
            guest=guest,
            adults=request.adults,
            children=request.children,
            valor_total=request.valor_total,
            currency=request.currency or self.hotel.currency,
            channel=request.channel,
            ota_code=request.ota_code,
            channex_booking_id=request.channex_booking_id,
            channex_revision_id=request.channex_revision_id,
            quarto_indice=request.quarto_indice,
            notes=request.notes,
            **{name: getattr(request, name) for name in DETAIL_FIELDS},
        )
        self._next_id += 1
        self._bookings[booking.id] = booking
        if idempotency_key is not None:
            self._idempotency[idempotency_key] = booking.id
        return booking

    def modify_booking(self, booking_id: int, changes: BookingChanges) -> Booking:
        """Apply `changes`; a date or categoria change re-assigns the apartment (or fails whole)."""
        old = self.booking(booking_id)
        if old.status == CANCELLED:
            raise BookingCancelledError(f"booking {booking_id} is {CANCELLED}")
        categoria = changes.categoria or old.categoria
        checkin = changes.checkin or old.checkin
        checkout = changes.checkout or old.checkout
        self.room(categoria)
        _check_stay(checkin, checkout)
        apartment = old.apartamento
        if (categoria, checkin, checkout) != (old.categoria, old.checkin, old.checkout):
            prefer = old.apartamento if categoria == old.categoria else None
            apartment = self._free_apartment(
                categoria, checkin, checkout, ignore=booking_id, prefer=prefer
            )
        guest = replace(
            old.guest,
            name=changes.guest_name or old.guest.name,
            email=_change(changes, "guest_email", old.guest.email, None),
            phone=_change(changes, "guest_phone", old.guest.phone, None),
        )
        new = replace(
            old,
            categoria=categoria,
            apartamento=apartment,
            checkin=checkin,
            checkout=checkout,
            guest=guest,
            adults=_pick(changes.adults, old.adults),
            children=_pick(changes.children, old.children),
            valor_total=_pick(changes.valor_total, old.valor_total),
            currency=changes.currency or old.currency,
            channel=changes.channel or old.channel,
            ota_code=_change(changes, "ota_code", old.ota_code, None),
            channex_revision_id=changes.channex_revision_id or old.channex_revision_id,
            notes=_change(changes, "notes", old.notes, None),
            **{
                name: _change(changes, name, getattr(old, name), CLEARED_VALUES[name])
                for name in DETAIL_FIELDS
            },
        )
        self._bookings[booking_id] = new
        return new

    def cancel_booking(
        self, booking_id: int, reason: str | None = None, fee: Decimal | None = None
    ) -> Booking:
        """Cancel, keeping what is still due (`fee`); a cancelled booking changes no more."""
        old = self.booking(booking_id)
        if old.status == CANCELLED:
            return old
        new = replace(old, status=CANCELLED, cancel_reason=reason, cancel_fee=fee)
        self._bookings[booking_id] = new
        return new


def _range(date_from: date, date_to: date) -> list[date]:
    if date_to < date_from:
        raise PmsStateError(f"date_to {date_to} is before date_from {date_from}")
    return days_between(date_from, date_to)


def _check_stay(checkin: date, checkout: date) -> None:
    if checkout <= checkin:
        raise InvalidStayError(f"data_checkout {checkout} must be after data_checkin {checkin}")


def _pick(new: T | None, old: T) -> T:
    return old if new is None else new


def _change(changes: BookingChanges, name: str, old: Any, cleared: Any) -> Any:
    """The attribute after `changes`: the new value, the cleared one, or the old one."""
    new = getattr(changes, name)
    if new is not None:
        return new
    return cleared if name in changes.cleared else old


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _same_email(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()
