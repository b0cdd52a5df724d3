"""`PostgresStore`: the PostgreSQL store concerns over one database, named like the modules
of `store/` (`store.outbox`, `store.lanes`, ...), so the store port is one object to hand
down. Concerns not yet ported are absent (see the package's tests for what is covered)."""

from __future__ import annotations

from middleware.store.postgres.ari_state import PostgresAriState
from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.lanes import PostgresLanes
from middleware.store.postgres.notices import PostgresNotices
from middleware.store.postgres.outbox import PostgresOutbox
from middleware.store.postgres.revisions import PostgresRevisions


class PostgresStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.lanes = PostgresLanes(db)
        self.ari_state = PostgresAriState(db)
        self.outbox = PostgresOutbox(db, self.lanes)
        self.revisions = PostgresRevisions(db)
        self.notices = PostgresNotices(db)

    @classmethod
    async def open(cls, url: str, *, caller_clock: bool = False) -> PostgresStore:
        """Open the pool and migrate (`PostgresDatabase.open`); `DATABASE_URL` in production."""
        return cls(await PostgresDatabase.open(url, caller_clock=caller_clock))

    async def close(self) -> None:
        await self.db.close()
