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
from middleware.worker.booking_sync import BookingProcessor
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


def _metered(audit_sink: CallSink) -> CallSink:
    """The clients' one call sink: count the call in the metrics, then audit it."""

    async def on_call(record: CallRecord) -> None:
        metrics.observe_call(record)
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
) -> AsyncIterator[Runtime]:
    """Open the database and one HTTP session, wire the components, close on exit."""
    mapping = mapping if mapping is not None else load_mapping(settings.mapping_file)
    db = await Database.open(settings.database_path)
    session = aiohttp.ClientSession()
    try:
        await import_legacy_once(db, settings, clock())
        sink = _metered(audit.sink(db, clock))
        channex = ChannexClient(
            session,
            settings.channex_base_url,
            _secret(settings.channex_api_key) or "",
            timeout_s=settings.channex_timeout_s,
            on_call=sink,
        )
        directory = build_directory(session, settings, mapping, on_call=sink)
        alerter = Alerter(
            session, settings.alert_webhook_url, clock=clock, secrets=settings.secret_values()
        )

        async def resync(touched: Sequence[Touched]) -> None:
            now = clock()
            for item in touched:
                ref = mapping.by_room_code(item.room_code)
                await sync_requests.request(
                    db,
                    source="booking",
                    now=now,
                    property_id=None if ref is None else ref.property.property_id,
                    room_codes=[item.room_code],
                    date_from=item.date_from,
                    date_to=item.date_to - timedelta(days=1)
                    if item.date_to > item.date_from
                    else item.date_to,
                )

        runtime = Runtime(
            settings=settings,
            db=db,
            session=session,
            mapping=mapping,
            channex=channex,
            pms=directory.default,
            pms_directory=directory,
            ari_sync=AriSync(db, directory, mapping, settings, clock=clock),
            pump=OutboxPump(db, channex, mapping, settings, clock=clock, alert=alerter.send),
            bookings=BookingProcessor(
                channex,
                directory,
                db,
                mapping,
                resync=resync,
                clock=clock,
                alert=alerter.send,
                lease_s=settings.worker_lease_s,
                pool=KeyedPool(settings.worker_concurrency, name="bookings"),
            ),
            feed=FeedPoller(channex, db, mapping, clock=clock),
            parity=ParityCheck(
                db, channex, directory, mapping, settings, clock=clock, alert=alerter.send
            ),
            alerter=alerter,
            clock=clock,
        )
        yield runtime
    finally:
        await session.close()
        await db.close()
