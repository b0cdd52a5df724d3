"""The audit store: masked call records, heartbeats, named values, housekeeping."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from middleware.calllog import CallRecord
from middleware.domain.models import CellKey, Cells, Lane
from middleware.store import audit, outbox
from middleware.store.db import Database

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "m.db")
    yield database
    await database.close()


def call(**overrides: object) -> CallRecord:
    fields: dict[str, object] = {
        "service": "channex",
        "method": "POST",
        "url": "https://staging.channex.io/api/v1/restrictions",
        "status": 200,
        "duration_ms": 85,
        "request_body": '{"values":[{"rate":33300}]}',
        "response_body": '{"data":[{"id":"task-1","type":"task"}]}',
    }
    fields.update(overrides)
    return CallRecord(**fields)  # type: ignore[arg-type]


async def test_record_call_masks_contact_data_and_keys_in_bodies(db: Database) -> None:
    revision = {
        "data": {
            "attributes": {
                "customer": {
                    "name": "Ana",
                    "mail": "ana@example.com",
                    "phone": "+55 11 91234-5678",
                },
                "notes": "call me at +55 11 98765-4321 or ana.alt@example.org",
                "api_key": "sk-live-123456",
            }
        }
    }
    await audit.record_call(
        db,
        call(
            method="GET",
            url="https://pms.example/api?email=joe@example.com",
            response_body=orjson.dumps(revision).decode(),
            request_body="plain text from +44 20 7946 0958",
            error="guest bob@example.net refused",
        ),
        T0,
    )
    [row] = await audit.recent_calls(db)
    assert row == audit.CallRow(
        id=row.id,
        at=T0,
        service="channex",
        method="GET",
        url="https://pms.example/api?email=j***@***",
        status=200,
        duration_ms=85,
        request_body="plain text from ***",
        response_body=orjson.dumps(
            {
                "data": {
                    "attributes": {
                        "customer": {"name": "Ana", "mail": "***", "phone": "***"},
                        "notes": "call me at *** or a***@***",
                        "api_key": "***",
                    }
                }
            }
        ).decode(),
        error="guest b***@*** refused",
    )


async def test_long_bodies_are_truncated(db: Database) -> None:
    await audit.record_call(db, call(request_body="x" * 5000, response_body=None), T0)
    [row] = await audit.recent_calls(db)
    assert row.request_body == "x" * 3999 + "…"
    assert row.response_body is None


async def test_recent_calls_newest_first_and_by_service(db: Database) -> None:
    await audit.record_call(db, call(url="https://a/1"), T0)
    await audit.record_call(db, call(service="pms", url="https://b/2"), T0)
    await audit.record_call(db, call(url="https://a/3"), T0)
    assert [c.url for c in await audit.recent_calls(db)] == [
        "https://a/3",
        "https://b/2",
        "https://a/1",
    ]
    assert [c.url for c in await audit.recent_calls(db, service="channex", limit=1)] == [
        "https://a/3"
    ]


async def test_sink_stamps_with_the_clock_and_never_raises(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "m.db")
    on_call = audit.sink(db, lambda: T0 + timedelta(seconds=5))
    await on_call(call())
    [row] = await audit.recent_calls(db)
    assert row.at == T0 + timedelta(seconds=5)
    await db.close()
    await on_call(call())  # the store is gone: logged, not raised


async def test_heartbeats_and_values(db: Database) -> None:
    assert await audit.last_heartbeat(db, "worker") is None
    await audit.heartbeat(db, "worker", T0)
    await audit.heartbeat(db, "worker", T0 + timedelta(seconds=10), "lanes=2")
    assert await audit.last_heartbeat(db, "worker") == (T0 + timedelta(seconds=10), "lanes=2")

    assert await audit.get_value(db, "last_full_sync:p1") is None
    await audit.set_value(db, "last_full_sync:p1", "a", T0)
    await audit.set_value(db, "last_full_sync:p1", "b", T0)
    assert await audit.get_value(db, "last_full_sync:p1") == "b"


async def test_prune_drops_old_calls_and_finished_pushes_only(db: Database) -> None:
    await audit.record_call(db, call(url="https://old"), T0 - timedelta(days=31))
    await audit.record_call(db, call(url="https://new"), T0 - timedelta(days=29))
    old = T0 - timedelta(days=40)
    cell: Cells = {CellKey("twin", date(2026, 12, 1)): {"availability": 1}}
    for lane in (Lane("prop-1", "availability"), Lane("prop-2", "availability")):
        await outbox.enqueue(db, lane, dict(cell), old)
        claim = await outbox.claim(db, lane, old, lease_s=60)
        assert claim is not None
        if lane.property_id == "prop-1":
            await outbox.release(db, claim, old)  # finished 40 days ago
    assert await audit.prune(db, T0) == 2
    assert [c.url for c in await audit.recent_calls(db)] == ["https://new"]
    assert [(p.lane.property_id, p.status) for p in await outbox.recent_pushes(db)] == [
        ("prop-2", "claimed")
    ]
