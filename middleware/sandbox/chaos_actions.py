"""Carry out a chaos run: the workload's operations and the plan's episodes, on time.

`WorkloadDriver` turns workload operations into emulator calls (an OTA booking through the
Channex emulator, a price or a direct booking in the sistema-os emulator) and the plan's edits
in the Channex UI into the emulator's UI edit. `FaultSwitch`
changes the emulators' fault plans during the run and keeps the count of injected faults
across the changes. `Timeline` runs both schedules against the clock; every kill and restart
is a real `kill -9` and a new process, every database restart a real `pg_ctl stop` and `start`
of the run's own cluster.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from middleware.domain.mapping import Mapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.chaos_channex_edits import UiEdit, edit_values
from middleware.sandbox.chaos_plan import ChaosPlan, Episode
from middleware.sandbox.chaos_workload import (
    Op,
    OtaCancel,
    OtaCreate,
    OtaModify,
    PmsBook,
    PmsCancel,
    PmsRate,
    PmsRestrict,
    Stay,
)
from middleware.sandbox.faults import FaultPlan
from middleware.sandbox.pg_cluster import Cluster
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.pms_state import NoFreeApartmentError
from middleware.sandbox.processes import MiddlewareProcess

PLAN_CODE = "padrao"
_T = TypeVar("_T")


class WorkloadDriver:
    def __init__(
        self,
        channex: ChannexEmulator,
        pms: PmsEmulator,
        mapping: Mapping,
        today: Callable[[], date] | None = None,
    ) -> None:
        self._channex = channex
        self._pms = pms
        self._mapping = mapping
        self._today = today or date.today
        self._ota_ids: dict[int, str] = {}
        self._direct_ids: dict[int, int] = {}
        self._room_counts: dict[int, int] = {}
        self.done: Counter[str] = Counter()

    def apply(self, op: Op) -> None:
        if isinstance(op, OtaCreate):
            booking_id, _ = self._channex.create_booking(
                rooms=self._rooms(op.stays), customer=_customer(op.guest), ota_name=op.ota
            )
            self._ota_ids[op.key] = booking_id
            self._room_counts[op.key] = len(op.stays)
            self.done["ota_create"] += 1
        elif isinstance(op, OtaModify):
            # The workload keeps rooms in order (changed in place, added last, removed last):
            # each room that was there before is that same room (`from`), as at the OTA.
            rooms = self._rooms(op.stays)
            kept = self._room_counts.get(op.key, 0)
            for index, room in enumerate(rooms[:kept]):
                room["from"] = index
            self._room_counts[op.key] = len(rooms)
            self._channex.modify_booking(
                self._ota_ids[op.key], rooms=rooms, customer=_customer(op.guest)
            )
            self.done["ota_modify"] += 1
        elif isinstance(op, OtaCancel):
            self._channex.cancel_booking(self._ota_ids[op.key])
            self.done["ota_cancel"] += 1
        elif isinstance(op, PmsRate):
            self._pms.set_rate(op.categoria, PLAN_CODE, op.date_from, op.date_to, op.rate)
            self.done["pms_rate"] += 1
        elif isinstance(op, PmsRestrict):
            fields = dict(op.fields)
            self._pms.set_restrictions(op.categoria, PLAN_CODE, op.date_from, op.date_to, **fields)
            self.done["pms_restriction"] += 1
        elif isinstance(op, PmsBook):
            try:
                self._direct_ids[op.key] = self._pms.book_direct(
                    op.categoria, op.checkin, op.checkout
                )
                self.done["pms_direct_booking"] += 1
            except NoFreeApartmentError:
                self.done["pms_direct_full"] += 1
        elif isinstance(op, PmsCancel) and op.key in self._direct_ids:
            self._pms.cancel_direct(self._direct_ids[op.key])
            self.done["pms_direct_cancel"] += 1

    def edit_in_channex_ui(self, edit: UiEdit) -> None:
        values = edit_values(edit, self._mapping, self._today())
        self._channex.edit_ari(edit.kind, values, deliver=edit.announced)
        self.done["ui_edit" if edit.announced else "ui_edit_unannounced"] += 1

    def _rooms(self, stays: tuple[Stay, ...]) -> list[dict[str, object]]:
        rooms: list[dict[str, object]] = []
        for stay in stays:
            hotel = self._mapping.properties[0]  # a chaos run has one hotel
            ref = self._mapping.by_room_code(hotel.property_id, stay.categoria)
            if ref is None:
                raise ValueError(f"categoria {stay.categoria!r} is not mapped")
            plan = next(p for p in ref.room.rate_plans if p.plan_code == PLAN_CODE)
            rooms.append(
                {
                    "room_type_id": ref.room.room_type_id,
                    "rate_plan_id": plan.rate_plan_id,
                    "checkin_date": stay.checkin.isoformat(),
                    "checkout_date": stay.checkout.isoformat(),
                    "adults": stay.adults,
                }
            )
        return rooms


def _customer(guest: str) -> dict[str, str]:
    name, _, surname = guest.partition(" ")
    slug = guest.lower().replace(" ", ".")
    return {"name": name, "surname": surname, "mail": f"{slug}@example.com"}


class FaultSwitch:
    """The emulators' fault plans during a run; `injected` survives plan changes."""

    def __init__(self, channex: ChannexEmulator, pms: PmsEmulator) -> None:
        self._channex = channex
        self._pms = pms
        self._earlier: Counter[str] = Counter()

    def channex_plan(self, plan: FaultPlan | None) -> None:
        self._earlier.update(self._channex.fault_counts)
        self._channex.faults = plan

    def off(self) -> None:
        self.channex_plan(None)
        self._pms.faults = None

    @property
    def injected(self) -> Counter[str]:
        return self._earlier + Counter(self._channex.fault_counts)


@dataclass(slots=True, kw_only=True)
class Timeline:
    """Runs the workload and the episodes from `start()`; `notes` says what went wrong."""

    plan: ChaosPlan
    ops: tuple[Op, ...]
    driver: WorkloadDriver
    switch: FaultSwitch
    pms: PmsEmulator
    webs: tuple[MiddlewareProcess, ...]
    workers: tuple[MiddlewareProcess, ...]
    database: Cluster | None = None  # the PostgreSQL variant's server
    episodes_run: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def _actions(self) -> list[tuple[float, int, Callable[[], Awaitable[None]]]]:
        actions: list[tuple[float, int, Callable[[], Awaitable[None]]]] = []
        for n, op in enumerate(self.ops):
            actions.append((op.at_s, 2 * n + 1, _now(self.driver.apply, op)))
        for n, episode in enumerate(self.plan.episodes):
            begin, end = self._episode(episode)
            actions.append((episode.at_s, 2 * n, begin))
            actions.append((episode.end_s, 2 * n, end))
        after = 2 * (len(self.ops) + len(self.plan.episodes))
        for n, edit in enumerate(self.plan.ui_edits):
            actions.append((edit.at_s, after + n, _now(self.driver.edit_in_channex_ui, edit)))
        actions.sort(key=lambda item: (item[0], item[1]))
        return actions

    def _episode(
        self, e: Episode
    ) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
        if e.kind in ("kill_worker", "kill_web", "kill_any"):
            pool = {
                "kill_worker": self.workers,
                "kill_web": self.webs,
                "kill_any": (*self.webs, *self.workers),
            }[e.kind]
            process = pool[e.victim % len(pool)]
            killed = False

            async def kill() -> None:
                nonlocal killed
                if process.running:
                    await process.kill()
                    killed = True
                    self.episodes_run[e.kind] += 1
                elif process.returncode != -9 and not refused_to_start(process):
                    # not down from another episode's kill -9, nor waiting for the database
                    self.notes.append(f"{process.name} had exited by itself ({process.returncode})")

            async def restart() -> None:
                if killed and not process.running:
                    await process.start()

            return kill, restart
        if e.kind == "database_down":
            return self._database_episode(e)
        if e.kind in ("channex_429_streak", "channex_5xx_streak"):

            async def streak() -> None:
                self.switch.channex_plan(self.plan.streak(e.kind))
                self.episodes_run[e.kind] += 1

            async def calm() -> None:
                self.switch.channex_plan(self.plan.channex)

            return streak, calm

        async def pms_faults() -> None:
            self.pms.faults = e.pms_faults
            self.episodes_run[e.kind] += 1

        async def pms_calm() -> None:
            self.pms.faults = None

        return pms_faults, pms_calm

    def _database_episode(
        self, e: Episode
    ) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
        cluster = self.database
        if cluster is None:
            raise ValueError("a database_down episode needs the run's PostgreSQL cluster")

        async def down() -> None:
            await asyncio.to_thread(cluster.down, mode=e.stop_mode or "fast")
            self.episodes_run[e.kind] += 1

        async def up() -> None:
            await asyncio.to_thread(cluster.up)
            # A process started while the server was down refused to start (exit 2, one
            # line): start it again, as its supervisor would.
            for process in (*self.webs, *self.workers):
                if refused_to_start(process):
                    await process.start()

        return down, up

    async def run(self) -> None:
        """Everything in time order; late actions run at once (the clock never waits twice)."""
        self.switch.channex_plan(self.plan.channex)
        started = time.monotonic()
        for at_s, _, action in self._actions():
            delay_s = at_s - (time.monotonic() - started)
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await action()


def refused_to_start(process: MiddlewareProcess) -> bool:
    """It exited by itself because its database could not be reached (`store.open`)."""
    if process.running or process.returncode != 2:
        return False
    lines = process.output().splitlines()
    return bool(lines) and "cannot connect to PostgreSQL" in lines[-1]


def _now(apply: Callable[[_T], None], item: _T) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        apply(item)

    return run
