"""SQLite implementation of `store.fetched_facts` (`FetchedFacts`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from middleware.domain.revision_facts import RevisionFacts
from middleware.store.fetched_facts import from_json, to_json
from middleware.store.sqlite.db import Database
from middleware.store.stamps import to_db_time


class SqliteFetchedFacts:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, revision_id: str, facts: RevisionFacts, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO revision_facts (revision_id, fetched_at, facts) VALUES (?, ?, ?)"
            " ON CONFLICT (revision_id) DO UPDATE SET fetched_at = excluded.fetched_at,"
            " facts = excluded.facts",
            (revision_id, to_db_time(now), to_json(facts)),
        )

    async def load_many(self, revision_ids: Collection[str]) -> dict[str, RevisionFacts]:
        wanted = sorted(set(revision_ids))
        if not wanted:
            return {}
        rows = await self._db.fetchall(
            f"SELECT revision_id, facts FROM revision_facts"  # noqa: S608
            f" WHERE revision_id IN ({', '.join('?' * len(wanted))})",
            wanted,
        )
        return {str(row["revision_id"]): from_json(row["facts"]) for row in rows}
