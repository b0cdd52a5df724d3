"""No secret and no guest contact detail leaves the middleware's own output.

A whole flow — full sync, an OTA booking carrying the guest's e-mail and phone (webhook →
revision fetch → PMS → ack), a price change in the PMS, `/status`, `/health`, `/metrics`, the
admin lists, a webhook with a wrong secret, a booking parked by the PMS's 409 — runs while
every middleware log line (structlog as JSON, stdlib and uvicorn loggers, and whatever reached
stdout/stderr) is captured, with every response body the test received, the metrics text and
the audit rows of every HTTP call. None may contain the API key, the webhook secret, the admin
token, the PMS tokens or the guests' e-mail addresses and phone numbers.

The contact details did flow: the PMS emulator stores them, and the audit rows of the revision
fetch and the PMS booking call show where they were masked.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import structlog

from middleware.logs import configure_logging
from middleware.sandbox.channex_delivery import envelope
from tests.flow import ota
from tests.flow.harness import (
    ADMIN_TOKEN,
    API_KEY,
    SECRET_HEADER,
    WEBHOOK_SECRET,
    System,
    start_system,
)
from tests.kit.backends import Backend

D = date.fromisoformat
PMS_TOKEN = "no-secrets-pms-api-token-31337"
PMS_WEBHOOK_TOKEN = "no-secrets-pms-webhook-token-4242"
SECRETS = (API_KEY, WEBHOOK_SECRET, ADMIN_TOKEN, PMS_TOKEN, PMS_WEBHOOK_TOKEN)
GUESTS = [
    {"mail": "ana.lima@example.com", "phone": "+55 48 99999-0000"},
    {"mail": "joao.park@example.org", "phone": "(48) 3222-7777"},
]
# Every form a guest's contact detail could take on its way through.
CONTACT_FORMS = (
    "ana.lima@example.com",
    "ana.lima",
    "+55 48 99999-0000",
    "5548999990000",
    "99999-0000",
    "999990000",
    "joao.park@example.org",
    "joao.park",
    "(48) 3222-7777",
    "3222-7777",
    "4832227777",
)
ENV = {
    "ARI_DEBOUNCE": "0.1",
    "ARI_MAX_DELAY": "0.5",
    "CHANNEX_SYNC_DAYS": "60",
    "PMS_API_TOKEN": PMS_TOKEN,
    "PMS_WEBHOOK_TOKEN": PMS_WEBHOOK_TOKEN,
    "LOG_LEVEL": "DEBUG",
}
STDLIB_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "aiohttp", "asyncio")


@contextmanager
def structlog_into(stream: io.StringIO) -> Iterator[None]:
    """The middleware's structlog output as JSON lines into `stream`, every level."""
    before = structlog.get_config()
    configure_logging("DEBUG", as_json=True, stream=stream, secrets=SECRETS)
    try:
        yield
    finally:
        structlog.configure(**before)


@contextmanager
def stdlib_into(stream: io.StringIO) -> Iterator[None]:
    """What the stdlib loggers emit (uvicorn's, aiohttp's, asyncio's, the root's) into
    `stream` too, at the levels the processes run them (uvicorn at warning, the rest at the
    root's): library DEBUG output such as aiosqlite's parameter dumps is never switched on."""
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in STDLIB_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


class Client:
    """Requests to the middleware, keeping every response body as received."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.bodies: list[str] = []

    async def call(
        self, method: str, path: str, *, admin: bool = True, **kwargs: Any
    ) -> tuple[int, str]:
        headers = dict(kwargs.pop("headers", {}))
        if admin:
            headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        async with self.system.session.request(
            method, self.system.url + path, headers=headers, **kwargs
        ) as response:
            text = await response.text()
        self.bodies.append(text)
        return response.status, text


def _book(system: System, code: str, guest: dict[str, str]) -> tuple[str, str]:
    name, surname = guest["mail"].split("@")[0].split(".")
    return system.channex.create_booking(
        property_id=system.property_id,
        rooms=[ota.room(system, code, D("2026-12-10"), D("2026-12-13"))],
        customer=ota.customer(name.title(), surname.title(), **guest),
    )


async def test_no_secret_or_guest_contact_in_logs_responses_metrics_or_audit(
    tmp_path: Path, backend: Backend, capfd: pytest.CaptureFixture[str]
) -> None:
    structured, stdlib = io.StringIO(), io.StringIO()
    with structlog_into(structured):
        async with start_system(tmp_path, backend, extra_env=ENV) as system:
            system.pms.middleware_token = PMS_WEBHOOK_TOKEN
            with stdlib_into(stdlib):
                client = Client(system)
                audit_rows = await _flow(system, client)
    captured = capfd.readouterr()
    logs = structured.getvalue()
    everything = {
        "structlog": logs,
        "stdlib": stdlib.getvalue(),
        "stdout": captured.out,
        "stderr": captured.err,
        "responses": "\n".join(client.bodies),
        "audit": "\n".join(audit_rows),
    }
    leaks = [
        (where, private)
        for where, text in everything.items()
        for private in (*SECRETS, *CONTACT_FORMS)
        if private in text
    ]
    assert leaks == []

    # The data flowed: the PMS has the first guest's contact details...
    guests = [(b.guest.email, b.guest.phone) for b in system.pms.bookings() if b.channex_booking_id]
    assert guests == [(GUESTS[0]["mail"], GUESTS[0]["phone"])]
    # ...and the capture is real: the flow's own log lines, answers and audit rows are in it.
    assert any(
        '"event":"message"' in b and "reach me at a***@*** or ***" in b for b in client.bodies
    )
    for event in (
        '"event":"webhook_rejected"',
        '"event":"booking_revision_processed"',
        '"outcome":"acked"',
        '"outcome":"parked"',
        '"event":"outbox_pushed"',
    ):
        assert event in logs
    masked = [row for row in audit_rows if '"mail":"***"' in row and '"phone":"***"' in row]
    assert len(masked) == 2  # the two revision fetches: contact fields masked by key
    pms_creates = [row for row in audit_rows if "POST" in row and "/channex/booking" in row]
    assert any('"hospede_email":"***"' in row for row in pms_creates)


async def _flow(system: System, client: Client) -> list[str]:
    status, _ = await client.call("POST", "/sync/full")
    assert status == 202
    await system.settle()

    booking_id, revision_id = _book(system, "lvu", GUESTS[0])
    await system.settle()
    assert ota.acks(system)[revision_id] == 1

    system.pms.set_rate("ov", "padrao", D("2026-11-25"), D("2026-11-25"), Decimal("321"))
    await system.settle()

    status, _ = await client.call(
        "POST",
        "/webhook/channex",
        admin=False,
        json={"event": "booking", "payload": {"booking_id": booking_id}},
        headers={SECRET_HEADER: "not-the-" + WEBHOOK_SECRET[8:]},
    )
    assert status == 401

    # A guest writes through the OTA: the message event is stored raw, as Channex sent it.
    guest = GUESTS[0]
    text = f"Hi, I arrive late, reach me at {guest['mail']} or {guest['phone']}"
    message = {"booking_id": booking_id, "message": text, "sender": "guest"}
    body = envelope("message", system.property_id, message, system.clock())
    status, answer = await client.call(
        "POST", "/webhook/channex", admin=False, json=body, headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert (status, answer) == (200, '{"status":"ignored"}')

    for _ in range(2):  # a full dlvu: the PMS answers 409 to the next OTA booking
        system.pms.book_direct("dlvu", D("2026-12-10"), D("2026-12-13"))
    await system.settle()
    _book(system, "dlvu", GUESTS[1])
    await system.settle()

    for path, admin, expected in [
        ("/status", True, 200),
        ("/health", False, 503),  # the parked booking needs attention
        ("/metrics", False, 200),
        ("/admin/webhooks", True, 200),
        ("/admin/revisions?status=acked", True, 200),
        ("/admin/revisions?status=parked", True, 200),
        ("/admin/pushes", True, 200),
        ("/admin/outbox/failures", True, 200),
        ("/admin/calls?limit=100", True, 200),
        ("/admin/calls?service=pms", True, 200),
        ("/admin/channex/validate-ids", True, 200),
    ]:
        status, text = await client.call("GET", path, admin=admin)
        assert status == expected, (path, text)
    parked = [b for b in client.bodies if '"reason":"PMS has no free apartment' in b]
    assert parked  # /status and the parked list show the 409 park
    rows = await system.context.runtime.store.audit.recent_calls(limit=100_000)
    return [
        " ".join(
            str(v) for v in (r.method, r.url, r.status, r.request_body, r.response_body, r.error)
        )
        for r in rows
    ]
