"""`PostgresStore`: the PostgreSQL store concerns over one database, named like the modules
of `store/` (`store.outbox`, `store.lanes`, ...), so the store port is one object to hand
down. Each concern's methods have the names, parameters and results of its SQLite module's
public functions, minus the leading database."""

from __future__ import annotations

from middleware.store.postgres.ari_state import PostgresAriState
from middleware.store.postgres.audit import PostgresAudit
from middleware.store.postgres.booking_map import PostgresBookingMap
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.fetched_facts import PostgresFetchedFacts
from middleware.store.postgres.inbox import PostgresInbox
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.live import PostgresLive
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.postgres.parity_drift import PostgresParityDrift
from middleware.store.postgres.pms_rooms import PostgresPmsRooms
from middleware.store.postgres.prune import PostgresPrune
from middleware.store.postgres.revisions import PostgresRevisions
from middleware.store.postgres.sync_requests import PostgresSyncRequests
from middleware.store.postgres.timeline import PostgresTimeline
from middleware.store.postgres.wakeups import PostgresWakeups


class PostgresStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.lanes = PostgresLanes(db)
        self.ari_state = PostgresAriState(db)
        self.outbox = PostgresOutbox(db, self.lanes)
        self.revisions = PostgresRevisions(db)
        self.notices = PostgresNotices(db)
        self.inbox = PostgresInbox(db)
        self.booking_map = PostgresBookingMap(db)
        self.sync_requests = PostgresSyncRequests(db)
        self.audit = PostgresAudit(db)
        self.live = PostgresLive(db)
        self.wakeups = PostgresWakeups(db)
        self.parity_drift = PostgresParityDrift(db)
        self.fetched_facts = PostgresFetchedFacts(db)
        self.pms_rooms = PostgresPmsRooms(db)
        self.timeline = PostgresTimeline(db)
        self.prune = PostgresPrune(db)

    @classmethod
    async def open(cls, url: str, *, caller_clock: bool = False) -> PostgresStore:
        """Open the pool and migrate (`PostgresDatabase.open`); `DATABASE_URL` in production."""
        return cls(await PostgresDatabase.open(url, caller_clock=caller_clock))

    async def close(self) -> None:
        await self.db.close()
