"""The Channex client's wire format, error translation and call records (aioresponses)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import pytest
from aioresponses import aioresponses
from multidict import CIMultiDict
from structlog.testing import capture_logs

from middleware.calllog import CallRecord
from middleware.channex import transport
from middleware.channex.client import ChannexClient, FeedPage, PushResult
from middleware.errors import PayloadError, RejectedUpstreamError, TransientUpstreamError
from tests.aiohttp_compat import CompatResponse
from tests.channex.test_revision_parser import EXPECTED, attributes

BASE = "https://channex.test/api/v1"
KEY = "uk-4f9d2c1b8e7a6f5d"
PROP = "716305c4-561a-4561-a187-7f5b8aeb5920"
TASK = "a1b2c3d4-0000-4000-8000-000000000001"


@dataclass(frozen=True, slots=True, kw_only=True)
class Sent:
    method: str
    url: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # decoded JSON


class Mock:
    """aioresponses with the compatible response class and a request inspector."""

    def __init__(self, inner: aioresponses) -> None:
        self.inner = inner

    def add(self, method: str, path: str, **kwargs: Any) -> None:
        self.inner.add(BASE + path, method, response_class=CompatResponse, **kwargs)

    def bodies(self) -> list[bytes | None]:
        """The bytes of every request body, as they went on the wire."""
        return [call.kwargs.get("data") for calls in self.inner.requests.values() for call in calls]

    def sent(self) -> list[Sent]:
        """Every request (grouped by URL in first-call order, as aioresponses keeps them)."""
        out = []
        for (method, url), calls in self.inner.requests.items():
            for call in calls:
                data = call.kwargs.get("data")
                out.append(
                    Sent(
                        method=method,
                        url=str(url.with_query(None)),
                        query=dict(url.query),
                        headers=dict(call.kwargs["headers"]),
                        body=None if data is None else orjson.loads(data),
                    )
                )
        return out


@pytest.fixture
def mock() -> Iterator[Mock]:
    with aioresponses() as inner:
        yield Mock(inner)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def records() -> list[CallRecord]:
    return []


@pytest.fixture
def client(session: aiohttp.ClientSession, records: list[CallRecord]) -> ChannexClient:
    async def sink(record: CallRecord) -> None:
        records.append(record)

    return ChannexClient(session, BASE + "/", KEY, timeout_s=5.0, on_call=sink)


HEADERS = {"user-api-key": KEY, "Content-Type": "application/json", "Accept": "application/json"}


# --------------------------------------------------------------------------- ARI


async def test_push_availability_sends_values_and_returns_task_ids(
    client: ChannexClient, mock: Mock
) -> None:
    values = [
        {"property_id": PROP, "room_type_id": "rt1", "date": "2026-11-21", "availability": 7},
        {
            "property_id": PROP,
            "room_type_id": "rt2",
            "date_from": "2026-11-10",
            "date_to": "2026-11-16",
            "availability": 3,
        },
    ]
    mock.add(
        "POST",
        "/availability",
        payload={
            "data": [{"id": TASK, "type": "task"}],
            "meta": {"message": "Success", "warnings": []},
        },
    )
    result = await client.push("availability", values)
    assert result == PushResult(task_ids=(TASK,), warnings=(), status=200)
    assert mock.sent() == [
        Sent(
            method="POST",
            url=f"{BASE}/availability",
            query={},
            headers=HEADERS,
            body={"values": values},
        )
    ]
    assert mock.bodies() == [
        b'{"values":[{"property_id":"' + PROP.encode() + b'","room_type_id":"rt1",'
        b'"date":"2026-11-21","availability":7},{"property_id":"' + PROP.encode() + b'",'
        b'"room_type_id":"rt2","date_from":"2026-11-10","date_to":"2026-11-16","availability":3}]}'
    ]


async def test_push_restrictions_surfaces_warnings_verbatim(
    client: ChannexClient, mock: Mock
) -> None:
    warning = {
        "rate_plan_id": "rp1",
        "date": "2026-11-22",
        "warning": {"rate": ["must be greater than 0"]},
    }
    mock.add(
        "POST",
        "/restrictions",
        payload={"data": [], "meta": {"message": "Success", "warnings": [warning]}},
    )
    values = [
        {
            "property_id": PROP,
            "rate_plan_id": "rp1",
            "date": "2026-11-22",
            "rate": Decimal("333.00"),
        }
    ]
    result = await client.push("restrictions", values)
    assert result == PushResult(task_ids=(), warnings=(warning,), status=200)
    sent_body = mock.sent()[0].body
    assert sent_body == {"values": [{**values[0], "rate": "333.00"}]}  # Decimal → string, not float


async def test_push_writes_flags_as_json_booleans_and_decimals_as_plain_strings(
    client: ChannexClient, mock: Mock
) -> None:
    """The bytes Channex receives: `true`/`false` (never 1/0), integers, a Decimal rate as a
    plain decimal string (never a float, never an exponent)."""
    mock.add("POST", "/restrictions", payload={"data": [{"id": TASK, "type": "task"}]})
    values = [
        {
            "property_id": PROP,
            "rate_plan_id": "rp1",
            "date_from": "2026-11-22",
            "date_to": "2026-11-23",
            "days": ["mo"],
            "rate": Decimal("1E+3"),
            "min_stay_arrival": 1,
            "max_stay": 0,
            "closed_to_arrival": True,
            "stop_sell": False,
        },
        {"property_id": PROP, "rate_plan_id": "rp2", "date": "2026-11-24", "rate": 45050},
    ]
    await client.push("restrictions", values)
    assert mock.bodies() == [
        b'{"values":[{"property_id":"' + PROP.encode() + b'","rate_plan_id":"rp1",'
        b'"date_from":"2026-11-22","date_to":"2026-11-23","days":["mo"],"rate":"1000",'
        b'"min_stay_arrival":1,"max_stay":0,"closed_to_arrival":true,"stop_sell":false},'
        b'{"property_id":"' + PROP.encode() + b'","rate_plan_id":"rp2","date":"2026-11-24",'
        b'"rate":45050}]}'
    ]


async def test_get_availability_query_and_values(client: ChannexClient, mock: Mock) -> None:
    mock.add(
        "GET",
        f"/availability?filter[property_id]={PROP}&filter[date][gte]=2026-11-21&filter[date][lte]=2026-11-22",
        payload={"data": {"rt1": {"2026-11-21": 7, "2026-11-22": 0}, "rt2": {"2026-11-21": 1}}},
    )
    got = await client.get_availability(PROP, date(2026, 11, 21), date(2026, 11, 22))
    assert got == {
        "rt1": {date(2026, 11, 21): 7, date(2026, 11, 22): 0},
        "rt2": {date(2026, 11, 21): 1},
    }
    assert mock.sent() == [
        Sent(
            method="GET",
            url=f"{BASE}/availability",
            query={
                "filter[property_id]": PROP,
                "filter[date][gte]": "2026-11-21",
                "filter[date][lte]": "2026-11-22",
            },
            headers=HEADERS,
            body=None,
        )
    ]


async def test_get_restrictions_asks_for_fields_and_reads_rates_as_decimal(
    client: ChannexClient, mock: Mock
) -> None:
    query = (
        f"filter[property_id]={PROP}&filter[date][gte]=2026-11-21&filter[date][lte]=2026-11-21"
        "&filter[restrictions]=rate,min_stay_arrival,stop_sell"
    )
    mock.add(
        "GET",
        f"/restrictions?{query}",
        payload={
            "data": {
                "rp1": {"2026-11-21": {"rate": "333.00", "min_stay_arrival": 2, "stop_sell": False}}
            }
        },
    )
    got = await client.get_restrictions(
        PROP, date(2026, 11, 21), date(2026, 11, 21), ["rate", "min_stay_arrival", "stop_sell"]
    )
    assert got == {
        "rp1": {
            date(2026, 11, 21): {
                "rate": Decimal("333.00"),
                "min_stay_arrival": 2,
                "stop_sell": False,
            }
        }
    }
    assert mock.sent()[0].query == {
        "filter[property_id]": PROP,
        "filter[date][gte]": "2026-11-21",
        "filter[date][lte]": "2026-11-21",
        "filter[restrictions]": "rate,min_stay_arrival,stop_sell",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"<html>bad gateway</html>",
        b'{"unexpected": true}',
        b"[]",
        b'{"data": {"rt1": {"not-a-date": 1}}}',
        b'{"data": {"rt1": {"2026-11-21": "seven"}}}',
        b'{"data": []}',
    ],
)
async def test_unreadable_2xx_is_a_payload_error_naming_the_endpoint(
    client: ChannexClient, mock: Mock, records: list[CallRecord], body: bytes
) -> None:
    mock.add(
        "GET",
        f"/availability?filter[property_id]={PROP}&filter[date][gte]=2026-11-21&filter[date][lte]=2026-11-21",
        body=body,
    )
    with pytest.raises(PayloadError) as caught:
        await client.get_availability(PROP, date(2026, 11, 21), date(2026, 11, 21))
    assert "/availability" in str(caught.value)
    assert len(records) == 1


# --------------------------------------------------------------------------- errors


async def test_401_is_rejected_and_says_the_key_was_rejected(
    client: ChannexClient, mock: Mock
) -> None:
    mock.add(
        "GET",
        "/properties/options",
        status=401,
        payload={"errors": {"code": "unauthorized", "title": "Unauthorized"}},
    )
    with pytest.raises(RejectedUpstreamError) as caught:
        await client.properties_options()
    assert caught.value.status == 401
    assert str(caught.value) == (
        "channex: GET /properties/options: the API key was rejected (unauthorized) (HTTP 401)"
    )
    assert KEY not in str(caught.value)


async def test_422_names_every_field(client: ChannexClient, mock: Mock) -> None:
    mock.add(
        "POST",
        "/rate_plans",
        status=422,
        payload={
            "errors": {
                "code": "validation_error",
                "title": "Validation Error",
                "details": {
                    "title": ["has already been taken"],
                    "options": ["is invalid", "is required"],
                },
            }
        },
    )
    with pytest.raises(RejectedUpstreamError) as caught:
        await client.create_rate_plan({"title": "BAR"})
    assert str(caught.value) == (
        "channex: POST /rate_plans rejected: validation_error Validation Error: "
        "title: has already been taken; options: is invalid, is required (HTTP 422)"
    )
    assert mock.sent()[0].body == {"rate_plan": {"title": "BAR"}}


async def test_404_and_400_carry_code_title_and_details(client: ChannexClient, mock: Mock) -> None:
    mock.add(
        "GET",
        "/booking_revisions/nope",
        status=404,
        payload={"errors": {"code": "resource_not_found", "title": "Resource Not Found"}},
    )
    mock.add(
        "GET",
        "/properties/p1",
        status=400,
        payload={
            "errors": {
                "code": "bad_request",
                "title": "Bad Request",
                "details": ["date is required"],
            }
        },
    )
    with pytest.raises(RejectedUpstreamError) as not_found:
        await client.get_revision("nope")
    with pytest.raises(RejectedUpstreamError) as bad:
        await client.get_property("p1")
    assert (not_found.value.status, str(not_found.value)) == (
        404,
        "channex: GET /booking_revisions/nope rejected: resource_not_found Resource Not Found"
        " (HTTP 404)",
    )
    assert str(bad.value) == (
        "channex: GET /properties/p1 rejected: bad_request Bad Request: date is required (HTTP 400)"
    )


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "17"}, 17.0),
        ({"RateLimit-Reset": "42"}, 42.0),
        ({"RateLimit": '"ari";r=0;t=9'}, 9.0),
        ({}, None),
    ],
)
async def test_429_is_transient_with_retry_after(
    client: ChannexClient, mock: Mock, headers: dict[str, str], retry_after: float | None
) -> None:
    mock.add(
        "POST",
        "/restrictions",
        status=429,
        headers=headers,
        payload={"errors": {"code": "http_too_many_requests", "title": "Too Many Requests"}},
    )
    with pytest.raises(TransientUpstreamError) as caught:
        await client.push("restrictions", [])
    assert (caught.value.status, caught.value.retry_after_s, caught.value.rate_limited) == (
        429,
        retry_after,
        True,
    )
    assert str(caught.value) == (
        "channex: POST /restrictions rate limited: http_too_many_requests Too Many Requests"
        " (HTTP 429)"
    )


async def test_5xx_is_transient(client: ChannexClient, mock: Mock) -> None:
    mock.add("POST", "/availability", status=503, body=b"upstream unavailable")
    with pytest.raises(TransientUpstreamError) as caught:
        await client.push("availability", [])
    assert (caught.value.status, caught.value.retry_after_s) == (503, None)
    assert str(caught.value) == (
        "channex: POST /availability server error: upstream unavailable (HTTP 503)"
    )


async def test_timeout_is_transient(
    client: ChannexClient, mock: Mock, records: list[CallRecord]
) -> None:
    mock.add("GET", "/booking_revisions/r1", exception=TimeoutError())
    with pytest.raises(TransientUpstreamError) as caught:
        await client.get_revision("r1")
    assert str(caught.value) == "channex: GET /booking_revisions/r1 timed out after 5s"
    assert isinstance(caught.value.__cause__, TimeoutError)
    assert [(r.status, r.error) for r in records] == [(None, str(caught.value))]


async def test_connection_refused_is_transient(
    session: aiohttp.ClientSession, records: list[CallRecord]
) -> None:
    """A real closed loopback port, no mock: the aiohttp error never leaks out."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def sink(record: CallRecord) -> None:
        records.append(record)

    client = ChannexClient(session, f"http://127.0.0.1:{port}/api/v1", KEY, on_call=sink)
    with pytest.raises(TransientUpstreamError) as caught:
        await client.ack("r1")
    assert caught.value.status is None
    assert str(caught.value).startswith(
        "channex: POST /booking_revisions/r1/ack failed: ClientConnector"
    )
    assert isinstance(caught.value.__cause__, aiohttp.ClientError)
    assert KEY not in str(caught.value)
    assert len(records) == 1


# --------------------------------------------------------------------------- call records and logs


async def test_each_call_is_recorded_once_without_the_key(
    client: ChannexClient, mock: Mock, records: list[CallRecord]
) -> None:
    task_body = orjson.dumps({"data": [{"id": TASK, "type": "task"}]})
    mock.add("POST", "/availability", body=task_body)
    unauthorized = b'{"errors":{"code":"unauthorized","title":"Unauthorized"}}'
    mock.add("POST", "/booking_revisions/r1/ack", status=401, body=unauthorized)
    values = [{"property_id": PROP, "room_type_id": "rt1", "date": "2026-11-21", "availability": 7}]
    await client.push("availability", values)
    with pytest.raises(RejectedUpstreamError):
        await client.ack("r1")
    assert [
        (r.service, r.method, r.url, r.status, r.request_body, r.response_body, r.error)
        for r in records
    ] == [
        (
            "channex",
            "POST",
            f"{BASE}/availability",
            200,
            orjson.dumps({"values": values}).decode(),
            task_body.decode(),
            None,
        ),
        (
            "channex",
            "POST",
            f"{BASE}/booking_revisions/r1/ack",
            401,
            None,
            unauthorized.decode(),
            "channex: POST /booking_revisions/r1/ack: the API key was rejected (unauthorized)"
            " (HTTP 401)",
        ),
    ]
    assert all(KEY not in repr(r) for r in records)
    assert all(r.duration_ms >= 0 for r in records)


async def test_large_bodies_are_clipped_in_the_record(
    client: ChannexClient, mock: Mock, records: list[CallRecord]
) -> None:
    mock.add("POST", "/restrictions", payload={"data": []})
    values = [
        {"property_id": PROP, "rate_plan_id": f"rp{i}", "date": "2026-11-21", "rate": 100}
        for i in range(500)
    ]
    await client.push("restrictions", values)
    assert records[0].request_body == orjson.dumps({"values": values}).decode()[:4096]


async def test_a_failing_sink_does_not_fail_the_call(
    session: aiohttp.ClientSession, mock: Mock
) -> None:
    async def broken(record: CallRecord) -> None:
        raise RuntimeError("audit store down")

    client = ChannexClient(session, BASE, KEY, on_call=broken)
    mock.add("POST", "/booking_revisions/r1/ack", payload={"meta": {"message": "Success"}})
    with capture_logs() as logged:
        await client.ack("r1")
    assert [e["event"] for e in logged] == ["channex_call", "channex_call_sink_failed"]


async def test_logs_one_debug_line_per_call_and_a_warning_per_failure(
    client: ChannexClient, mock: Mock
) -> None:
    mock.add(
        "GET",
        "/properties/p1",
        payload={"data": {"type": "property", "id": "p1", "attributes": {}}},
    )
    mock.add("GET", "/properties/p2", status=500, body=b"oops " + KEY.encode())
    with capture_logs() as logged:
        await client.get_property("p1")
        with pytest.raises(TransientUpstreamError) as caught:
            await client.get_property("p2")
    assert [(e["event"], e["log_level"], e.get("status")) for e in logged] == [
        ("channex_call", "debug", 200),
        ("channex_call", "debug", 500),
        ("channex_call_failed", "warning", 500),
    ]
    assert KEY not in repr(logged)
    assert KEY not in str(caught.value)
    assert KEY not in (caught.value.body or "")


# --------------------------------------------------------------------------- bookings


async def test_feed_parses_good_items_and_reports_bad_ones(
    client: ChannexClient, mock: Mock
) -> None:
    bad = attributes() | {"id": "rev-bad", "status": "pending"}
    mock.add(
        "GET",
        f"/booking_revisions/feed?order[inserted_at]=asc&pagination[page]=2&pagination[limit]=50&filter[property_id]={PROP}",
        payload={
            "data": [
                {"type": "booking_revision", "id": EXPECTED.id, "attributes": attributes()},
                {"type": "booking_revision", "id": "rev-bad", "attributes": bad},
            ],
            "meta": {"page": 2, "limit": 50, "total": 52},
        },
    )
    page = await client.feed(property_id=PROP, page=2, limit=50)
    assert page == FeedPage(
        revisions=(EXPECTED,),
        raw_ids=(EXPECTED.id, "rev-bad"),
        problems=(
            (
                "rev-bad",
                "booking revision rev-bad: 'status' 'pending' is not one of new, modified,"
                " cancelled",
            ),
        ),
        page=2,
        limit=50,
        total=52,
    )


async def test_feed_without_property_filter(client: ChannexClient, mock: Mock) -> None:
    mock.add(
        "GET",
        "/booking_revisions/feed?order[inserted_at]=asc&pagination[page]=1&pagination[limit]=100",
        payload={"data": [], "meta": {"page": 1, "limit": 100, "total": 0}},
    )
    page = await client.feed(property_id=None)
    assert (page.revisions, page.raw_ids, page.total) == ((), (), 0)


async def test_get_revision_and_ack(client: ChannexClient, mock: Mock) -> None:
    document = {"data": {"type": "booking_revision", "id": EXPECTED.id, "attributes": attributes()}}
    mock.add("GET", f"/booking_revisions/{EXPECTED.id}", payload=document)
    mock.add("GET", f"/booking_revisions/{EXPECTED.id}", payload=document)
    mock.add(
        "POST", f"/booking_revisions/{EXPECTED.id}/ack", payload={"meta": {"message": "Success"}}
    )
    assert await client.get_revision(EXPECTED.id) == EXPECTED
    assert await client.get_revision_raw(EXPECTED.id) == document
    await client.ack(EXPECTED.id)
    assert [(s.method, s.url, s.body) for s in mock.sent()] == [
        ("GET", f"{BASE}/booking_revisions/{EXPECTED.id}", None),
        ("GET", f"{BASE}/booking_revisions/{EXPECTED.id}", None),
        ("POST", f"{BASE}/booking_revisions/{EXPECTED.id}/ack", None),
    ]


async def test_unparseable_revision_is_a_payload_error(client: ChannexClient, mock: Mock) -> None:
    mock.add(
        "GET",
        "/booking_revisions/r9",
        payload={"data": {"type": "booking_revision", "id": "r9", "attributes": {"id": "r9"}}},
    )
    with pytest.raises(PayloadError) as caught:
        await client.get_revision("r9")
    assert str(caught.value) == "booking revision r9: 'arrival_date' must be a YYYY-MM-DD date"


async def test_ids_from_webhooks_stay_one_path_segment(client: ChannexClient, mock: Mock) -> None:
    mock.add(
        "POST", "/booking_revisions/..%2Fwebhooks/ack", payload={"meta": {"message": "Success"}}
    )
    await client.ack("../webhooks")
    assert mock.sent()[0].url == f"{BASE}/booking_revisions/..%2Fwebhooks/ack"
    with pytest.raises(PayloadError):
        await client.ack("..")


# --------------------------------------------------------------------------- content


async def test_list_calls_walk_every_page(client: ChannexClient, mock: Mock) -> None:
    rows = [
        {"type": "room_type", "id": f"rt{i}", "attributes": {"title": f"R{i}"}} for i in range(150)
    ]
    base = f"/room_types?filter[property_id]={PROP}&pagination[limit]=100"
    mock.add(
        "GET",
        f"{base}&pagination[page]=1",
        payload={"data": rows[:100], "meta": {"page": 1, "limit": 100, "total": 150}},
    )
    mock.add(
        "GET",
        f"{base}&pagination[page]=2",
        payload={"data": rows[100:], "meta": {"page": 2, "limit": 100, "total": 150}},
    )
    assert await client.list_room_types(PROP) == rows
    assert [s.query for s in mock.sent()] == [
        {"filter[property_id]": PROP, "pagination[page]": "1", "pagination[limit]": "100"},
        {"filter[property_id]": PROP, "pagination[page]": "2", "pagination[limit]": "100"},
    ]


async def test_content_writes_wrap_attributes_under_the_entity_type(
    client: ChannexClient, mock: Mock
) -> None:
    created = {"type": "x", "id": "new-id", "attributes": {"id": "new-id"}}
    for method, path in [
        ("POST", "/properties"),
        ("POST", "/room_types"),
        ("PUT", "/room_types/rt1"),
        ("POST", "/rate_plans"),
        ("POST", "/webhooks"),
        ("PUT", "/webhooks/w1"),
    ]:
        mock.add(method, path, status=201 if method == "POST" else 200, payload={"data": created})
    attrs = {"title": "T"}
    results = [
        await client.create_property(attrs),
        await client.create_room_type(attrs),
        await client.update_room_type("rt1", attrs),
        await client.create_rate_plan(attrs),
        await client.create_webhook(attrs),
        await client.update_webhook("w1", attrs),
    ]
    assert results == [created] * 6
    assert [(s.method, s.url.removeprefix(BASE), s.body) for s in mock.sent()] == [
        ("POST", "/properties", {"property": attrs}),
        ("POST", "/room_types", {"room_type": attrs}),
        ("PUT", "/room_types/rt1", {"room_type": attrs}),
        ("POST", "/rate_plans", {"rate_plan": attrs}),
        ("POST", "/webhooks", {"webhook": attrs}),
        ("PUT", "/webhooks/w1", {"webhook": attrs}),
    ]


# --------------------------------------------------------------------------- retry-after parsing

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"Retry-After": "Sat, 21 Nov 2026 12:01:00 GMT"}, 60.0),
        ({"Retry-After": "Sat, 21 Nov 2026 11:59:00 GMT"}, 0.0),
        ({"X-RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, 45.0),
        ({"RateLimit-Reset": "12"}, 12.0),
        ({"RateLimit": "limit=10, remaining=0, reset=7"}, 7.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({}, None),
    ],
)
def test_retry_after_s(headers: dict[str, str], expected: float | None) -> None:
    assert transport.retry_after_s(CIMultiDict(headers), NOW) == expected
