"""Retention end to end: a booking long over is forgotten; what Channex sends about it later —
the old webhook delivered again, a late modification, a late cancellation — parks as
`booking_forgotten` in `/status` (never acked, sistema-os untouched), and marking one handled
acks it, as for any parked booking."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from middleware.domain import retention as forgetting
from tests.flow import ota
from tests.flow.harness import start_system
from tests.kit.backends import Backend
from tests.web.test_admin_wakeups import done

D = date.fromisoformat
KEEP_DAYS = 90
FAST = {"CHANNEX_SYNC_DAYS": "60", "ARI_DEBOUNCE": "0.1", "ARI_MAX_DELAY": "0.5"}
LATER_S = 200 * 86400  # from 31 Oct 2026 to mid-May 2027: the December stay is long over


async def test_late_news_of_a_forgotten_booking_parks_and_never_reaches_the_pms(
    tmp_path: Path,
    backend: Backend,
) -> None:
    async with start_system(tmp_path, backend, extra_env=FAST) as system:
        await system.full_sync()
        booking_id, new_rev = system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", D("2026-12-10"), D("2026-12-13"))],
        )
        await system.settle()
        (created,) = ota.pms_rooms(system, booking_id)
        store = system.context.runtime.store

        system.clock.advance(LATER_S)
        now = system.clock()
        report = await store.retention.forget_finished(forgetting.cutoffs(now, KEEP_DAYS), now)
        assert report.forgotten == 1

        # the old webhook delivered again ("resend latest revision": a fresh envelope time)
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for body in ota.delivered_bodies(system, new_rev):
            assert (await ota.post_webhook(system, {**body, "timestamp": stamp}))[0] == 200
        await system.settle()
        modified = system.channex.modify_booking(
            booking_id, rooms=[ota.room(system, "lvu", D("2026-12-11"), D("2026-12-13"))]
        )
        await system.settle()
        cancelled = system.channex.cancel_booking(booking_id)
        await system.settle()

        assert ota.pms_rooms(system, booking_id) == [created]  # as it was: CONFIRMADA
        assert ota.pms_creates(system) == 1
        assert ota.acks(system) == {new_rev: 1}
        status, body = await system.admin("GET", "/status")
        assert status == 200
        parked = body["bookings"]["needs_attention"]
        assert [(p["revision_id"], p["reason_code"], p["title"]) for p in parked] == [
            (revision_id, "booking_forgotten", "A change for a booking already forgotten")
            for revision_id in (new_rev, modified, cancelled)
        ]
        assert body["bookings"]["revisions"]["parked"] == 3

        status, closed = await system.admin(
            "POST",
            f"/admin/revisions/{cancelled}/handled",
            {"by": "Ana", "reason": "cancelled at the OTA after the stay; nothing to change"},
        )
        # the web records it and asks the worker, which does the ack
        assert (status, closed["handling"]["channex_ack"]) == (202, "pending")
        ack = (await done(system, closed["wakeup_id"]))["result"]["handling"]
        assert ack["channex_ack"] == "acked"
        assert ota.acks(system) == {new_rev: 1, cancelled: 1}
        assert ota.pms_rooms(system, booking_id) == [created]
