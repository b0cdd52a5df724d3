"""The audit store: masked call records, heartbeats, named values, housekeeping."""

from datetime import UTC, date, datetime, timedelta

import orjson

from middleware.calllog import CallRecord
from middleware.domain.models import CellKey, Cells, Lane
from middleware.store import audit
from middleware.store.port import Store

T0 = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


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


async def test_record_call_masks_contact_data_and_keys_in_bodies(store: Store) -> None:
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
    await store.audit.record_call(
        call(
            method="GET",
            url="https://pms.example/api?email=joe@example.com",
            response_body=orjson.dumps(revision).decode(),
            request_body="plain text from +44 20 7946 0958",
            error="guest bob@example.net refused",
        ),
        T0,
    )
    [row] = await store.audit.recent_calls()
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


async def test_long_bodies_are_truncated(store: Store) -> None:
    await store.audit.record_call(call(request_body="x" * 5000, response_body=None), T0)
    [row] = await store.audit.recent_calls()
    assert row.request_body == "x" * 3999 + "…"
    assert row.response_body is None


async def test_recent_calls_newest_first_and_by_service(store: Store) -> None:
    await store.audit.record_call(call(url="https://a/1"), T0)
    await store.audit.record_call(call(service="pms", url="https://b/2"), T0)
    await store.audit.record_call(call(url="https://a/3"), T0)
    assert [c.url for c in await store.audit.recent_calls()] == [
        "https://a/3",
        "https://b/2",
        "https://a/1",
    ]
    assert [c.url for c in await store.audit.recent_calls(service="channex", limit=1)] == [
        "https://a/3"
    ]


async def test_record_calls_stores_several_calls_masked_in_order(store: Store) -> None:
    """The group writer's one transaction: every call with its own end time, stored as
    `record_call` stores it alone (masked, truncated)."""
    calls = [
        (call(request_body='{"mail": "ana@example.com"}'), T0),
        (call(service="pms", url="https://b/2", status=None, error="timeout"), T0 + timedelta(1)),
    ]
    assert await store.audit.record_calls(calls) == [None, None]
    assert await store.audit.record_calls([]) == []
    together = await store.audit.recent_calls()
    for record, at in calls:
        await store.audit.record_call(record, at)
    alone = (await store.audit.recent_calls())[:2]

    def seen(rows: list[audit.CallRow]) -> list[tuple[object, ...]]:
        return [
            (c.at, c.service, c.url, c.status, c.error, c.request_body, c.response_body)
            for c in rows
        ]

    assert seen(together) == seen(alone)
    assert [(c.at, c.service, c.error) for c in together] == [
        (T0 + timedelta(1), "pms", "timeout"),
        (T0, "channex", None),
    ]
    assert "ana@example.com" not in str(together[1].request_body)


async def test_heartbeats_and_values(store: Store) -> None:
    assert await store.audit.last_heartbeat("worker") is None
    await store.audit.heartbeat("worker", T0)
    await store.audit.heartbeat("worker", T0 + timedelta(seconds=10), "lanes=2")
    assert await store.audit.last_heartbeat("worker") == (T0 + timedelta(seconds=10), "lanes=2")

    assert await store.audit.get_value("last_full_sync:p1") is None
    await store.audit.set_value("last_full_sync:p1", "a", T0)
    await store.audit.set_value("last_full_sync:p1", "b", T0)
    assert await store.audit.get_value("last_full_sync:p1") == "b"


async def test_prune_drops_old_calls_and_finished_pushes_only(store: Store) -> None:
    await store.audit.record_call(call(url="https://old"), T0 - timedelta(days=31))
    await store.audit.record_call(call(url="https://new"), T0 - timedelta(days=29))
    old = T0 - timedelta(days=40)
    cell: Cells = {CellKey("twin", date(2026, 12, 1)): {"availability": 1}}
    for lane in (Lane("prop-1", "availability"), Lane("prop-2", "availability")):
        await store.outbox.enqueue(lane, dict(cell), old)
        claim = await store.outbox.claim(lane, old, lease_s=60)
        assert claim is not None
        if lane.property_id == "prop-1":
            await store.outbox.release(claim, old)  # finished 40 days ago
    assert await store.audit.prune(T0) == 2
    assert [c.url for c in await store.audit.recent_calls()] == ["https://new"]
    assert [(p.lane.property_id, p.status) for p in await store.outbox.recent_pushes()] == [
        ("prop-2", "claimed")
    ]
