"""`POST /webhook/channex` over loopback HTTP: refusals store nothing, good events commit first."""

import asyncio
import dataclasses
import hashlib
import hmac
import ipaddress
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from starlette.applications import Starlette
from starlette.datastructures import Secret
from structlog.testing import capture_logs

from middleware.config import Settings
from middleware.serving import serve_app
from middleware.store.inbox import IntakeWriter
from middleware.store.sqlite.store import SqliteStore
from middleware.web import webhook_channex

SECRET = "whsec-test-0123456789abcdef"
HEADER = "X-Channex-Webhook-Secret"
CAP_BYTES = 4096
SETTINGS = Settings(
    channex_webhook_secret=Secret(SECRET),
    channex_webhook_max_body_bytes=CAP_BYTES,
    channex_webhook_replay_window_s=300,
)


@dataclasses.dataclass
class Server:
    url: str
    store: SqliteStore
    intake: IntakeWriter
    http: aiohttp.ClientSession

    async def post(
        self, body: bytes | Any, headers: dict[str, str] | None = None, *, secret: bool = True
    ) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **({HEADER: SECRET} if secret else {})}
        async with self.http.post(
            self.url + "/webhook/channex", data=body, headers={**sent, **(headers or {})}
        ) as response:
            return response.status, orjson.loads(await response.read())

    async def count(self, table: str) -> int:
        row = await self.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        assert row is not None
        return int(row[0])


ServerFactory = Callable[..., AbstractAsyncContextManager[Server]]


@pytest.fixture
def server(tmp_path: Path) -> ServerFactory:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Server]:
        settings = dataclasses.replace(SETTINGS, **overrides)
        store = await SqliteStore.open(tmp_path / "m.db")
        intake = IntakeWriter(store.inbox)
        await intake.start()
        app = Starlette(routes=webhook_channex.routes(intake, settings))
        try:
            async with serve_app(app) as url, aiohttp.ClientSession() as http:
                yield Server(url=url, store=store, intake=intake, http=http)
        finally:
            await intake.stop()
            await store.close()

    return start


def _now_text(delta_s: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=delta_s)).isoformat().replace("+00:00", "Z")


def booking(revision_id: str = "rev-1", event: str = "booking", **extra: Any) -> bytes:
    envelope = {
        "event": event,
        "payload": {"booking_id": "bk-1", "property_id": "prop-1", "revision_id": revision_id},
        "property_id": "prop-1",
        "user_id": None,
        "timestamp": _now_text(),
        **extra,
    }
    return orjson.dumps(envelope)


def _sign(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


async def test_good_booking_event_is_committed_before_200(server: ServerFactory) -> None:
    async with server() as s:
        body = booking()
        assert await s.post(body, {"X-Channex-Signature": "sha256=" + _sign(body)}) == (
            200,
            {"status": "queued"},
        )
        row = await s.store.db.fetchone("SELECT * FROM webhook_events")
        assert row is not None
        assert (row["event"], row["property_id"], row["booking_id"], row["revision_id"]) == (
            "booking",
            "prop-1",
            "bk-1",
            "rev-1",
        )
        assert (row["payload"], row["status"]) == (body.decode(), "queued")
        revisions = await s.store.db.fetchall(
            "SELECT revision_id, booking_id, source FROM revisions"
        )
        assert [tuple(r) for r in revisions] == [("rev-1", "bk-1", "webhook")]


async def test_one_revision_under_both_names_and_redelivered_is_one_row(
    server: ServerFactory,
) -> None:
    async with server() as s:
        answers = [
            await s.post(booking(event=name)) for name in ("booking", "booking_new", "booking")
        ]
        assert answers == [
            (200, {"status": "queued"}),
            (200, {"status": "duplicate"}),
            (200, {"status": "duplicate"}),
        ]
        assert (await s.count("revisions"), await s.count("webhook_events")) == (1, 3)


async def test_test_ping_is_answered_200_and_stored_as_ignored(server: ServerFactory) -> None:
    async with server() as s:
        assert await s.post(b'{"event": "test"}') == (200, {"status": "ignored"})
        nudge = orjson.dumps({"event": "booking_new", "property_id": "prop-1"})
        assert await s.post(nudge) == (200, {"status": "ignored"})
        rows = await s.store.db.fetchall("SELECT event, status FROM webhook_events ORDER BY id")
        assert [tuple(r) for r in rows] == [("test", "ignored"), ("booking_new", "ignored")]
        assert await s.count("revisions") == 0


async def test_unmapped_room_is_noted(server: ServerFactory) -> None:
    async with server() as s:
        body = orjson.dumps(
            {
                "event": "booking_unmapped_room",
                "payload": {"booking_id": "bk-7", "booking_revision_id": "rev-7"},
                "property_id": "prop-1",
                "timestamp": _now_text(),
            }
        )
        assert await s.post(body) == (200, {"status": "noted"})
        rows = await s.store.db.fetchall("SELECT kind, property_id, ref FROM notices")
        assert [tuple(r) for r in rows] == [("booking_unmapped_room", "prop-1", "rev-7")]


async def test_disabled_integration_still_stores_events(server: ServerFactory) -> None:
    async with server(channex_enabled=False) as s:
        assert await s.post(booking()) == (200, {"status": "queued"})
        assert await s.count("revisions") == 1


async def _chunked(body: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


OVERSIZE = booking(padding="x" * (CAP_BYTES * 3))
OLD = booking(timestamp=_now_text(-3600))


@pytest.mark.parametrize(
    ("overrides", "body", "headers", "secret", "expected"),
    [
        ({}, booking(), {HEADER: "wrong-secret"}, False, (401, {"error": "wrong secret"})),
        ({}, booking(), {}, False, (401, {"error": "missing secret header"})),
        (
            {},
            booking(),
            {"X-Channex-Signature": "sha256=" + "0" * 64},
            True,
            (401, {"error": "bad signature"}),
        ),
        (
            {"channex_allowed_ips": (ipaddress.ip_network("203.0.113.0/24"),)},
            booking(),
            {},
            True,
            (403, {"error": "ip not allowed"}),
        ),
        ({}, OLD, {}, True, (400, {"error": "stale event"})),
        (
            {},
            booking(timestamp=_now_text(3600)),
            {},
            True,
            (400, {"error": "timestamp in the future"}),
        ),
        ({}, OVERSIZE, {}, True, (413, {"error": f"body larger than {CAP_BYTES} bytes"})),
        ({}, b'{"event": "booking", ', {}, True, (400, {"error": "body is not valid JSON"})),
        ({}, b"", {}, True, (400, {"error": "body is not valid JSON"})),
        ({}, b'["booking"]', {}, True, (400, {"error": "body must be a JSON object"})),
        ({}, b'"booking"', {}, True, (400, {"error": "body must be a JSON object"})),
    ],
)
async def test_refusals_store_nothing_and_the_server_keeps_answering(
    server: ServerFactory,
    overrides: dict[str, Any],
    body: bytes,
    headers: dict[str, str],
    secret: bool,
    expected: tuple[int, dict[str, str]],
) -> None:
    async with server(**overrides) as s:
        with capture_logs() as logs:
            assert await s.post(body, headers, secret=secret) == expected
        assert logs == [
            {
                "event": "webhook_rejected",
                "log_level": "warning",
                "reason": expected[1]["error"],
                "client_ip": "127.0.0.1",
                "http_status": expected[0],
            }
        ]
        assert await s.count("webhook_events") == 0
        assert await s.count("revisions") == 0
        if not overrides:  # same server, a good request still goes through
            assert await s.post(booking()) == (200, {"status": "queued"})


async def test_oversize_body_without_content_length_is_refused(server: ServerFactory) -> None:
    """A chunked body declares no length; the stream is counted instead."""
    async with server() as s:
        assert await s.post(_chunked(OVERSIZE)) == (
            413,
            {"error": f"body larger than {CAP_BYTES} bytes"},
        )
        assert await s.count("webhook_events") == 0
        assert await s.post(_chunked(booking())) == (200, {"status": "queued"})


async def test_trusted_forwarded_for_is_checked_against_the_allowlist(
    server: ServerFactory,
) -> None:
    allow = (ipaddress.ip_network("203.0.113.0/24"),)
    async with server(channex_allowed_ips=allow, channex_trust_forwarded_for=True) as s:
        spoofed = {"X-Forwarded-For": "203.0.113.5, 198.51.100.1"}
        assert await s.post(booking(), spoofed) == (403, {"error": "ip not allowed"})
        assert await s.post(booking(), {"X-Forwarded-For": "203.0.113.5"}) == (
            200,
            {"status": "queued"},
        )


async def test_concurrent_posts_share_transactions(server: ServerFactory) -> None:
    async with server() as s:
        answers = await asyncio.gather(*(s.post(booking(f"rev-{i}")) for i in range(50)))
        assert answers == [(200, {"status": "queued"})] * 50
        assert (await s.count("webhook_events"), await s.count("revisions")) == (50, 50)
        assert s.intake.events_stored == 50
        assert s.intake.commits < 50


async def test_storage_failure_answers_503_so_channex_retries(server: ServerFactory) -> None:
    async with server() as s:
        await s.store.close()
        assert await s.post(booking()) == (503, {"error": "could not store the event, retry later"})
        assert await s.post(booking()) == (503, {"error": "could not store the event, retry later"})


async def test_secret_never_appears_in_logs_or_answers(server: ServerFactory) -> None:
    async with server() as s:
        with capture_logs() as logs:
            status, answer = await s.post(booking(), {HEADER: SECRET[:-1]}, secret=False)
            await s.post(booking())
        assert status == 401
        assert SECRET[:-1] not in repr(logs) + repr(answer)
        assert "bk-1" not in repr(logs[0])  # the refused body is not logged


async def test_declared_oversize_is_refused_before_the_body_is_read(server: ServerFactory) -> None:
    """Only headers are sent: the answer can come from the declared length alone."""
    async with server() as s:
        host, port = s.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST /webhook/channex HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"{HEADER}: {SECRET}\r\nContent-Length: 100000000\r\n\r\n".encode()
        )
        await writer.drain()
        async with asyncio.timeout(10):  # a guard against hanging, not a timing assertion
            head = await reader.readuntil(b"\r\n\r\n")
        writer.close()
        await writer.wait_closed()
        assert head.startswith(b"HTTP/1.1 413 ")
        assert await s.count("webhook_events") == 0
