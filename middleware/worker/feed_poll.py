"""The booking-revision feed poll: the safety net for missed webhooks.

Every `FEED_POLL_INTERVAL` seconds, read every page of `GET /booking_revisions/feed` for each
mapped property and enqueue each revision id on the same idempotent path as webhooks. The
unacked set shrinks while we read (the worker acks concurrently), so a revision can slide from
page 2 onto page 1 between two reads: the pass is repeated while it keeps finding new ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import structlog

from middleware import clock as clocks
from middleware.channex.client import FeedPage
from middleware.domain.mapping import Mapping
from middleware.store.port import Store

log = structlog.get_logger(__name__)

PAGE_LIMIT = 100
MAX_PASSES = 3
MAX_PAGES = 100


class FeedSource(Protocol):
    async def feed(
        self, *, property_id: str | None, page: int = 1, limit: int = 100
    ) -> FeedPage: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedReport:
    seen: int
    new: int


class FeedPoller:
    def __init__(
        self,
        channex: FeedSource,
        store: Store,
        mapping: Mapping,
        *,
        clock: clocks.Clock = clocks.utc_now,
    ) -> None:
        self._channex = channex
        self._store = store
        self._mapping = mapping
        self._clock = clock

    async def run_once(self) -> FeedReport:
        """`seen`: revision ids the feed listed; `new`: those the store did not know yet."""
        seen: set[str] = set()
        new = 0
        for prop in self._mapping:
            for _ in range(MAX_PASSES):
                found, added = await self._one_pass(prop.property_id, seen)
                new += added
                if found == 0:
                    break
        if new:
            log.info("feed_poll_found", new=new, seen=len(seen))
        return FeedReport(seen=len(seen), new=new)

    async def _one_pass(self, property_id: str, seen: set[str]) -> tuple[int, int]:
        """Read every page once; returns (ids this pass saw for the first time, of those the
        ones the store did not know)."""
        fresh = added = 0
        page = 1
        while page <= MAX_PAGES:
            result = await self._channex.feed(property_id=property_id, page=page, limit=PAGE_LIMIT)
            items = [(r.id, r.booking_id, r.property_id) for r in result.revisions] + [
                (rid, None, property_id) for rid, _ in result.problems
            ]
            unseen = []
            for item in items:
                if item[0] not in seen:
                    seen.add(item[0])
                    unseen.append(item)
            fresh += len(unseen)
            if unseen:
                added += await self._store.revisions.enqueue_many(
                    unseen, self._clock(), source="feed"
                )
            if not result.raw_ids or page * result.limit >= result.total:
                break
            page += 1
        return fresh, added
