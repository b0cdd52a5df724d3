"""The store port: every store concern a backend provides, under one `Store`.

Product code holds a `Store` and calls `store.outbox.enqueue(lane, ...)`,
`store.revisions.claim_due(...)` and so on; it never sees a connection or SQL. A backend
(`store.sqlite`, later PostgreSQL) implements each concern's protocol, named in the concern's
own module beside its value types, and `store.open` picks the backend from the settings.
Each operation is one unit of work: it commits before it returns.
"""

from __future__ import annotations

from typing import Protocol

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
from middleware.store.sync_requests import SyncRequests
from middleware.store.timeline import Timeline
from middleware.store.wakeups import Wakeups


class Store(Protocol):
    """One open store: its concerns as attributes, and its lifetime."""

    @property
    def ari_state(self) -> AriState: ...
    @property
    def audit(self) -> Audit: ...
    @property
    def booking_map(self) -> BookingMap: ...
    @property
    def fetched_facts(self) -> FetchedFacts: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def lanes(self) -> Lanes: ...
    @property
    def live(self) -> Live: ...
    @property
    def notices(self) -> Notices: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def parity_drift(self) -> ParityDrift: ...
    @property
    def pms_rooms(self) -> PmsRooms: ...
    @property
    def prune(self) -> Prune: ...
    @property
    def retention(self) -> Retention: ...
    @property
    def revisions(self) -> Revisions: ...
    @property
    def signals(self) -> Signals: ...
    @property
    def sync_requests(self) -> SyncRequests: ...
    @property
    def timeline(self) -> Timeline: ...
    @property
    def wakeups(self) -> Wakeups: ...

    @property
    def latest_schema_version(self) -> int:
        """The schema version this program's store migrates to."""

    async def schema_version(self) -> int:
        """The schema version the store is at (`python -m middleware check` compares it)."""

    async def close(self) -> None:
        """Release the store's connections; nothing may be called after."""
