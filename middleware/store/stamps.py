"""Instants as stored text: UTC, microseconds, sortable (`2026-11-21T12:00:00.000000Z`).

The store's columns and the kv values the product writes (`store.audit.set_value`) use this
one format, whatever the backend.
"""

from __future__ import annotations

from datetime import UTC, datetime

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_db_time(moment: datetime) -> str:
    """A UTC-aware instant as sortable text."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    # isoformat, not strftime: glibc's %Y writes year 1 as "1", which strptime cannot read back
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def from_db_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)
