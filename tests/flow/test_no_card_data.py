"""No card number, CVV or expiry reaches a log line, a response, the store or sistema-os.

Bookings carrying a whole (unmasked) guarantee — as a PCI-enabled Channex account would send —
run through every shape of "Every booking whole" (new, multi-room, modified, cancelled with a
fee, a non_acked_booking), plus a hostile webhook with card data in its payload, while every
log line, every response body of the admin and operator routes, every row of every table of
the middleware's database, and every body sistema-os received are captured. The card's brand
and virtual flag did flow (sistema-os has them); the number, CVV, expiry and holder did not.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from middleware.sandbox.channex_delivery import envelope
from middleware.store.sqlite.store import SqliteStore
from tests.flow import ota
from tests.flow.harness import SECRET_HEADER, WEBHOOK_SECRET, System, start_system
from tests.flow.test_no_secrets import ENV, Client, stdlib_into, structlog_into
from tests.kit.backends import Backend
from tests.store_sql import rows

D = date.fromisoformat
IN, OUT = D("2026-12-10"), D("2026-12-12")
NUMBER, CVV, EXPIRY, HOLDER = "4000056655665556", "9731", "10/2031", "Cardholder Zebulon"
CARD = {
    "card_number": NUMBER,
    "card_type": "VI",
    "cardholder_name": HOLDER,
    "cvv": CVV,
    "expiration_date": EXPIRY,
    "is_virtual": True,
}
# Every form the card could take on its way through.
CARD_FORMS = (
    NUMBER,
    "4000 0566 5566 5556",
    "400005******5556",
    f'"{CVV}"',
    f"cvv={CVV}",
    EXPIRY,
    "10/31",
    HOLDER,
    "Zebulon",
)


async def test_card_data_goes_nowhere(
    tmp_path: Path, backend: Backend, capfd: pytest.CaptureFixture[str]
) -> None:
    structured, stdlib = io.StringIO(), io.StringIO()
    with structlog_into(structured):
        async with start_system(tmp_path, backend, extra_env=ENV) as system:
            with stdlib_into(stdlib):
                client = Client(system)
                await _flow(system, client)
                stored = await _every_stored_row(system)
            pms_bodies = [str(r.body) for r in system.pms.requests]
            held = system.pms.bookings()
    captured = capfd.readouterr()
    everything = {
        "structlog": structured.getvalue(),
        "stdlib": stdlib.getvalue(),
        "stdout": captured.out,
        "stderr": captured.err,
        "responses": "\n".join(client.bodies),
        "store": "\n".join(stored),
        "sistema-os": "\n".join(pms_bodies),
        "sistema-os bookings": "\n".join(repr(b) for b in held),
    }
    leaks = [
        (where, form) for where, text in everything.items() for form in CARD_FORMS if form in text
    ]
    assert leaks == []
    # The capture is real and what a hotel may keep did flow.
    payments = {b.payment for b in held if b.channex_booking_id}
    assert {(p.brand, p.virtual_card) for p in payments if p} == {("VI", True)}
    assert '"event":"booking_revision_processed"' in everything["structlog"]
    assert "/booking_revisions/" in everything["store"]  # the revision fetches were audited


async def _flow(system: System, client: Client) -> None:
    await system.full_sync()
    one, _ = system.channex.create_booking(
        guarantee=CARD,
        customer={"name": "Ana", "surname": "Lima"},
        rooms=[ota.room(system, "ov", IN, OUT), ota.room(system, "lvu", IN, OUT)],
        services=[{"name": "Breakfast", "total_price": "20.00"}],
    )
    two, hidden = system.channex.create_booking(
        guarantee=CARD, rooms=[ota.room(system, "lvl", IN, OUT)], deliver=False
    )
    await system.settle()
    system.channex.modify_booking(one, rooms=[{"from": 1}], notes="late arrival")
    system.channex.send_non_acked(hidden)
    await system.settle()
    system.channex.cancel_booking(two, fee="50.00")
    await system.settle()

    # A webhook that should never carry card data, but does: stored without it.
    payload = {"booking_id": one, "guarantee": CARD, "note": f"card {NUMBER} cvv={CVV}"}
    body = envelope("booking_unmapped_rate", system.property_id, payload, system.clock())
    status, _ = await client.call(
        "POST", "/webhook/channex", admin=False, json=body, headers={SECRET_HEADER: WEBHOOK_SECRET}
    )
    assert status == 200
    for path in (
        "/status",
        "/admin/webhooks",
        "/admin/revisions?status=acked",
        "/admin/calls?limit=100",  # MAX_LIMIT; the stored rows are all searched below
        "/admin/calls?service=pms",
        "/admin/calls?service=channex",
    ):
        status, text = await client.call("GET", path)
        assert status == 200, (path, text)


async def _every_stored_row(system: System) -> list[str]:
    store = system.context.runtime.store
    listing = (
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        if isinstance(store, SqliteStore)
        else "SELECT table_name AS name FROM information_schema.tables"
        " WHERE table_schema = 'public'"
    )
    stored: list[str] = []
    for (name,) in await rows(store, listing):
        for row in await rows(store, f'SELECT * FROM "{name}"'):  # noqa: S608
            stored.append(f"{name}: " + " | ".join(str(value) for value in row))
    return stored
