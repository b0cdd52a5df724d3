"""The composition root: build what every process needs from `Settings`, close it after.

One assembly per role: the web process (`middleware.web`: intake, admin, health probes, the
manual test routes) opens a `Runtime` — database, one HTTP session, the Channex client, the
PMS directory, the alerter, the clock — and builds no booking processor, outbox pump, ARI sync,
feed poller or parity check; the worker (`middleware.worker`) and one-process mode open a
`worker.assembly.WorkerRuntime`, this plus the worker's parts. Nothing else constructs clients
or opens the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import orjson
import structlog

from middleware import clock as clocks
from middleware import metrics
from middleware.alerts import Alerter
from middleware.calllog import CallRecord, CallSink
from middleware.channex.client import ChannexClient
from middleware.config import Settings
from middleware.domain.mapping import Mapping
from middleware.mapping_file import load_mapping
from middleware.pms.directory import PmsDirectory, build_directory
from middleware.pms.port import PmsPort
from middleware.store import keys
from middleware.store.open import open_store, open_store_read_only
from middleware.store.port import Store

log = structlog.get_logger(__name__)


@dataclass(slots=True, kw_only=True)
class Runtime:
    """What every process needs: the web (intake, admin, health probes, the manual test
    routes) and the worker, which adds its own parts (`worker.assembly.WorkerRuntime`)."""

    settings: Settings
    store: Store
    session: aiohttp.ClientSession
    mapping: Mapping
    channex: ChannexClient
    pms: PmsPort  # the global PMS (PMS_BASE_URL)
    pms_directory: PmsDirectory  # which PMS serves which property
    alerter: Alerter
    clock: clocks.Clock
    call_sink: CallSink  # the clients' one call sink (metrics, then the audit)

    def use_mapping(self, mapping: Mapping) -> None:
        """Switch to a new (validated) mapping: the components that hold it, the PMS
        directory included, are built again; a pass already running finishes with the mapping
        it started with. A `ConfigError` (a PMS token variable missing) changes nothing."""
        directory = build_directory(self.session, self.settings, mapping, on_call=self.call_sink)
        self.mapping = mapping
        self.pms, self.pms_directory = directory.default, directory


def _metered(audit_sink: CallSink | None) -> CallSink:
    """The clients' one call sink: count the call in the metrics, then audit it (if auditing)."""

    async def on_call(record: CallRecord) -> None:
        metrics.observe_call(record)
        if audit_sink is not None:
            await audit_sink(record)

    return on_call


def _secret(value: object) -> str | None:
    return None if value is None else str(value)


async def import_legacy_once(store: Store, settings: Settings, now: datetime) -> None:
    """Import the legacy booking store (`settings.legacy_bookings_path`) if it exists and was
    not imported yet. Its bookings are already in the PMS: later revisions modify or cancel
    them there, never create them again. A file that cannot be read is tried again at the next
    start; once read, a kv marker keeps it from being imported again."""
    path = settings.legacy_bookings_path
    if not path.is_file() or await store.audit.get_value(keys.LEGACY_IMPORTED_KEY) is not None:
        return
    report = await store.booking_map.import_legacy(path, now)
    fields = {
        "path": str(path),
        "imported": report.imported,
        "skipped": report.skipped,
        "problems": list(report.problems),
    }
    if report.problems and report.imported == report.skipped == 0:
        log.error("legacy_bookings_import_failed", **fields)
        return
    await store.audit.set_value(keys.LEGACY_IMPORTED_KEY, orjson.dumps(fields).decode(), now)
    (log.warning if report.problems else log.info)("legacy_bookings_imported", **fields)


@contextlib.asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: clocks.Clock = clocks.utc_now,
    mapping: Mapping | None = None,
    read_only: bool = False,
    caller_clock: bool = False,
) -> AsyncIterator[Runtime]:
    """Open the store and one HTTP session, wire the components, close on exit.

    `read_only` (the `check` command, which must change nothing): the database is opened for
    reading only (`store.open.open_store_read_only`) — the legacy store is not imported and
    calls are not audited. `caller_clock`: a PostgreSQL store runs on `clock`, not on the
    database's (`store.open.open_store`; the in-process system harness)."""
    mapping = mapping if mapping is not None else load_mapping(settings.mapping_file)
    store = await (
        open_store_read_only(settings)
        if read_only
        else open_store(settings, caller_clock=caller_clock)
    )
    session = aiohttp.ClientSession()
    try:
        if not read_only:
            await import_legacy_once(store, settings, clock())
        sink = _metered(None if read_only else store.audit.sink(clock))
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

        directory = build_directory(session, settings, mapping, on_call=sink)
        runtime = Runtime(
            settings=settings,
            store=store,
            session=session,
            mapping=mapping,
            channex=channex,
            pms=directory.default,
            pms_directory=directory,
            alerter=alerter,
            clock=clock,
            call_sink=sink,
        )
        yield runtime
    finally:
        await session.close()
        await store.close()
