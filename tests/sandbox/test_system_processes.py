"""`run_middleware` with several webs and workers on one PostgreSQL store: every child gets
DATABASE_URL, each web its own port and its own booking webhook — so one OTA booking reaches
both webs (twice each: Channex sends `booking` and `booking_new`), one stores it and the
three other deliveries find it a duplicate — and it is booked and acked once."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

from middleware import clock as clocks
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.processes import MiddlewareProcess
from middleware.sandbox.system_emulators import open_emulators
from middleware.sandbox.system_processes import run_middleware

WAIT_S = 60.0


async def _until_acked(channex: ChannexEmulator, revision_id: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while revision_id not in channex.state.acked:
        if time.monotonic() > deadline:
            raise AssertionError(f"revision {revision_id} not acked within {WAIT_S} s")
        await asyncio.sleep(0.1)


def _stored(web: MiddlewareProcess, revision_id: str) -> list[str]:
    """How `web` stored each delivery of the revision (queued or duplicate)."""
    return [
        event["status"]
        for event in web.events("webhook_stored")
        if event.get("revision_id") == revision_id
    ]


async def test_two_webs_and_two_workers_share_the_postgres_store(
    tmp_path: Path, pg_url: str
) -> None:
    env = {"DATABASE_URL": pg_url, "LOG_LEVEL": "INFO", "FEED_POLL_INTERVAL": "0"}
    async with (
        open_emulators(tmp_path, clock=clocks.utc_now) as emulators,
        run_middleware(emulators, tmp_path, split=True, env=env, webs=2, workers=2) as children,
    ):
        assert [p.name for p in children.all] == ["web", "web-2", "worker", "worker-2"]
        assert len(set(children.urls)) == 2
        assert all(p.env["DATABASE_URL"] == pg_url for p in children.all)
        prop = emulators.mapping.properties[0]
        room = prop.room_types[0]
        checkin = emulators.today() + timedelta(days=3)
        booking_id, revision_id = emulators.channex.create_booking(
            property_id=prop.property_id,
            rooms=[
                {
                    "room_type_id": room.room_type_id,
                    "rate_plan_id": room.rate_plans[0].rate_plan_id,
                    "checkin_date": checkin.isoformat(),
                    "checkout_date": (checkin + timedelta(days=1)).isoformat(),
                    "adults": 2,
                }
            ],
        )
        await emulators.channex.deliver_pending()
        await _until_acked(emulators.channex, revision_id)
        stored = [_stored(web, revision_id) for web in children.webs]
        acks = [r for r in emulators.channex.requests if r.path.endswith(f"{revision_id}/ack")]
        pms_rows = [b for b in emulators.pms.bookings() if b.channex_booking_id == booking_id]
    assert [len(each) for each in stored] == [2, 2]
    statuses = sorted(status for each in stored for status in each)
    assert statuses == ["duplicate", "duplicate", "duplicate", "queued"]
    assert [r.status for r in acks] == [200]
    assert [(b.checkin, b.checkout) for b in pms_rows] == [(checkin, checkin + timedelta(days=1))]
    assert not (tmp_path / "middleware.db").exists()  # nobody fell back to SQLite
