"""The sandbox's narrated tour: go live, then eight things that happen at a hotel, each checked.

Every step does one thing through an emulator (an OTA booking arrives in Channex and is
modified and cancelled; sistema-os staff change a price, a minimum stay, take a direct
booking; a two-room Expedia-collect booking arrives whole and loses its first room —
`tour_whole`), waits until the middleware has settled, prints what the middleware did — read from
the emulators' request logs since the step began — and checks the outcome it must have had
(e.g. exactly one `/restrictions` call carrying rate 589.00 for those dates, the revision
acked once, the sistema-os booking CANCELADA). Dates are a few weeks ahead of the hotel's
today, so the real clock works on any day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO

from middleware.domain import encode
from middleware.domain.models import CellKey, Cells, Kind
from middleware.sandbox import tour_checks as checks
from middleware.sandbox import tour_log
from middleware.sandbox.pms_state import Booking
from middleware.sandbox.stack import Stack
from middleware.sandbox.tour_checks import Check, days, nights
from middleware.sandbox.tour_log import StepLog
from middleware.sandbox.tour_whole import WholeBookingSteps

# (room for the OTA booking and the PMS changes, its plan, room for the direct booking)
TOUR_ROOMS = {"duke_beach": ("lvu", "padrao", "ov"), "certification": ("twin", "bar", "double")}
LEAD_DAYS = 21  # the tour's first date: three weeks after the hotel's today
STAY_NIGHTS = 3
MOVE_DAYS = 7
TOUR_PRICE = Decimal("589.00")
SETTLE_TIMEOUT_S = 30.0
GUEST = {
    "name": "Maria",
    "surname": "Silva",
    "mail": "maria@example.com",
    "phone": "+5511999990000",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    number: int
    title: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class Tour:
    def __init__(self, stack: Stack, out: TextIO, *, hotel: str = "duke_beach") -> None:
        self._stack = stack
        self._out = out
        codes = stack.mapping.room_codes()
        self.room, self.plan, self.other_room = TOUR_ROOMS.get(
            hotel,
            (
                codes[0],
                stack.mapping.properties[0].room_types[0].rate_plans[0].plan_code,
                codes[-1],
            ),
        )
        self.start = stack.today() + timedelta(days=LEAD_DAYS)
        self.currency = stack.mapping.properties[0].currency
        self.results: list[StepResult] = []
        self._booking_id = ""  # the OTA booking the steps follow ("" once its story is over)
        self._revision = ""  # its latest revision
        self._stay = (self.start, self.start + timedelta(days=STAY_NIGHTS))
        self._old_stay = self._stay
        self._price = TOUR_PRICE
        self._min_stay = 1
        self._live: list[bool] = []  # per mapped property, once step 0 went live
        self._read_back = (0, 0)  # step 0: (cells compared, cells differing) with Channex
        self.whole = WholeBookingSteps(stack, (self.room, self.other_room), self.plan, self.start)

    def say(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    # ------------------------------------------------------------------ the steps

    async def run(self) -> list[StepResult]:
        """Go live, then the eight steps; returns every step's result (go live is step 0)."""
        steps: list[tuple[str, Callable[[], Awaitable[None]], Callable[[StepLog], list[Check]]]] = [
            ("Going live: full ARI sync (POST /sync/full)", self._full_sync, self._expect_full),
            (self._title_new(), self._book_ota, self._expect_new),
            (self._title_move(), self._move_ota, self._expect_moved),
            ("The OTA booking is cancelled", self._cancel_ota, self._expect_cancelled),
            (self._title_price(), self._change_price, self._expect_price),
            (self._title_min_stay(), self._change_min_stay, self._expect_min_stay),
            (self._title_direct(), self._book_direct, self._expect_direct),
            (self.whole.title_new(), self.whole.book, self.whole.expect_new),
            (self.whole.title_removed(), self.whole.remove_first_room, self.whole.expect_removed),
        ]
        for number, (title, act, expect) in enumerate(steps):
            self.results.append(await self._step(number, len(steps) - 1, title, act, expect))
        return self.results

    async def _step(
        self,
        number: int,
        last: int,
        title: str,
        act: Callable[[], Awaitable[None]],
        expect: Callable[[StepLog], list[Check]],
    ) -> StepResult:
        self.say(f"\n[{number}/{last}] {title}")
        marks = tour_log.mark(self._stack)
        try:
            await act()
            await self._stack.settle(SETTLE_TIMEOUT_S)
        except (TimeoutError, ValueError, KeyError) as exc:
            checks: list[Check] = [("the step completes", str(exc))]
        else:
            checks = []
        log = tour_log.since(self._stack, marks)
        if number == 0:
            self._summarise(log)
        else:
            for line in tour_log.lines(log, self._stack.mapping, self.currency):
                self.say(line)
            for line in self.whole.sent_lines(log) if number > 6 else ():
                self.say(line)
        self._show_booking()
        checks = checks or expect(log)
        for what, seen in checks:
            self.say(
                f"  {'ok  ' if seen is None else 'FAIL'}  {what}" + (f": {seen}" if seen else "")
            )
        problems = tuple(f"{what}: {seen}" for what, seen in checks if seen is not None)
        return StepResult(number=number, title=title, problems=problems)

    def _summarise(self, log: StepLog) -> None:
        for kind in ("availability", "restrictions"):
            for body in log.ari_bodies(kind):
                cells = encode.expand_values(kind, body["values"], currency=self.currency)
                self.say(
                    f"  middleware → Channex  POST /{kind}  {len(body['values'])} values"
                    f" carrying {len(cells)} cells  → 200"
                )

    def _show_booking(self) -> None:
        booking = self._pms_booking()
        if booking is not None:
            self.say(
                f"  sistema-os booking #{booking.id}: {booking.categoria} apartment"
                f" {booking.apartamento}, {booking.checkin}..{booking.checkout}, {booking.status}"
                f" ({' '.join(filter(None, (booking.channel, booking.ota_code)))})"
            )

    # ------------------------------------------------------------------ actions

    async def _full_sync(self) -> None:
        """Go live: nothing reached Channex's ARI before this, everything is pushed after."""
        status, _ = await self._stack.admin("POST", "/sync/full")
        if status != 202:
            raise ValueError(f"POST /sync/full answered {status}")
        went = await self._stack.context.runtime.store.live.live_properties()
        self._live = [prop.property_id in went for prop in self._stack.mapping]
        for prop in self._stack.mapping:
            if (record := went.get(prop.property_id)) is not None:
                self.say(f"  {prop.name} is live ({record.by}): from now on changes are pushed")
        # Read Channex back once it holds the horizon: the first read-back of a property that
        # just went live is due at once, and would otherwise land inside a later step.
        await self._stack.settle(SETTLE_TIMEOUT_S)
        worker = self._stack.context.worker  # the sandbox runs in one process
        if worker is None:
            raise ValueError("the tour needs the worker in process")
        passes = await worker.runtime.parity.run_once(force=True)
        self._read_back = sum(p.cells for p in passes), sum(len(p.drift) for p in passes)
        cells, drift = self._read_back
        self.say(f"  Channex read back: {cells} cells compared with sistema-os, {drift} differ")

    async def _book_ota(self) -> None:
        s = self._stack
        self._booking_id, self._revision = s.channex.create_booking(
            property_id=s.property_id,
            ota_name="Booking.com",
            customer=GUEST,
            rooms=[
                {
                    "room_type_id": s.room_type_id(self.room),
                    "rate_plan_id": s.rate_plan_id(self.room, self.plan),
                    "checkin_date": self._stay[0].isoformat(),
                    "checkout_date": self._stay[1].isoformat(),
                    "adults": 2,
                }
            ],
        )

    async def _move_ota(self) -> None:
        self._old_stay = self._stay
        self._stay = (self._stay[0] + timedelta(MOVE_DAYS), self._stay[1] + timedelta(MOVE_DAYS))
        self._revision = self._stack.channex.modify_booking(
            self._booking_id,
            checkin_date=self._stay[0].isoformat(),
            checkout_date=self._stay[1].isoformat(),
        )

    async def _cancel_ota(self) -> None:
        self._revision = self._stack.channex.cancel_booking(self._booking_id)

    def _price_days(self) -> tuple[date, date]:
        return self.start + timedelta(days=14), self.start + timedelta(days=16)

    def _min_stay_days(self) -> tuple[date, date]:
        return self.start + timedelta(days=17), self.start + timedelta(days=19)

    def _direct_stay(self) -> tuple[date, date]:
        return self.start + timedelta(days=21), self.start + timedelta(days=23)

    async def _change_price(self) -> None:
        self._booking_id = ""  # the OTA booking's story is over
        first, last = self._price_days()
        self._price = self._new_price(first, last)
        self._stack.pms.set_rate(self.room, self.plan, first, last, self._price)

    def _new_price(self, first: date, last: date) -> Decimal:
        state = self._stack.pms.state
        held = {state.plan_day(self.room, self.plan, d).rate for d in days(first, last)}
        price = TOUR_PRICE
        while price in held:
            price += 2
        return price

    async def _change_min_stay(self) -> None:
        first, last = self._min_stay_days()
        state = self._stack.pms.state
        held = [
            state.plan_day(self.room, self.plan, d).restrictions.min_stay_arrival
            for d in days(first, last)
        ]
        self._min_stay = max(held) + 1
        self._stack.pms.set_restrictions(
            self.room, self.plan, first, last, min_stay_arrival=self._min_stay
        )

    async def _book_direct(self) -> None:
        self._stack.pms.book_direct(self.other_room, *self._direct_stay())

    # ------------------------------------------------------------------ expectations

    def _pms_booking(self) -> Booking | None:
        if not self._booking_id:
            return None
        found = [b for b in self._stack.pms.bookings() if b.channex_booking_id == self._booking_id]
        return found[0] if len(found) == 1 else None

    def _availability(self, room: str, dates: list[date]) -> Cells:
        """What the availability of `room` on `dates` is in sistema-os now, as Channex cells."""
        rt = self._stack.room_type_id(room)
        pms = self._stack.pms
        return {CellKey(rt, d): {"availability": pms.availability(room, d)} for d in dates}

    def _one_call(self, log: StepLog, kind: Kind, want: Cells, what: str) -> list[Check]:
        return checks.one_call(log, kind, want, what, self.currency)

    def _ota_checks(self, log: StepLog, status: str) -> list[Check]:
        return [
            *checks.revision_handled(log, self._revision),
            checks.booking_is(self._pms_booking(), self.room, self._stay, status),
        ]

    def _expect_full(self, log: StepLog) -> list[Check]:
        went = None if self._live and all(self._live) else "not recorded as live"
        cells, drift = self._read_back
        held = None if cells and not drift else f"{cells} cells compared, {drift} differ"
        return [
            ("the hotel is live", went),
            *checks.full_sync(log),
            ("Channex holds what sistema-os has", held),
        ]

    def _expect_new(self, log: StepLog) -> list[Check]:
        want = self._availability(self.room, nights(*self._stay))
        created = checks.answered(log.pms_calls("POST", "/booking"), 201)
        return [
            *self._ota_checks(log, "CONFIRMADA"),
            ("one sistema-os POST /booking", created),
            *self._one_call(log, "availability", want, "availability of the stay = sistema-os"),
        ]

    def _expect_moved(self, log: StepLog) -> list[Check]:
        booking = self._pms_booking()
        patched = checks.answered(log.pms_calls("PATCH", f"/booking/{booking and booking.id}"), 200)
        want = self._availability(
            self.room, sorted(set(nights(*self._old_stay)) | set(nights(*self._stay)))
        )
        return [
            *self._ota_checks(log, "CONFIRMADA"),
            ("one sistema-os PATCH of the booking", patched),
            *self._one_call(log, "availability", want, "old and new nights = sistema-os"),
        ]

    def _expect_cancelled(self, log: StepLog) -> list[Check]:
        booking = self._pms_booking()
        path = f"/booking/{booking and booking.id}/cancel"
        want = self._availability(self.room, nights(*self._stay))
        return [
            *self._ota_checks(log, "CANCELADA"),
            (
                "one sistema-os cancel of the booking",
                checks.answered(log.pms_calls("POST", path), 200),
            ),
            *self._one_call(log, "availability", want, "the freed nights = sistema-os"),
        ]

    def _expect_price(self, log: StepLog) -> list[Check]:
        rp = self._stack.rate_plan_id(self.room, self.plan)
        want: Cells = {CellKey(rp, d): {"rate": self._price} for d in days(*self._price_days())}
        return self._one_call(log, "restrictions", want, f"rate {self._price} on those dates only")

    def _expect_min_stay(self, log: StepLog) -> list[Check]:
        rp = self._stack.rate_plan_id(self.room, self.plan)
        dates = days(*self._min_stay_days())
        want: Cells = {CellKey(rp, d): {"min_stay_arrival": self._min_stay} for d in dates}
        what = f"min_stay_arrival {self._min_stay} only (no rate) on those dates"
        return self._one_call(log, "restrictions", want, what)

    def _expect_direct(self, log: StepLog) -> list[Check]:
        want = self._availability(self.other_room, nights(*self._direct_stay()))
        return self._one_call(log, "availability", want, "availability of the stay = sistema-os")

    # ------------------------------------------------------------------ titles

    def _title_new(self) -> str:
        first, last = self._stay
        return f"An OTA booking arrives: Booking.com, {self.room}, {first} → {last}"

    def _title_move(self) -> str:
        first, last = (d + timedelta(MOVE_DAYS) for d in self._stay)
        return f"The OTA booking is modified: dates moved to {first} → {last}"

    def _title_price(self) -> str:
        first, last = self._price_days()
        return f"A price change in sistema-os: {self.room}/{self.plan} {first}..{last}"

    def _title_min_stay(self) -> str:
        first, last = self._min_stay_days()
        return f"A minimum stay change in sistema-os: {self.room}/{self.plan} {first}..{last}"

    def _title_direct(self) -> str:
        first, last = self._direct_stay()
        return f"A direct booking in sistema-os: {self.other_room}, {first} → {last}"
