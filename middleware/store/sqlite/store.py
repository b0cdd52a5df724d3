"""`SqliteStore`: the store port over one SQLite `Database` (the embedded default)."""

from __future__ import annotations

from pathlib import Path

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
from middleware.store.prune import Prune
from middleware.store.retention import Retention
from middleware.store.revisions import Revisions
from middleware.store.signals import Signals
from middleware.store.sqlite.ari_state import SqliteAriState
from middleware.store.sqlite.audit import SqliteAudit
from middleware.store.sqlite.booking_map import SqliteBookingMap
from middleware.store.sqlite.db import SCHEMA_VERSION, Database
from middleware.store.sqlite.fetched_facts import SqliteFetchedFacts
from middleware.store.sqlite.inbox import SqliteInbox
from middleware.store.sqlite.lanes import SqliteLanes
from middleware.store.sqlite.live import SqliteLive
from middleware.store.sqlite.notices import SqliteNotices
from middleware.store.sqlite.outbox import SqliteOutbox
from middleware.store.sqlite.parity_drift import SqliteParityDrift
from middleware.store.sqlite.pms_rooms import SqlitePmsRooms
from middleware.store.sqlite.prune import SqlitePrune
from middleware.store.sqlite.retention import SqliteRetention
from middleware.store.sqlite.revisions import SqliteRevisions
from middleware.store.sqlite.signals import SqliteSignals
from middleware.store.sqlite.sync_requests import SqliteSyncRequests
from middleware.store.sqlite.timeline import SqliteTimeline
from middleware.store.sqlite.wakeups import SqliteWakeups
from middleware.store.sync_requests import SyncRequests
from middleware.store.timeline import Timeline
from middleware.store.wakeups import Wakeups


class SqliteStore:
    """Every concern over the one connection of `db` (which serialises their use)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ari_state: AriState = SqliteAriState(db)
        self.audit: Audit = SqliteAudit(db)
        self.booking_map: BookingMap = SqliteBookingMap(db)
        self.fetched_facts: FetchedFacts = SqliteFetchedFacts(db)
        self.inbox: Inbox = SqliteInbox(db)
        self.lanes: Lanes = SqliteLanes(db)
        self.live: Live = SqliteLive(db)
        self.notices: Notices = SqliteNotices(db)
        self.outbox: Outbox = SqliteOutbox(db)
        self.parity_drift: ParityDrift = SqliteParityDrift(db)
        self.pms_rooms: PmsRooms = SqlitePmsRooms(db)
        self.prune: Prune = SqlitePrune(db)
        self.retention: Retention = SqliteRetention(db)
        self.revisions: Revisions = SqliteRevisions(db)
        self.signals: Signals = SqliteSignals(db)
        self.sync_requests: SyncRequests = SqliteSyncRequests(db)
        self.timeline: Timeline = SqliteTimeline(db)
        self.wakeups: Wakeups = SqliteWakeups(db)

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        """Open (creating and migrating as needed) the database at `path`."""
        return cls(await Database.open(path))

    @classmethod
    async def open_read_only(cls, path: Path | str) -> SqliteStore:
        """Open an existing database for reading only (`Database.open_read_only`)."""
        return cls(await Database.open_read_only(path))

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def latest_schema_version(self) -> int:
        return SCHEMA_VERSION

    async def schema_version(self) -> int:
        row = await self.db.fetchone("PRAGMA user_version")
        return 0 if row is None else int(row[0])

    async def close(self) -> None:
        await self.db.close()
