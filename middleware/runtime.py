"""The composition root: build every long-lived component from `Settings`, close them after.

Both entry points (`middleware.web`, `middleware.worker`) and the sandbox open one `Runtime`
and pass its parts down; nothing else constructs clients or opens the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import orjson
import structlog

from middleware import clock as clocks
from middleware import metrics
from middleware.alerts import Alerter
from middleware.calllog import CallRecord, CallSink
from middleware.channex.client import ChannexClient
from middleware.config import Settings
from middleware.domain.bookings import Touched
from middleware.mapping import Mapping, load_mapping
from middleware.pms.directory import PmsDirectory, build_directory
from middleware.pms.port import PmsPort
from middleware.store import audit, bookings, sync_requests
from middleware.store.db import Database
from middleware.worker.ari_sync import AriSync
from middleware.worker.booking_sync import BookingProcessor, Resync
from middleware.worker.feed_poll import FeedPoller
from middleware.worker.keyed_pool import KeyedPool
from middleware.worker.outbox_pump import OutboxPump
from middleware.worker.parity import ParityCheck

log = structlog.get_logger(__name__)

LEGACY_IMPORTED_KEY = "legacy_bookings_imported"


@dataclass(slots=True, kw_only=True)
class Runtime:
    settings: Settings
    db: Database
    session: aiohttp.ClientSession
    mapping: Mapping
    channex: ChannexClient
    pms: PmsPort  # the global PMS (PMS_BASE_URL)
    pms_directory: PmsDirectory  # which PMS serves which property
    ari_sync: AriSync
    pump: OutboxPump
    bookings: BookingProcessor
    feed: FeedPoller
    parity: ParityCheck
    alerter: Alerter
    clock: clocks.Clock
    wiring: _Wiring  # what `use_mapping` builds the mapped components from

    def use_mapping(self, mapping: Mapping) -> None:
        """Switch to a new (validated) mapping: the components that hold it, the PMS
        directory included, are built again; a pass already running finishes with the mapping
        it started with. A `ConfigError` (a PMS token variable missing) changes nothing."""
        parts = _mapped_parts(self.wiring, mapping)
        self.mapping = mapping
        self.pms, self.pms_directory = parts.directory.default, parts.directory
        self.ari_sync, self.pump, self.bookings = parts.ari_sync, parts.pump, parts.bookings
        self.feed, self.parity = parts.feed, parts.parity


@dataclass(frozen=True, slots=True)
class _Wiring:
    """The long-lived pieces the mapped components are built from."""

    settings: Settings
    db: Database
    session: aiohttp.ClientSession
    channex: ChannexClient
    call_sink: CallSink
    alerter: Alerter
    clock: clocks.Clock
    pools: _Pools


@dataclass(frozen=True, slots=True)
class _Pools:
    """The bounded pools the work runs in: they outlive a mapping reload (the components
    built again keep their in-flight work and the worker's hooks)."""

    ari: KeyedPool
    pump: KeyedPool
    bookings: KeyedPool

    @classmethod
    def of(cls, settings: Settings) -> _Pools:
        size = settings.worker_concurrency
        return cls(
            ari=KeyedPool(size, name="ari"),
            pump=KeyedPool(size, name="pump"),
            bookings=KeyedPool(size, name="bookings"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _MappedParts:
    """The components that hold the mapping."""

    directory: PmsDirectory
    ari_sync: AriSync
    pump: OutboxPump
    bookings: BookingProcessor
    feed: FeedPoller
    parity: ParityCheck


def _booking_resync(db: Database, clock: clocks.Clock, *, due_in_s: float) -> Resync:
    """What a booking asks for after the PMS changed: an ARI resync of the touched nights of
    its property (waiting `due_in_s` for the PMS's own change notice to share its read). The
    rooms are the booking's property's own: codes are unique per property only."""

    async def resync(property_id: str, touched: Sequence[Touched]) -> None:
        now = clock()
        for item in touched:
            await sync_requests.request(
                db,
                source="booking",
                now=now,
                due_in_s=due_in_s,
                property_id=property_id,
                room_codes=[item.room_code],
                date_from=item.date_from,
                date_to=item.date_to - timedelta(days=1)
                if item.date_to > item.date_from
                else item.date_to,
            )

    return resync


def _mapped_parts(w: _Wiring, mapping: Mapping) -> _MappedParts:
    """The components that hold the mapping (built again by `Runtime.use_mapping`)."""
    settings, db, channex, clock, alert = w.settings, w.db, w.channex, w.clock, w.alerter.send
    directory = build_directory(w.session, settings, mapping, on_call=w.call_sink)
    resync = _booking_resync(db, clock, due_in_s=settings.pms_read_coalesce_s)
    return _MappedParts(
        directory=directory,
        ari_sync=AriSync(db, directory, mapping, settings, clock=clock, pool=w.pools.ari),
        pump=OutboxPump(
            db, channex, mapping, settings, clock=clock, alert=alert, pool=w.pools.pump
        ),
        bookings=BookingProcessor(
            channex,
            directory,
            db,
            mapping,
            resync=resync,
            clock=clock,
            alert=alert,
            lease_s=settings.worker_lease_s,
            pool=w.pools.bookings,
        ),
        feed=FeedPoller(channex, db, mapping, clock=clock),
        parity=ParityCheck(db, channex, directory, mapping, settings, clock=clock, alert=alert),
    )


def _metered(audit_sink: CallSink | None) -> CallSink:
    """The clients' one call sink: count the call in the metrics, then audit it (if auditing)."""

    async def on_call(record: CallRecord) -> None:
        metrics.observe_call(record)
        if audit_sink is not None:
            await audit_sink(record)

    return on_call


def _secret(value: object) -> str | None:
    return None if value is None else str(value)


async def import_legacy_once(db: Database, settings: Settings, now: datetime) -> None:
    """Import the legacy booking store (`settings.legacy_bookings_path`) if it exists and was
    not imported yet. Its bookings are already in the PMS: later revisions modify or cancel
    them there, never create them again. A file that cannot be read is tried again at the next
    start; once read, a kv marker keeps it from being imported again."""
    path = settings.legacy_bookings_path
    if not path.is_file() or await audit.get_value(db, LEGACY_IMPORTED_KEY) is not None:
        return
    report = await bookings.import_legacy(db, path, now)
    fields = {
        "path": str(path),
        "imported": report.imported,
        "skipped": report.skipped,
        "problems": list(report.problems),
    }
    if report.problems and report.imported == report.skipped == 0:
        log.error("legacy_bookings_import_failed", **fields)
        return
    await audit.set_value(db, LEGACY_IMPORTED_KEY, orjson.dumps(fields).decode(), now)
    (log.warning if report.problems else log.info)("legacy_bookings_imported", **fields)


@contextlib.asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: clocks.Clock = clocks.utc_now,
    mapping: Mapping | None = None,
    read_only: bool = False,
) -> AsyncIterator[Runtime]:
    """Open the database and one HTTP session, wire the components, close on exit.

    `read_only` (the `check` command, which must change nothing): the database is opened for
    reading only — or, when there is no file, an empty in-memory stand-in is used that the
    caller must not read — the legacy store is not imported and calls are not audited."""
    mapping = mapping if mapping is not None else load_mapping(settings.mapping_file)
    path = settings.database_path
    if not read_only:
        db = await Database.open(path)
    elif path.is_file():
        db = await Database.open_read_only(path)
    else:
        db = await Database.open(":memory:")
    session = aiohttp.ClientSession()
    try:
        if not read_only:
            await import_legacy_once(db, settings, clock())
        sink = _metered(None if read_only else audit.sink(db, clock))
        channex = ChannexClient(
            session,
            settings.channex_base_url,
            _secret(settings.channex_api_key) or "",
            timeout_s=settings.channex_timeout_s,
            on_call=sink,
        )
        alerter = Alerter(
            session, settings.alert_webhook_url, clock=clock, secrets=settings.secret_values()
        )

        wiring = _Wiring(settings, db, session, channex, sink, alerter, clock, _Pools.of(settings))
        parts = _mapped_parts(wiring, mapping)
        runtime = Runtime(
            settings=settings,
            db=db,
            session=session,
            mapping=mapping,
            channex=channex,
            pms=parts.directory.default,
            pms_directory=parts.directory,
            ari_sync=parts.ari_sync,
            pump=parts.pump,
            bookings=parts.bookings,
            feed=parts.feed,
            parity=parts.parity,
            wiring=wiring,
            alerter=alerter,
            clock=clock,
        )
        yield runtime
    finally:
        await session.close()
        await db.close()
