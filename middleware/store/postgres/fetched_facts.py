"""The facts of each fetched booking revision on PostgreSQL (`store/fetched_facts.py`'s
operations), as the same JSON text (`fetched_facts.to_json` / `from_json`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from middleware.domain.revision_facts import RevisionFacts
from middleware.store.fetched_facts import from_json, to_json
from middleware.store.postgres.database import PostgresDatabase


class PostgresFetchedFacts:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def save(self, revision_id: str, facts: RevisionFacts, now: datetime) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO revision_facts (revision_id, fetched_at, facts) VALUES (%s, %s, %s)"
                " ON CONFLICT (revision_id) DO UPDATE SET fetched_at = excluded.fetched_at,"
                " facts = excluded.facts",
                (revision_id, await self.db.moment(conn, now), to_json(facts)),
            )

    async def load_many(self, revision_ids: Collection[str]) -> dict[str, RevisionFacts]:
        """The facts known for these revisions (a revision never fetched has none)."""
        wanted = sorted(set(revision_ids))
        if not wanted:
            return {}
        rows = await self.db.fetchall(
            "SELECT revision_id, facts FROM revision_facts WHERE revision_id = ANY(%s)", (wanted,)
        )
        return {str(row["revision_id"]): from_json(row["facts"]) for row in rows}
