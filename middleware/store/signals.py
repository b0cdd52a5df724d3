"""Signals: "work of this kind was just stored" — a hint another process of the deployment
gives the worker, so a webhook's revision is fetched at once instead of at the next poll.

A hint only, never the work: the worker's loops still poll the store every `WORKER_INTERVAL`
(the fallback when a signal is lost). `watch()` yields the kinds of work stored since the
last yield, as they come, until the caller stops iterating; each backend finds them its own
way — PostgreSQL through `LISTEN/NOTIFY` (writers notify in the transaction that stores the
work, so the signal is sent when it commits), SQLite by watching `PRAGMA data_version` (which
changes when another connection commits) and then reading the newest id of each kind.
The first item is an empty set, yielded once the watch is in place: work committed after it
is signalled, work committed before it the caller finds by looking at the store then (the
worker starts its loops after it). After a gap in watching (a lost connection) every kind is
yielded once: what was signalled while nobody watched is gone, so the worker looks at
everything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal, Protocol, get_args

# revisions: a booking revision to fetch (a webhook, the feed, Channex's non-acked warning);
# sync_requests: an ARI sync asked for (a PMS change notice, /sync/*, go-live);
# wakeups: work a person asked the worker for now (`store.wakeups`)
Kind = Literal["revisions", "sync_requests", "wakeups"]
KINDS: frozenset[Kind] = frozenset(get_args(Kind))


class Signals(Protocol):
    """The signal operations a store backend provides."""

    def watch(self) -> AsyncIterator[frozenset[Kind]]:
        """An empty set once in place, then the kinds of work other processes stored, as they
        come (never empty again); runs until the caller stops iterating (or cancels), and
        keeps going through database outages, logging each once."""
