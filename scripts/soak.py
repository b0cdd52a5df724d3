"""Soak: a compressed month of one hotel's traffic with pruning on; do size and RSS level off?

    python scripts/soak.py [--days 30] [--prune-after-days 7] [--json]

One middleware child process (one-process mode: web + worker, `scripts.soak_middleware`)
against the Channex and sistema-os emulators (Duke Beach, 33 rooms), all on 127.0.0.1. Time is
a clock shared by both processes (`soak_clock`) that runs at real speed and jumps: each
simulated day is `--slots-per-day` slots; at each slot the clock jumps to the slot's start, the
slot's share of the day's traffic is sent, and the run waits until the middleware is idle
(notices read, outbox pushed, revisions acked) before the next jump. A day's traffic:
`--ota-per-day` OTA bookings, `--modify-per-day` modifications and `--cancel-per-day`
cancellations (Channex booking webhooks), `--changes-per-day` rate or restriction changes in
sistema-os and `--direct-per-day` walk-in bookings (each a change notice to `/webhook/pms`).
On the first day one OTA booking arrives for a room type the mapping lacks: it is parked and
must stay so, its webhook event and open notice kept, however old. Pruning runs every
`--prune-interval-s` (wall seconds) with PRUNE_AFTER_DAYS = `--prune-after-days`; parity, the
feed poll and the PMS poll are off.

After the go-live full sync (day 0) and after every simulated day it samples: the database
file and its WAL, the data it holds (pages in use: deleted rows leave free pages that later
rows reuse, so the file alone says little), the rows of the pruned tables (http_calls, pushes,
webhook_events, notices, sync_requests) and of revisions and outbox, rows the pruning rules
would remove that are older than the cutoff by more than a slot ("overdue": should stay 0),
the child's resident memory (VmRSS), bookings acked and ARI pushes sent so far.

Verdict. A series levels off when its growth over the last third of the days is at most
`LEVEL_FRACTION` (25 %) of its growth over the first third (or below a small absolute slack:
64 KiB of database, 2 MiB of RSS, so that a flat series with noise passes). Pruning holds when no
sample has overdue rows and, after a last prune pass at the end, no prunable row is older than
the cutoff. Nothing lost: every live OTA booking has exactly one live sistema-os booking with
its last dates and a cancelled one none (a change of dates is applied as cancel and re-create),
no revision made two sistema-os bookings, every revision was acked exactly once — except that
a booking the hotel cannot take (an overbooking: no free apartment in sistema-os) may instead be
parked, never acked, with an open notice — and the unmapped one is still parked, with its
webhook event and open notice. Exit 1 when any of these fails.

Bounded: `--max-wall-s` ends the run early (reported as incomplete). Linux only (`/proc`).
The machine may be shared: figures are what this box did then.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the `middleware` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from middleware import clock as clocks
from middleware import logs
from middleware.sandbox import stack
from middleware.sandbox.pms_state import CANCELLED
from middleware.store import prune
from middleware.store.sqlite.store import SqliteStore
from middleware.store.stamps import to_db_time
from scripts import bench_process as procs
from scripts.soak_clock import SteppedClock

START = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # midnight at the hotel (America/Sao_Paulo)
OTA_CODES = ("lvu", "lvl", "ov")  # the larger categorias: the OTA side
PMS_CODES = ("lvu", "dlvu", "dlvl", "lvl", "ov", "ovp")
PLAN = "padrao"
LEVEL_FRACTION = 0.25
SLACK_DB_KIB = 64
SLACK_RSS_MIB = 2.0
PRUNED = tuple(prune.RULES)
COUNTED = (*PRUNED, "revisions", "outbox")
SETTLE_TIMEOUT_S = 120.0
SETTLE_POLL_S = 0.05
OVERDUE_SLACK = timedelta(minutes=5)
FINAL_SLACK = timedelta(minutes=1)
UNLIMITED = 1_000_000  # the emulated Channex: the middleware's own limiter holds the limits


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    day: int
    db_kib: int
    wal_kib: int
    data_kib: int  # pages in use (not on the freelist)
    rss_mib: float
    rows: dict[str, int]
    removed: dict[str, int]  # ids issued minus rows left, per pruned table
    overdue: int
    bookings_acked: int
    pushes_sent: int

    @property
    def size_kib(self) -> int:
        return self.db_kib + self.wal_kib


@dataclass(slots=True, kw_only=True)
class OtaBooking:
    code: str
    checkin: date
    checkout: date
    cancelled: bool = False
    revisions: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Ledger:
    ota: dict[str, OtaBooking] = field(default_factory=dict)
    parked_revision: str | None = None
    changes: int = 0
    direct: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    days: int
    days_run: int
    complete: bool
    prune_after_days: int
    wall_s: float
    samples: list[Sample]
    file_levels_off: bool
    data_levels_off: bool
    rss_levels_off: bool
    pruning_holds: bool
    final_overdue: int
    ota_bookings: int
    revisions: int
    in_pms_right: int
    parked_bookings: int
    duplicates: int
    acked_once: int
    parked_revisions: int
    parked_kept: bool
    changes: int
    direct: int
    refused_429: int

    @property
    def nothing_lost(self) -> bool:
        n = self.ota_bookings
        return (
            self.in_pms_right + self.parked_bookings == n
            and self.duplicates == 0
            and self.acked_once + self.parked_revisions == self.revisions
            and self.parked_kept
        )

    @property
    def ok(self) -> bool:
        return (
            self.complete
            and self.file_levels_off
            and self.data_levels_off
            and self.rss_levels_off
            and self.pruning_holds
            and self.nothing_lost
        )


def levels_off(values: list[float], slack: float) -> bool:
    """Growth over the last third of the days <= LEVEL_FRACTION x growth over the first
    third, or <= `slack`. `values[0]` is day 0 (before the traffic)."""
    days = len(values) - 1
    third = max(1, days // 3)
    first = values[third] - values[0]
    last = values[-1] - values[-1 - third]
    return last <= max(LEVEL_FRACTION * first, slack)


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def _kib(path: Path) -> int:
    return path.stat().st_size // 1024 if path.exists() else 0


async def _overdue(store: SqliteStore, cutoff: datetime) -> int:
    """Rows the pruning rules allow to remove that are older than `cutoff`."""
    found = 0
    for table, condition in prune.RULES.items():
        row = await store.db.fetchone(
            f"SELECT count(*) FROM {table} WHERE {condition}",  # noqa: S608 - constants
            (to_db_time(cutoff),),
        )
        found += int(row[0]) if row else 0
    return found


async def _sample(
    day: int, store: SqliteStore, path: Path, env: stack.Emulators, pid: int, cutoff: datetime
) -> Sample:
    rows: dict[str, int] = {}
    removed: dict[str, int] = {}
    for table in COUNTED:
        row = await store.db.fetchone(f"SELECT count(*) FROM {table}")  # noqa: S608 - constants
        rows[table] = int(row[0]) if row else 0
        if table in PRUNED:
            top = await store.db.fetchone(f"SELECT coalesce(max(rowid), 0) FROM {table}")  # noqa: S608
            removed[table] = (int(top[0]) if top else 0) - rows[table]
    pages = await store.db.fetchone(
        "SELECT p.page_count - f.freelist_count, s.page_size"
        " FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s"
    )
    calls = env.channex.requests
    return Sample(
        day=day,
        db_kib=_kib(path),
        wal_kib=_kib(path.with_name(path.name + "-wal")),
        data_kib=int(pages[0]) * int(pages[1]) // 1024 if pages else 0,
        rss_mib=_rss_mib(pid),
        rows=rows,
        removed=removed,
        overdue=await _overdue(store, cutoff),
        bookings_acked=sum(
            1 for r in calls if r.method == "POST" and r.path.endswith("/ack") and r.status == 200
        ),
        pushes_sent=sum(
            1
            for r in calls
            if r.method == "POST"
            and r.path in ("/api/v1/availability", "/api/v1/restrictions")
            and r.status == 200
        ),
    )


async def _settle(store: SqliteStore, env: stack.Emulators, clock: SteppedClock) -> None:
    """Until notices and webhooks are delivered and the middleware has nothing left to do."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    idle_in_a_row = 0
    while idle_in_a_row < 2:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the middleware did not settle within {SETTLE_TIMEOUT_S} s")
        await env.pms.drain_notifications()
        await env.channex.deliver_pending()
        lanes = await store.outbox.backlog(clock())
        counts = await store.revisions.counts()
        busy = (
            await store.sync_requests.pending_count()
            or sum(b.pending + b.in_flight for b in lanes)
            or counts.get("pending", 0)
            or counts.get("applied", 0)
        )
        idle_in_a_row = 0 if busy else idle_in_a_row + 1
        await asyncio.sleep(SETTLE_POLL_S)


class Traffic:
    """One hotel's day, event by event, recorded in a `Ledger`."""

    def __init__(self, env: stack.Emulators, clock: SteppedClock, seed: int) -> None:
        self.env = env
        self.clock = clock
        self.rng = random.Random(seed)
        self.ledger = Ledger()
        self.prop = env.mapping.properties[0]

    def today(self) -> date:
        return clocks.hotel_today(self.prop.timezone, self.clock())

    def _room(self, code: str, checkin: date, checkout: date) -> dict[str, Any]:
        ref = self.env.mapping.by_room_code(self.prop.property_id, code)
        if ref is None:
            raise KeyError(code)
        plan = next(p for p in ref.room.rate_plans if p.plan_code == PLAN)
        return {
            "room_type_id": ref.room.room_type_id,
            "rate_plan_id": plan.rate_plan_id,
            "checkin_date": checkin.isoformat(),
            "checkout_date": checkout.isoformat(),
            "adults": 2,
            "children": 0,
        }

    def _stay(self) -> tuple[date, date]:
        checkin = self.today() + timedelta(days=self.rng.randrange(3, 120))
        return checkin, checkin + timedelta(days=self.rng.randrange(1, 4))

    def ota(self) -> None:
        code = self.rng.choice(OTA_CODES)
        checkin, checkout = self._stay()
        booking_id, revision_id = self.env.channex.create_booking(
            property_id=self.prop.property_id, rooms=[self._room(code, checkin, checkout)]
        )
        self.ledger.ota[booking_id] = OtaBooking(
            code=code, checkin=checkin, checkout=checkout, revisions=[revision_id]
        )

    def _open_booking(self) -> tuple[str, OtaBooking] | None:
        soon = self.today() + timedelta(days=2)
        open_ones = [(k, b) for k, b in self.ledger.ota.items() if not b.cancelled]
        open_ones = [(k, b) for k, b in open_ones if b.checkin > soon]
        return self.rng.choice(open_ones) if open_ones else None

    def modify(self) -> None:
        picked = self._open_booking()
        if picked is None:
            return
        booking_id, booking = picked
        checkin, checkout = self._stay()
        revision_id = self.env.channex.modify_booking(
            booking_id, rooms=[self._room(booking.code, checkin, checkout)]
        )
        booking.checkin, booking.checkout = checkin, checkout
        booking.revisions.append(revision_id)

    def cancel(self) -> None:
        picked = self._open_booking()
        if picked is None:
            return
        booking_id, booking = picked
        booking.revisions.append(self.env.channex.cancel_booking(booking_id))
        booking.cancelled = True

    def change(self) -> None:
        code = self.rng.choice(PMS_CODES)
        first = self.today() + timedelta(days=self.rng.randrange(0, 180))
        last = first + timedelta(days=self.rng.randrange(0, 14))
        if self.rng.random() < 0.8:
            rate = Decimal(self.rng.randrange(300, 900))
            self.env.pms.set_rate(code, PLAN, first, last, rate)
        else:
            stay = self.rng.randrange(1, 4)
            self.env.pms.set_restrictions(code, PLAN, first, last, min_stay_arrival=stay)
        self.ledger.changes += 1

    def direct(self) -> None:
        code = self.rng.choice(PMS_CODES)
        checkin, checkout = self._stay()
        nights = range((checkout - checkin).days)
        if all(self.env.pms.availability(code, checkin + timedelta(days=n)) > 0 for n in nights):
            self.env.pms.book_direct(code, checkin, checkout)
            self.ledger.direct += 1

    def unmapped(self) -> None:
        """An OTA booking for a room type the mapping lacks: it is parked."""
        checkin, checkout = self._stay()
        room = {
            "room_type_id": None,
            "rate_plan_id": None,
            "checkin_date": checkin.isoformat(),
            "checkout_date": checkout.isoformat(),
        }
        _, revision_id = self.env.channex.create_booking(
            property_id=self.prop.property_id, rooms=[room]
        )
        self.ledger.parked_revision = revision_id

    def day_plan(self, args: argparse.Namespace) -> list[list[str]]:
        """The day's events, spread over the slots at random (bookings before their edits)."""
        slots: list[list[str]] = [[] for _ in range(args.slots_per_day)]
        counts = {
            "ota": args.ota_per_day,
            "modify": args.modify_per_day,
            "cancel": args.cancel_per_day,
            "change": args.changes_per_day,
            "direct": args.direct_per_day,
        }
        for kind, count in counts.items():
            for _ in range(count):
                slots[self.rng.randrange(args.slots_per_day)].append(kind)
        for events in slots:
            self.rng.shuffle(events)
        return slots

    def send(self, kind: str) -> None:
        getattr(self, kind)()


@dataclass(frozen=True, slots=True, kw_only=True)
class Accounting:
    revisions: int
    in_pms_right: int
    parked_bookings: int  # not right in sistema-os: a revision of theirs waits for a person
    duplicates: int
    acked_once: int
    parked_revisions: int  # parked with an open notice, never acked
    parked_kept: bool  # the deliberate unmapped one


async def _parked_with_notice(store: SqliteStore, revision_id: str, acks: Counter[str]) -> bool:
    """Parked, its webhook event and an open notice kept, and never acked."""
    row = await store.revisions.get(revision_id)
    events = await store.db.fetchone(
        "SELECT count(*) FROM webhook_events WHERE revision_id = ?", (revision_id,)
    )
    notices = await store.db.fetchone(
        "SELECT count(*) FROM notices WHERE ref = ? AND resolved_at IS NULL", (revision_id,)
    )
    return (
        row is not None
        and row.status == "parked"
        and bool(events and events[0])
        and bool(notices and notices[0])
        and acks[revision_id] == 0
    )


async def _accounting(store: SqliteStore, env: stack.Emulators, ledger: Ledger) -> Accounting:
    """Where every OTA booking and revision ended.

    Right: a live booking has exactly one live sistema-os booking, with its last dates; a
    cancelled one has none (a change of dates is applied as cancel and re-create, and a
    booking cancelled before it was applied never reaches sistema-os). A booking not right
    is accounted for only if one of its revisions is parked for a person (an overbooking:
    sistema-os had no free apartment). Duplicates: sistema-os bookings beyond the first made
    for one revision."""
    ota = [b for b in env.pms.bookings() if b.channex_booking_id]
    live_ones: dict[str, list[tuple[date, date]]] = {}
    for b in ota:
        if b.status != CANCELLED and b.channex_booking_id is not None:
            live_ones.setdefault(b.channex_booking_id, []).append((b.checkin, b.checkout))
    per_revision = Counter(b.channex_revision_id for b in ota)
    acks = Counter(
        r.path.split("/")[-2]
        for r in env.channex.requests
        if r.method == "POST" and r.path.endswith("/ack") and r.status == 200
    )
    right = parked_bookings = acked = parked_revisions = total = 0
    for booking_id, booking in ledger.ota.items():
        expected = [] if booking.cancelled else [(booking.checkin, booking.checkout)]
        parked = [rid for rid in booking.revisions if await _parked_with_notice(store, rid, acks)]
        if live_ones.get(booking_id, []) == expected:
            right += 1
        elif parked:
            parked_bookings += 1
        total += len(booking.revisions)
        acked += sum(1 for rid in booking.revisions if acks[rid] == 1)
        parked_revisions += len(parked)
    rid = ledger.parked_revision
    return Accounting(
        revisions=total,
        in_pms_right=right,
        parked_bookings=parked_bookings,
        duplicates=sum(n - 1 for n in per_revision.values()),
        acked_once=acked,
        parked_revisions=parked_revisions,
        parked_kept=rid is not None and await _parked_with_notice(store, rid, acks),
    )


def _child_env(env: stack.Emulators, workdir: Path, args: argparse.Namespace) -> dict[str, str]:
    return {
        **env.middleware_env(workdir),
        "WORKER_IN_PROCESS": "true",
        "WORKER_INTERVAL": "0.2",
        "ARI_DEBOUNCE": "0.2",
        "ARI_MAX_DELAY": "0.6",
        "PMS_READ_COALESCE": "0.1",
        "PMS_POLL_INTERVAL": "0",
        "FEED_POLL_INTERVAL": "0",
        "PARITY_INTERVAL": "0",
        "PARITY_FULL_HOUR": "",
        "PRUNE_AFTER_DAYS": str(args.prune_after_days),
        "PRUNE_INTERVAL": str(args.prune_interval_s),
        "LOG_LEVEL": "WARNING",
    }


async def run(args: argparse.Namespace) -> Report:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        workdir = Path(tmp)
        clock = SteppedClock(workdir / "clock", START)
        async with stack.open_emulators(workdir, clock=clock, channex_rate_limit=UNLIMITED) as env:
            port = procs.free_port()
            argv = ["-m", "scripts.soak_middleware", "--clock-file", str(clock.path)]
            async with procs.running(
                "middleware", [*argv, "--port", str(port)], _child_env(env, workdir, args), workdir
            ) as child:
                url = f"http://127.0.0.1:{port}"
                await procs.wait_answering(env.session, child, url + "/health")
                await env.register_webhook(url + "/webhook/channex")
                env.pms.middleware_url = url
                store = await SqliteStore.open(workdir / "middleware.db")
                try:
                    return await _soak(args, env, clock, store, workdir, child.pid, began)
                finally:
                    env.pms.middleware_url = None
                    await store.close()


async def _soak(
    args: argparse.Namespace,
    env: stack.Emulators,
    clock: SteppedClock,
    store: SqliteStore,
    workdir: Path,
    pid: int,
    began: float,
) -> Report:
    path = workdir / "middleware.db"
    keep = timedelta(days=args.prune_after_days)
    slot = timedelta(days=1) / args.slots_per_day
    ids = [prop.property_id for prop in env.mapping]
    await store.live.go_live(ids, clock(), by="soak", source="sync_full")
    await _settle(store, env, clock)
    samples = [await _sample(0, store, path, env, pid, clock() - keep - slot - OVERDUE_SLACK)]
    traffic = Traffic(env, clock, args.seed)
    complete = True
    for day in range(args.days):
        if time.monotonic() - began > args.max_wall_s:
            complete = False
            break
        for index, events in enumerate(traffic.day_plan(args)):
            clock.set(START + timedelta(days=day) + index * slot)
            if day == 0 and index == 0:
                traffic.unmapped()
            for kind in events:
                traffic.send(kind)
            await _settle(store, env, clock)
        cutoff = clock() - keep - slot - OVERDUE_SLACK
        samples.append(await _sample(day + 1, store, path, env, pid, cutoff))
        if not args.json:
            print(_line(samples[-1]), flush=True)
    # one last prune pass at the final time, then nothing prunable may be older than the cutoff
    await asyncio.sleep(args.prune_interval_s + 1.0)
    final_overdue = await _overdue(store, clock() - keep - FINAL_SLACK)
    account = await _accounting(store, env, traffic.ledger)
    return Report(
        days=args.days,
        days_run=len(samples) - 1,
        complete=complete,
        prune_after_days=args.prune_after_days,
        wall_s=time.monotonic() - began,
        samples=samples,
        file_levels_off=levels_off([s.size_kib for s in samples], SLACK_DB_KIB),
        data_levels_off=levels_off([s.data_kib for s in samples], SLACK_DB_KIB),
        rss_levels_off=levels_off([s.rss_mib for s in samples], SLACK_RSS_MIB),
        pruning_holds=final_overdue == 0 and all(s.overdue == 0 for s in samples),
        final_overdue=final_overdue,
        ota_bookings=len(traffic.ledger.ota),
        revisions=account.revisions,
        in_pms_right=account.in_pms_right,
        parked_bookings=account.parked_bookings,
        duplicates=account.duplicates,
        acked_once=account.acked_once,
        parked_revisions=account.parked_revisions,
        parked_kept=account.parked_kept,
        changes=traffic.ledger.changes,
        direct=traffic.ledger.direct,
        refused_429=sum(1 for r in env.channex.requests if r.status == 429),
    )


HEAD = (
    "| day | store KiB | WAL KiB | data KiB | RSS MiB | http_calls | pushes | webhook_events |"
    " notices | sync_requests | revisions | outbox | pruned so far | overdue | acked |"
    " pushes sent |"
)


def _line(s: Sample) -> str:
    r = s.rows
    return (
        f"| {s.day} | {s.db_kib} | {s.wal_kib} | {s.data_kib} | {s.rss_mib:.1f} |"
        f" {r['http_calls']} | {r['pushes']} | {r['webhook_events']} | {r['notices']} |"
        f" {r['sync_requests']} |"
        f" {r['revisions']} | {r['outbox']} | {sum(s.removed.values())} | {s.overdue} |"
        f" {s.bookings_acked} | {s.pushes_sent} |"
    )


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def render(report: Report) -> str:
    lines = [HEAD, "|" + "---|" * 16, *(_line(s) for s in report.samples)]
    lines += [
        "",
        f"days {report.days_run}/{report.days}, PRUNE_AFTER_DAYS {report.prune_after_days},"
        f" wall {report.wall_s:.0f} s; traffic: {report.ota_bookings} OTA bookings"
        f" ({report.revisions} revisions), {report.changes} PMS changes,"
        f" {report.direct} direct bookings; 429s {report.refused_429}",
        f"levels off: database file + WAL {_yes(report.file_levels_off)},"
        f" data in use {_yes(report.data_levels_off)},"
        f" RSS {_yes(report.rss_levels_off)}"
        f" (last third's growth <= {LEVEL_FRACTION:.0%} of the first third's,"
        f" or <= {SLACK_DB_KIB} KiB / {SLACK_RSS_MIB:g} MiB)",
        f"pruning holds: {_yes(report.pruning_holds)} (overdue at the end {report.final_overdue})",
        f"nothing lost: {_yes(report.nothing_lost)} — right in sistema-os"
        f" {report.in_pms_right}/{report.ota_bookings} (one live booking with the last dates,"
        f" none if cancelled), parked for a person {report.parked_bookings}, duplicates"
        f" {report.duplicates}; revisions acked once {report.acked_once}/{report.revisions},"
        f" parked {report.parked_revisions}; the unmapped one still parked with its webhook"
        f" event and open notice: {_yes(report.parked_kept)}",
    ]
    third = max(1, (len(report.samples) - 1) // 3)
    tail = report.samples[-1 - third :]
    lines.append(
        f"last third, per day: data {(tail[-1].data_kib - tail[0].data_kib) / third:+.0f} KiB,"
        f" file + WAL {(tail[-1].size_kib - tail[0].size_kib) / third:+.0f} KiB,"
        f" RSS {(tail[-1].rss_mib - tail[0].rss_mib) / third:+.2f} MiB"
        " (never pruned: revisions, revision_facts and the booking map, which grow by booking)"
    )
    if not report.complete:
        lines.append("INCOMPLETE: --max-wall-s reached")
    return "\n".join(lines)


def as_json(report: Report) -> dict[str, Any]:
    out = asdict(report)
    out["nothing_lost"] = report.nothing_lost
    out["ok"] = report.ok
    for sample, raw in zip(report.samples, out["samples"], strict=True):
        raw["size_kib"] = sample.size_kib
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--days", type=int, default=30, help="simulated days (30)")
    parser.add_argument("--slots-per-day", type=int, default=4, help="clock jumps a day (4)")
    parser.add_argument("--ota-per-day", type=int, default=12)
    parser.add_argument("--modify-per-day", type=int, default=3)
    parser.add_argument("--cancel-per-day", type=int, default=2)
    parser.add_argument("--changes-per-day", type=int, default=20)
    parser.add_argument("--direct-per-day", type=int, default=3)
    parser.add_argument("--prune-after-days", type=int, default=7)
    parser.add_argument("--prune-interval-s", type=int, default=1, help="wall seconds (1)")
    parser.add_argument("--max-wall-s", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.days < 1 or args.slots_per_day < 1 or args.prune_after_days < 1:
        parser.error("--days, --slots-per-day and --prune-after-days must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure_logging("ERROR", stream=sys.stderr)
    report = asyncio.run(run(args))
    print(orjson.dumps(as_json(report)).decode() if args.json else render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
