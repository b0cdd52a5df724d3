"""The worker's assembly: the shared `Runtime` plus the parts only a worker builds.

`open_worker_runtime` is what the worker entry point and one-process mode open (the web
process alone opens `runtime.open_runtime` and builds none of this): the ARI sync, the outbox
pump, the booking processor, the feed poller and the parity check, each with the mapping, and
the bounded pools their work runs in. A mapping reload (`use_mapping`) builds the mapped parts
again; the pools outlive it, so in-flight work and the worker's hooks are kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields
from datetime import timedelta

from middleware import clock as clocks
from middleware.config import Settings
from middleware.domain.booking_plan import Touched
from middleware.domain.mapping import Mapping
from middleware.ops.runtime import Runtime, open_runtime
from middleware.store.port import Store
from middleware.worker.ari_sync import AriSync
from middleware.worker.booking_sync import BookingProcessor, Resync
from middleware.worker.feed_poll import FeedPoller
from middleware.worker.keyed_pool import KeyedPool
from middleware.worker.outbox_pump import OutboxPump
from middleware.worker.parity import ParityCheck


@dataclass(frozen=True, slots=True)
class Pools:
    """The bounded pools the work runs in: they outlive a mapping reload."""

    ari: KeyedPool
    pump: KeyedPool
    bookings: KeyedPool

    @classmethod
    def of(cls, settings: Settings) -> Pools:
        size = settings.worker_concurrency
        return cls(
            ari=KeyedPool(size, name="ari"),
            pump=KeyedPool(size, name="pump"),
            bookings=KeyedPool(size, name="bookings"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Parts:
    ari_sync: AriSync
    pump: OutboxPump
    bookings: BookingProcessor
    feed: FeedPoller
    parity: ParityCheck


@dataclass(slots=True, kw_only=True)
class WorkerRuntime(Runtime):
    ari_sync: AriSync
    pump: OutboxPump
    bookings: BookingProcessor
    feed: FeedPoller
    parity: ParityCheck
    pools: Pools

    @classmethod
    def around(cls, shared: Runtime) -> WorkerRuntime:
        """The shared runtime's parts (the same database, session and clients) and the
        worker's, built for its mapping."""
        pools = Pools.of(shared.settings)
        own = {f.name: getattr(shared, f.name) for f in fields(Runtime)}
        parts = _parts(shared, pools)
        return cls(
            **own,
            ari_sync=parts.ari_sync,
            pump=parts.pump,
            bookings=parts.bookings,
            feed=parts.feed,
            parity=parts.parity,
            pools=pools,
        )

    def use_mapping(self, mapping: Mapping) -> None:
        """The shared parts switch (a `ConfigError` there changes nothing), then the
        worker's are built again with the new mapping and PMS directory."""
        Runtime.use_mapping(self, mapping)
        parts = _parts(self, self.pools)
        self.ari_sync, self.pump, self.bookings = parts.ari_sync, parts.pump, parts.bookings
        self.feed, self.parity = parts.feed, parts.parity


def _booking_resync(store: Store, clock: clocks.Clock, *, due_in_s: float) -> Resync:
    """What a booking asks for after the PMS changed: an ARI resync of the touched nights of
    its property (waiting `due_in_s` for the PMS's own change notice to share its read). The
    rooms are the booking's property's own: codes are unique per property only."""

    async def resync(property_id: str, touched: Sequence[Touched]) -> None:
        now = clock()
        for item in touched:
            await store.sync_requests.request(
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


def _parts(rt: Runtime, pools: Pools) -> _Parts:
    """The worker's components for the runtime's mapping and PMS directory."""
    settings, store, channex, clock, alert = (
        rt.settings,
        rt.store,
        rt.channex,
        rt.clock,
        rt.alerter.send,
    )
    mapping, directory = rt.mapping, rt.pms_directory
    resync = _booking_resync(store, clock, due_in_s=settings.pms_read_coalesce_s)
    return _Parts(
        ari_sync=AriSync(store, directory, mapping, settings, clock=clock, pool=pools.ari),
        pump=OutboxPump(
            store, channex, mapping, settings, clock=clock, alert=alert, pool=pools.pump
        ),
        bookings=BookingProcessor(
            channex,
            directory,
            store,
            mapping,
            resync=resync,
            clock=clock,
            alert=alert,
            lease_s=settings.worker_lease_s,
            pool=pools.bookings,
        ),
        feed=FeedPoller(channex, store, mapping, clock=clock),
        parity=ParityCheck(store, channex, directory, mapping, settings, clock=clock, alert=alert),
    )


@contextlib.asynccontextmanager
async def open_worker_runtime(
    settings: Settings,
    *,
    clock: clocks.Clock = clocks.utc_now,
    mapping: Mapping | None = None,
    caller_clock: bool = False,
) -> AsyncIterator[WorkerRuntime]:
    """`open_runtime` and the worker's parts on top (the worker entry point, one-process mode)."""
    async with open_runtime(
        settings, clock=clock, mapping=mapping, caller_clock=caller_clock
    ) as shared:
        yield WorkerRuntime.around(shared)
