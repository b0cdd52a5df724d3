"""`PostgresStore`: the PostgreSQL store concerns over one database, the store port
(`store.port.Store`) for PostgreSQL. Each concern is one `Postgres<Concern>` object, typed
here as its concern's protocol (`store.<concern>.<Protocol>`), so mypy checks that it
implements the port; the concrete objects (with the operations that take the caller's psycopg
connection) are on `PostgresStore.concerns`."""

from __future__ import annotations

from dataclasses import dataclass

from middleware.store.ari_state import AriState
from middleware.store.audit import Audit
from middleware.store.booking_map import BookingMap
from middleware.store.fetched_facts import FetchedFacts
from middleware.store.inbox import Inbox
from middleware.store.lanes import Lanes
from middleware.store.live import Live
from middleware.store.notices import Notices
from middleware.store.outbox import Outbox
from middleware.store.parity_drift import ParityDrift
from middleware.store.pms_rooms import PmsRooms
from middleware.store.port import Store
from middleware.store.postgres.ari_state import PostgresAriState
from middleware.store.postgres.audit import PostgresAudit
from middleware.store.postgres.booking_map import PostgresBookingMap
from middleware.store.postgres.database import PostgresDatabase, migrations
from middleware.store.postgres.fetched_facts import PostgresFetchedFacts
from middleware.store.postgres.inbox import PostgresInbox
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.live import PostgresLive
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.postgres.parity_drift import PostgresParityDrift
from middleware.store.postgres.pms_rooms import PostgresPmsRooms
from middleware.store.postgres.prune import PostgresPrune
from middleware.store.postgres.retention import PostgresRetention
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.postgres.signals import PostgresSignals
from middleware.store.postgres.sync_requests import PostgresSyncRequests
from middleware.store.postgres.timeline import PostgresTimeline
from middleware.store.postgres.wakeups import PostgresWakeups
from middleware.store.prune import Prune
from middleware.store.retention import Retention
from middleware.store.revisions import Revisions
from middleware.store.signals import Signals
from middleware.store.sync_requests import SyncRequests
from middleware.store.timeline import Timeline
from middleware.store.wakeups import Wakeups


@dataclass(frozen=True, slots=True)
class PostgresConcerns:
    """The concrete concern objects of one `PostgresStore`."""

    lanes: PostgresLanes
    ari_state: PostgresAriState
    outbox: PostgresOutbox
    revisions: PostgresRevisions
    notices: PostgresNotices
    inbox: PostgresInbox
    booking_map: PostgresBookingMap
    sync_requests: PostgresSyncRequests
    audit: PostgresAudit
    live: PostgresLive
    wakeups: PostgresWakeups
    parity_drift: PostgresParityDrift
    fetched_facts: PostgresFetchedFacts
    pms_rooms: PostgresPmsRooms
    timeline: PostgresTimeline
    prune: PostgresPrune
    retention: PostgresRetention
    signals: PostgresSignals

    @classmethod
    def over(cls, db: PostgresDatabase) -> PostgresConcerns:
        lanes = PostgresLanes(db)
        return cls(
            lanes=lanes,
            ari_state=PostgresAriState(db),
            outbox=PostgresOutbox(db, lanes),
            revisions=PostgresRevisions(db),
            notices=PostgresNotices(db),
            inbox=PostgresInbox(db),
            booking_map=PostgresBookingMap(db),
            sync_requests=PostgresSyncRequests(db),
            audit=PostgresAudit(db),
            live=PostgresLive(db),
            wakeups=PostgresWakeups(db),
            parity_drift=PostgresParityDrift(db),
            fetched_facts=PostgresFetchedFacts(db),
            pms_rooms=PostgresPmsRooms(db),
            timeline=PostgresTimeline(db),
            prune=PostgresPrune(db),
            retention=PostgresRetention(db),
            signals=PostgresSignals(db),
        )


class PostgresStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.concerns = PostgresConcerns.over(db)

    @classmethod
    async def open(cls, url: str, *, caller_clock: bool = False) -> PostgresStore:
        """Open the pool and migrate (`PostgresDatabase.open`); `DATABASE_URL` in production."""
        return cls(await PostgresDatabase.open(url, caller_clock=caller_clock))

    @classmethod
    async def open_read_only(cls, url: str) -> PostgresStore:
        """Read-only sessions, no migration (`python -m middleware check`)."""
        return cls(await PostgresDatabase.open(url, read_only=True))

    @property
    def ari_state(self) -> AriState:
        return self.concerns.ari_state

    @property
    def audit(self) -> Audit:
        return self.concerns.audit

    @property
    def booking_map(self) -> BookingMap:
        return self.concerns.booking_map

    @property
    def fetched_facts(self) -> FetchedFacts:
        return self.concerns.fetched_facts

    @property
    def inbox(self) -> Inbox:
        return self.concerns.inbox

    @property
    def lanes(self) -> Lanes:
        return self.concerns.lanes

    @property
    def live(self) -> Live:
        return self.concerns.live

    @property
    def notices(self) -> Notices:
        return self.concerns.notices

    @property
    def outbox(self) -> Outbox:
        return self.concerns.outbox

    @property
    def parity_drift(self) -> ParityDrift:
        return self.concerns.parity_drift

    @property
    def pms_rooms(self) -> PmsRooms:
        return self.concerns.pms_rooms

    @property
    def prune(self) -> Prune:
        return self.concerns.prune

    @property
    def retention(self) -> Retention:
        return self.concerns.retention

    @property
    def revisions(self) -> Revisions:
        return self.concerns.revisions

    @property
    def signals(self) -> Signals:
        return self.concerns.signals

    @property
    def sync_requests(self) -> SyncRequests:
        return self.concerns.sync_requests

    @property
    def timeline(self) -> Timeline:
        return self.concerns.timeline

    @property
    def wakeups(self) -> Wakeups:
        return self.concerns.wakeups

    @property
    def latest_schema_version(self) -> int:
        return migrations()[-1].version

    async def schema_version(self) -> int:
        """0 for a database no middleware has migrated yet (no `schema_migrations`)."""
        found = await self.db.fetchone("SELECT to_regclass('schema_migrations') IS NOT NULL AS t")
        if found is None or not found["t"]:
            return 0
        row = await self.db.fetchone("SELECT coalesce(max(version), 0) AS v FROM schema_migrations")
        return 0 if row is None else int(row["v"])

    async def close(self) -> None:
        await self.db.close()


def _implements_the_port(store: PostgresStore) -> Store:
    return store  # mypy checks PostgresStore against the port here
