"""The fail-fast health checks behind `GET /health` and `python -m middleware check`.

One entry per check with a detail a person can act on. A check that passes with a `warning`
(a property not live yet, an unsigned webhook) keeps `/health` at 200 and says so. Remote
checks (Channex, the mapping against Channex, sistema-os) are cached for `REMOTE_CACHE_S`, and
concurrent requests share one probe, so a monitor polling every few seconds does not spend
Channex's rate limit or load the PMS. A Channex probe costs a bounded number of calls whatever
the number of properties: the unpaginated `options` lists answer "does it exist" for every
property, room type and rate plan in three calls, and the property settings are read for at
most `SETTINGS_READS_PER_PROBE` properties per probe, in turn (each property's last reading is
kept). `/health` is open: details name counts, ages and ids,
never a secret or a credential.

A check that could not look (the integration is off, or what it needs failed first) passes
with `verified=False` and a detail starting "not checked:", saying why; it never claims what
it did not see. `read_only` (the `check` command) changes nothing: the database is only read,
and a missing one is reported, not created.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from middleware.channex import property_settings
from middleware.errors import MiddlewareError, RejectedUpstreamError, UpstreamError
from middleware.ops.runtime import Runtime
from middleware.pms.port import PmsPort
from middleware.store import keys
from middleware.store.open import location
from middleware.worker.runner import HEARTBEAT_NAME, HEARTBEAT_STOPPED

REMOTE_CACHE_S = 30.0
SETTINGS_READS_PER_PROBE = 2
PMS_PING_CONCURRENCY = 8
OUTBOX_MAX_AGE_S = 600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # passes, but a person should know (not live yet, unsigned webhook)
    verified: bool = True  # False: not looked at (ok only because nothing was found wrong)


DISABLED = "not checked: integration disabled (CHANNEX_ENABLED=false)"
SEE_CHANNEX = "not checked: see the channex check"
SEE_DATABASE = "not checked: see the database check"


def shown_workers(found: list[tuple[str, float, bool]], stale_s: float) -> list[tuple[str, float]]:
    """The workers the check speaks of, (name, age) each, from (name, age, stopped cleanly)
    of every heartbeat: the running ones; the fresh of those that stopped cleanly too while
    no running one is fresh (a restart does not fail /health); the newest stopped one when
    nothing else is left to show."""
    running = [(name, age) for name, age, stopped in found if not stopped]
    if any(age <= stale_s for _, age in running):
        return running
    young = [(name, age) for name, age, stopped in found if stopped and age <= stale_s]
    shown = sorted([*running, *young])
    if shown:
        return shown
    name, age, _ = min(found, key=lambda each: each[1])
    return [(name, age)]


def worker_detail(ages: list[tuple[str, float]], stale_s: float) -> str:
    """What the worker check says of the heartbeats found, (name, age in seconds) each: one
    worker as it always did; several as how many are fresh, each with its age, the stale
    ones apart."""
    if len(ages) == 1:
        age = ages[0][1]
        return f"last heartbeat {age:.0f} s ago" + (" (stale)" if age > stale_s else "")

    def each(found: list[tuple[str, float]]) -> str:
        return ", ".join(f"{_identity(name)} {age:.0f} s ago" for name, age in found)

    fresh = [(name, age) for name, age in ages if age <= stale_s]
    stale = [(name, age) for name, age in ages if age > stale_s]
    detail = f"{len(fresh)} of {len(ages)} workers fresh"
    detail += f": {each(fresh)}" if fresh else ""
    return detail + (f"; stale: {each(stale)}" if stale else "")


def _identity(name: str) -> str:
    """A worker's heartbeat name without its kind (`worker:host:pid:token` → `host:pid:token`)."""
    kind, _, identity = name.partition(":")
    return identity or kind


def _skipped(name: str, why: str) -> Check:
    return Check(name=name, ok=True, detail=why, verified=False)


class Checker:
    """Runs the checks; remembers remote results for a short while."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        read_only: bool = False,
    ):
        self._rt = runtime
        self._monotonic = monotonic
        self._read_only = read_only
        self._cache: dict[str, tuple[float, Check]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._property_problems: dict[str, list[str]] = {}  # per property, its last reading
        self._settings_turn = 0  # which property's settings the next probe reads first
        self._mapping_seen = runtime.mapping  # the remote results cached were found with this one

    async def run(self) -> list[Check]:
        now = self._rt.clock()
        if self._rt.mapping is not self._mapping_seen:  # reloaded: compare the new one at once
            self._mapping_seen = self._rt.mapping
            self._cache.clear()
        channex = await self._cached("channex", self._channex)
        # One cause, one failing entry: without a working key the mapping cannot be compared.
        mapping = (
            await self._cached("mapping", self._mapping)
            if channex.ok
            else _skipped("mapping", SEE_CHANNEX)
        )
        property_check = (
            self._property_settings() if channex.ok else _skipped("channex_settings", SEE_CHANNEX)
        )
        database = await (self._database_read() if self._read_only else self._database(now))
        if self._read_only and not database.ok:  # nothing to read them from
            stored = [_skipped(name, SEE_DATABASE) for name in ("worker", "outbox", "bookings")]
            live_check = _skipped("live", SEE_DATABASE)
        else:
            stored = [
                await self.worker_check(now),
                await self._outbox(now),
                await self._bookings(now),
            ]
            live_check = await self._live()
        return [
            Check(name="settings", ok=True, detail=self._settings_detail()),
            database,
            channex,
            mapping,
            property_check,
            await self._pms_rooms(await self._cached("pms", self._pms), database.ok),
            *stored,
            self._webhook(),
            live_check,
        ]

    def _settings_detail(self) -> str:
        s = self._rt.settings
        state = "enabled" if s.channex_enabled else "DISABLED (CHANNEX_ENABLED=false)"
        return (
            f"valid; Channex integration {state}; {len(self._rt.mapping.properties)} property(ies)"
        )

    async def _cached(self, name: str, probe: Callable[[], Awaitable[Check]]) -> Check:
        async with self._locks.setdefault(name, asyncio.Lock()):
            hit = self._cache.get(name)
            if hit is not None and self._monotonic() - hit[0] < REMOTE_CACHE_S:
                return hit[1]
            result = await probe()
            self._cache[name] = (self._monotonic(), result)
            return result

    async def _database(self, now: datetime) -> Check:
        try:
            await self._rt.store.audit.set_value(keys.HEALTH_PROBE_KEY, now.isoformat(), now)
        except Exception as exc:  # any failure to write is the finding itself
            return Check(name="database", ok=False, detail=f"not writable: {exc}")
        return Check(name="database", ok=True, detail="writable")

    async def _database_read(self) -> Check:
        """Read-only: the store exists and is a middleware database this program can use;
        writing is not tried. SQLite: the file at DATABASE_PATH; PostgreSQL: the database
        of DATABASE_URL (reachable, or the store could not have been opened)."""
        settings = self._rt.settings
        path = location(settings)
        if settings.database_url is None and not settings.database_path.is_file():
            detail = f"database not found at {path} (DATABASE_PATH)"
            return Check(name="database", ok=False, detail=detail)
        try:
            version = await self._rt.store.schema_version()
        except Exception as exc:  # not a database, unreadable: the finding itself
            return Check(name="database", ok=False, detail=f"cannot read {path}: {exc}")
        latest = self._rt.store.latest_schema_version
        if version == 0:
            detail = f"{path} is not a middleware database (no schema)"
            return Check(name="database", ok=False, detail=detail)
        if version > latest:
            detail = f"{path} has schema version {version}, newer than this program's"
            return Check(name="database", ok=False, detail=detail + f" ({latest})")
        upgrade = f" (upgraded to {latest} at start)" if version < latest else ""
        detail = f"readable at {path}, schema version {version}{upgrade}; writing not checked"
        return Check(name="database", ok=True, detail=detail)

    async def _channex(self) -> Check:
        if not self._rt.settings.channex_enabled:
            return _skipped("channex", DISABLED)
        try:
            known = {p["id"] for p in await self._rt.channex.properties_options()}
            missing = [p.property_id for p in self._rt.mapping if p.property_id not in known]
            if missing:
                detail = "property not found in Channex: " + ", ".join(missing[:5])
                return Check(name="channex", ok=False, detail=detail)
            await self._read_settings()
        except RejectedUpstreamError as exc:
            if exc.status in (401, 403):
                return Check(name="channex", ok=False, detail="the API key was rejected")
            return Check(name="channex", ok=False, detail=str(exc))
        except UpstreamError as exc:
            return Check(name="channex", ok=False, detail=f"unreachable: {exc}")
        found = "property found" if len(known) == 1 else "properties found"
        return Check(name="channex", ok=True, detail=f"reachable, API key valid, {found}")

    async def _read_settings(self) -> None:
        """The settings of the next `SETTINGS_READS_PER_PROBE` properties, in turn."""
        props = self._rt.mapping.properties
        count = min(SETTINGS_READS_PER_PROBE, len(props))
        for step in range(count):
            prop = props[(self._settings_turn + step) % len(props)]
            resource = await self._rt.channex.get_property(prop.property_id)
            current = property_settings.settings_of(resource)
            wrong = property_settings.problems(current, self._rt.settings.channex_sync_days)
            self._property_problems[prop.property_id] = [
                f"{prop.property_id}: {problem}" for problem in wrong
            ]
        self._settings_turn = (self._settings_turn + count) % max(1, len(props))

    async def _mapping(self) -> Check:
        if not self._rt.settings.channex_enabled:
            return _skipped("mapping", DISABLED)
        missing: list[str] = []
        try:
            room_types = {r["id"] for r in await self._rt.channex.room_types_options()}
            plans = {p["id"] for p in await self._rt.channex.rate_plans_options()}
        except MiddlewareError as exc:
            return Check(name="mapping", ok=False, detail=f"could not compare: {exc}")
        for prop in self._rt.mapping:
            for room in prop.room_types:
                if room.room_type_id not in room_types:
                    missing.append(f"room type of {room.room_code} ({room.room_type_id})")
                missing.extend(
                    f"rate plan {room.room_code}/{plan.plan_code} ({plan.rate_plan_id})"
                    for plan in room.rate_plans
                    if plan.rate_plan_id not in plans
                )
        if missing:
            return Check(name="mapping", ok=False, detail="not in Channex: " + "; ".join(missing))
        count = sum(len(p.room_types) for p in self._rt.mapping)
        return Check(name="mapping", ok=True, detail=f"{count} room types and their plans exist")

    def _property_settings(self) -> Check:
        """The property settings parity relies on (`channex.property_settings`), as read by
        the channex probe (no call of its own)."""
        name = "channex_settings"
        if not self._rt.settings.channex_enabled:
            return _skipped(name, DISABLED)
        problems = [
            problem
            for prop in self._rt.mapping
            for problem in self._property_problems.get(prop.property_id, ())
        ]
        if problems:
            fix = "; run scripts/setup_channex_duke.py to fix"
            return Check(name=name, ok=False, detail="; ".join(problems) + fix)
        return Check(
            name=name, ok=True, detail="state_length, min_stay_type, auto-update as needed"
        )

    async def _pms(self) -> Check:
        """Every PMS a property uses (its own, or the global one), pinged concurrently."""
        targets: dict[str, tuple[str, PmsPort]] = {}
        directory = self._rt.pms_directory
        for prop in self._rt.mapping:
            own = directory.base_url(prop.property_id)
            if own is not None:
                targets[f"{prop.name}: {_host(own)}"] = (
                    own,
                    directory.for_property(prop.property_id),
                )
        if not targets or any(not directory.has_own(p.property_id) for p in self._rt.mapping):
            targets[_host(self._rt.settings.pms_base_url)] = ("", self._rt.pms)
        slots = asyncio.Semaphore(PMS_PING_CONCURRENCY)

        async def ping(label: str, adapter: PmsPort) -> str | None:
            async with slots:
                try:
                    await adapter.ping()
                except MiddlewareError as exc:
                    return (
                        f"{label} unreachable: {exc}" if len(targets) > 1 else f"unreachable: {exc}"
                    )
            return None

        failures = [
            f
            for f in await asyncio.gather(*(ping(label, a) for label, (_, a) in targets.items()))
            if f is not None
        ]
        if failures:
            return Check(name="pms", ok=False, detail="; ".join(failures))
        if len(targets) == 1:
            return Check(name="pms", ok=True, detail=f"reachable ({next(iter(targets))})")
        return Check(name="pms", ok=True, detail=f"{len(targets)} PMS reachable")

    async def _pms_rooms(self, reachable: Check, database_ok: bool) -> Check:
        """A reachable PMS fails when a property's last ARI answer lacked a categoria that
        property maps now (recorded by the ARI sync; nothing is pushed for it)."""
        if not reachable.ok or (self._read_only and not database_ok):
            return reachable
        mapping = self._rt.mapping
        lacks = []
        for found in await self._rt.store.pms_rooms.found():
            prop = mapping.property(found.property_id)
            missing = [c for c in found.categorias if prop is not None and prop.room(c)]
            if prop is not None and missing:
                lacks.append((prop.name or prop.property_id, found.at, missing))
        if not lacks:
            return reachable
        if len(mapping.properties) == 1:
            [(_, at, missing)] = lacks
            detail = (
                f"{reachable.detail}, but its ARI answer at {at.isoformat()} lacked the mapped"
                f" categoria(s) {', '.join(missing)}: nothing is pushed for them"
            )
        else:
            each = "; ".join(
                f"{name} at {at.isoformat()}: {', '.join(missing)}" for name, at, missing in lacks
            )
            detail = (
                f"{reachable.detail}, but ARI answers lacked mapped categoria(s) ({each}):"
                " nothing is pushed for them"
            )
        return Check(name="pms", ok=False, detail=detail)

    async def worker_check(self, now: datetime) -> Check:
        """The workers' heartbeats (also what the web process's problem watch alerts on): ok
        while at least one is fresh (`worker_detail`)."""
        beats = await self._rt.store.audit.heartbeats(HEARTBEAT_NAME)
        if not beats:
            return Check(name="worker", ok=False, detail="no heartbeat yet: is the worker running?")
        stale_s = self._rt.settings.heartbeat_stale_s
        ages = shown_workers(
            [(b.name, (now - b.at).total_seconds(), b.detail == HEARTBEAT_STOPPED) for b in beats],
            stale_s,
        )
        fresh = sum(1 for _, age in ages if age <= stale_s)
        return Check(name="worker", ok=fresh > 0, detail=worker_detail(ages, stale_s))

    async def _outbox(self, now: datetime) -> Check:
        lanes = await self._rt.store.outbox.backlog(now)
        pending = sum(b.pending + b.in_flight for b in lanes)
        dead = sum(b.dead for b in lanes)
        oldest = min((b.oldest_enqueued_at for b in lanes if b.oldest_enqueued_at), default=None)
        age = 0.0 if oldest is None else (now - oldest).total_seconds()
        detail = f"{pending} pending, {dead} dead-lettered, oldest {age:.0f} s"
        return Check(name="outbox", ok=dead == 0 and age <= OUTBOX_MAX_AGE_S, detail=detail)

    async def _bookings(self, now: datetime) -> Check:
        oldest = await self._rt.store.revisions.oldest_unacked()
        counts = await self._rt.store.revisions.counts()
        parked = counts.get("parked", 0)
        age = 0.0 if oldest is None else (now - oldest).total_seconds()
        limit = self._rt.settings.unacked_warn_s
        detail = f"oldest unacked revision {age:.0f} s (limit {limit} s), {parked} need attention"
        return Check(name="bookings", ok=age <= limit and parked == 0, detail=detail)

    def _webhook(self) -> Check:
        s = self._rt.settings
        if not s.channex_enabled:
            return Check(name="webhook", ok=True, detail="integration disabled")
        if s.channex_webhook_secret is None:
            detail = (
                "UNSIGNED: CHANNEX_WEBHOOK_SECRET is empty, /webhook/channex takes anyone's POST"
            )
            if s.channex_webhook_allow_unsigned:
                detail += " (allowed by CHANNEX_WEBHOOK_ALLOW_UNSIGNED=true)"
            return Check(name="webhook", ok=True, detail=detail, warning=True)
        header = s.channex_webhook_secret_header
        return Check(name="webhook", ok=True, detail=f"secret header {header} required")

    async def _live(self) -> Check:
        """Per property: live (since when, by whom) or not live yet. Not live is a warning,
        not a failure: before go-live nothing is meant to reach Channex."""
        live_now = await self._rt.store.live.live_properties()
        parts: list[str] = []
        for prop in self._rt.mapping:
            went = live_now.get(prop.property_id)
            parts.append(
                f"{prop.name} ({prop.property_id}): "
                + (
                    f"live since {went.since.isoformat()} ({went.by})"
                    if went is not None
                    else "not live yet, nothing is sent to Channex until the first full sync"
                    " (POST /sync/full or python -m middleware sync full)"
                )
            )
        waiting = any(prop.property_id not in live_now for prop in self._rt.mapping)
        return Check(name="live", ok=True, detail="; ".join(parts), warning=waiting)


def _host(url: str) -> str:
    """A PMS address without credentials, path or query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
