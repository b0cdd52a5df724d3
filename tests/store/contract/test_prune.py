"""Pruning by age: old audit rows and finished work go; unfinished work and anything newer
than the cutoff stay, whatever their age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.store.port import Store
from middleware.store.stamps import to_db_time
from tests.store_sql import execute, rows

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


CUTOFF = NOW - timedelta(days=30)


OLD = to_db_time(CUTOFF - timedelta(days=1))


NEW = to_db_time(CUTOFF + timedelta(days=1))


async def call(store: Store, name: str, at: str) -> None:
    await execute(
        store,
        "INSERT INTO http_calls (at, service, method, url, duration_ms) VALUES (?, ?, 'GET', ?, 1)",
        (at, "channex", name),
    )


async def push(store: Store, key: str, status: str, finished_at: str | None) -> None:
    await execute(
        store,
        "INSERT INTO pushes (property_id, kind, idempotency_key, status, claimed_at, lease_until,"
        " finished_at, cells) VALUES ('p', 'availability', ?, ?, ?, ?, ?, 1)",
        (key, status, OLD, OLD, finished_at),
    )


async def revision(store: Store, revision_id: str, status: str) -> None:
    await execute(
        store,
        "INSERT INTO revisions (revision_id, source, status, received_at, next_attempt_at,"
        " updated_at) VALUES (?, 'webhook', ?, ?, ?, ?)",
        (revision_id, status, OLD, OLD, OLD),
    )


async def event(store: Store, name: str, at: str, status: str, revision_id: str | None) -> None:
    await execute(
        store,
        "INSERT INTO webhook_events (received_at, event, revision_id, payload, status)"
        " VALUES (?, ?, ?, '{}', ?)",
        (at, name, revision_id, status),
    )


async def notice(store: Store, ref: str, resolved_at: str | None) -> None:
    await execute(
        store,
        "INSERT INTO notices (at, kind, ref, detail, resolved_at) VALUES (?, 'k', ?, 'd', ?)",
        (OLD, ref, resolved_at),
    )


async def sync_request(store: Store, source: str, status: str, finished_at: str | None) -> None:
    await execute(
        store,
        "INSERT INTO sync_requests (requested_at, source, status, next_attempt_at, finished_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (OLD, source, status, OLD, finished_at),
    )


async def wakeup(store: Store, by: str, done_at: str | None) -> None:
    await execute(
        store,
        "INSERT INTO wakeups (work, asked_by, asked_at, done_at) VALUES ('poll_feed', ?, ?, ?)",
        (by, OLD, done_at),
    )


async def left(store: Store, query: str) -> list[str]:
    return sorted(str(row[0]) for row in await rows(store, query))


async def test_old_finished_rows_go_and_unfinished_or_recent_ones_stay(store: Store) -> None:
    await call(store, "old", OLD)
    await call(store, "new", NEW)
    await push(store, "old-sent", "sent", OLD)
    await push(store, "new-sent", "sent", NEW)
    await push(store, "old-claimed", "claimed", None)
    for revision_id, status in (("acked", "acked"), ("parked", "parked"), ("pending", "pending")):
        await revision(store, revision_id, status)
    await event(store, "old-acked", OLD, "queued", "acked")
    await event(store, "old-parked", OLD, "queued", "parked")
    await event(store, "old-pending", OLD, "queued", "pending")
    await event(store, "old-received", OLD, "received", None)
    await event(store, "old-noted", OLD, "noted", None)
    await event(store, "new-noted", NEW, "noted", None)
    await notice(store, "old-resolved", OLD)
    await notice(store, "new-resolved", NEW)
    await notice(store, "open", None)
    await sync_request(store, "old-done", "done", OLD)
    await sync_request(store, "new-done", "done", NEW)
    await sync_request(store, "old-pending", "pending", None)
    await wakeup(store, "old-done", OLD)
    await wakeup(store, "new-done", NEW)
    await wakeup(store, "old-open", None)

    report = await store.prune.prune(CUTOFF, batch_rows=1)  # batches of one: the loop goes on

    assert report.removed == {
        "http_calls": 1,
        "pushes": 1,
        "webhook_events": 2,
        "notices": 1,
        "sync_requests": 1,
        "wakeups": 1,
    }
    assert report.total == 7
    assert await left(store, "SELECT url FROM http_calls") == ["new"]
    assert await left(store, "SELECT idempotency_key FROM pushes") == ["new-sent", "old-claimed"]
    assert await left(store, "SELECT event FROM webhook_events") == [
        "new-noted",
        "old-parked",
        "old-pending",
        "old-received",
    ]
    assert await left(store, "SELECT ref FROM notices") == ["new-resolved", "open"]
    assert await left(store, "SELECT source FROM sync_requests") == ["new-done", "old-pending"]
    assert await left(store, "SELECT asked_by FROM wakeups") == ["new-done", "old-open"]
    assert await left(store, "SELECT revision_id FROM revisions") == ["acked", "parked", "pending"]
    assert (await store.prune.prune(CUTOFF)).total == 0


async def test_finished_work_goes_at_its_own_shorter_cutoff(store: Store) -> None:
    """Sync requests and wake-ups done before the work cutoff go while the audit trail of the
    same age stays; a work cutoff older than the audit's never keeps work longer."""
    hours_ago = to_db_time(NOW - timedelta(hours=30))
    just_now = to_db_time(NOW - timedelta(hours=1))
    await call(store, "hours-ago", hours_ago)
    await push(store, "hours-ago", "sent", hours_ago)
    await notice(store, "hours-ago", hours_ago)
    await sync_request(store, "hours-ago", "done", hours_ago)
    await sync_request(store, "just-now", "done", just_now)
    await sync_request(store, "old-failed", "pending", None)
    await wakeup(store, "hours-ago", hours_ago)
    await wakeup(store, "just-now", just_now)

    report = await store.prune.prune(CUTOFF, work_cutoff=NOW - timedelta(hours=24))

    assert report.removed == {
        "http_calls": 0,
        "pushes": 0,
        "webhook_events": 0,
        "notices": 0,
        "sync_requests": 1,
        "wakeups": 1,
    }
    assert await left(store, "SELECT url FROM http_calls") == ["hours-ago"]
    assert await left(store, "SELECT source FROM sync_requests") == ["just-now", "old-failed"]
    assert await left(store, "SELECT asked_by FROM wakeups") == ["just-now"]

    await sync_request(store, "old-done", "done", OLD)
    later = await store.prune.prune(CUTOFF, work_cutoff=CUTOFF - timedelta(days=5))
    assert later.removed["sync_requests"] == 1  # the audit's cutoff, not the older one
    assert await left(store, "SELECT source FROM sync_requests") == ["just-now", "old-failed"]
