"""Closing parked work against the whole system (both emulators, the real middleware):
`POST /admin/revisions/{id}/handled` records who and why, acks the revision at Channex and
turns /health green; an id Channex does not know ends `unknown` without holding /health red."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.flow.harness import System, start_system
from tests.web.test_admin import CHECKIN, CHECKOUT, twin_booking


async def bookings_check(system: System) -> tuple[int, dict[str, Any]]:
    async with system.session.get(system.url + "/health") as response:
        body = await response.json()
    [check] = [c for c in body["checks"] if c["name"] == "bookings"]
    return response.status, check


async def parked_booking(system: System) -> str:
    """A Booking.com booking sistema-os refuses (no twin free): parked, not acked."""
    await system.full_sync()
    for _ in range(10):
        system.pms.book_direct("twin", CHECKIN, CHECKOUT)
    await system.settle()
    _, revision_id = system.channex.create_booking(**twin_booking(system))
    await system.settle()
    return revision_id


async def test_a_parked_revision_marked_handled_is_acked_and_health_turns_green(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        revision_id = await parked_booking(system)
        status, check = await bookings_check(system)
        assert (status, check["ok"]) == (503, False)
        assert check["detail"].endswith(", 1 need attention")
        assert revision_id not in system.channex.state.acked

        path = f"/admin/revisions/{revision_id}/handled"
        body = {"by": "Ana (front desk)", "reason": "guest moved to a double by phone"}
        status, answer = await system.admin("POST", path, body)
        assert status == 200
        handling = answer["handling"]
        at = handling.pop("at")
        assert handling.pop("ack_at") >= at  # ISO text in UTC: sorts as time
        assert answer == {
            "status": "handled",
            "handling": {
                "revision_id": revision_id,
                "by": "Ana (front desk)",
                "reason": "guest moved to a double by phone",
                "prior_status": "parked",
                "prior_reason": handling["prior_reason"],
                "channex_ack": "acked",
                "ack_detail": None,
            },
        }
        assert handling["prior_reason"].startswith("PMS has no free apartment")
        assert revision_id in system.channex.state.acked  # Channex's alarm stops
        status, check = await bookings_check(system)
        assert (status, check["ok"]) == (200, True)
        assert check["detail"].endswith(", 0 need attention")
        assert await system.context.runtime.store.notices.open_notices() == []
        row = await system.context.runtime.store.revisions.get(revision_id)
        assert row is not None and row.status == "handled"

        status, answer = await system.admin("POST", path, body)
        assert (status, answer) == (404, {"error": f"revision {revision_id} is not parked"})
        status, answer = await system.admin("GET", "/admin/revisions?status=handled")
        assert [r["revision_id"] for r in answer["revisions"]] == [revision_id]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (None, "body must be a JSON object with by, reason"),
        ({"by": "Ana"}, "'reason' must be text of 1 to 2000 characters"),
        ({"by": "", "reason": "x"}, "'by' must be a name of 1 to 200 characters"),
        (
            {"by": "Ana", "reason": "x", "ack": False},
            "unknown keys ['ack']; allowed: ['by', 'reason']",
        ),
        (["Ana", "x"], "body must be a JSON object"),
    ],
)
async def test_handled_needs_who_and_why(tmp_path: Path, body: Any, error: str) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        revision_id = await parked_booking(system)
        status, answer = await system.admin("POST", f"/admin/revisions/{revision_id}/handled", body)
        assert (status, answer) == (422, {"error": error})
        row = await system.context.runtime.store.revisions.get(revision_id)
        assert row is not None and row.status == "parked"


async def test_a_revision_channex_does_not_know_ends_unknown_and_health_stays_green(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        store = system.context.runtime.store
        await store.revisions.enqueue_many(
            [("forged-id", None, None)], system.clock(), source="feed"
        )
        await system.settle()
        row = await store.revisions.get("forged-id")
        assert row is not None and row.status == "unknown"
        status, check = await bookings_check(system)
        assert (status, check["ok"]) == (200, True)
        [notice] = await store.notices.open_notices()
        assert (notice.kind, notice.ref) == ("booking_revision_unknown", "forged-id")
        assert notice.detail.startswith("Channex does not know revision forged-id (HTTP 404)")

        body = {"by": "Ana", "reason": "not ours"}
        status, answer = await system.admin("POST", "/admin/revisions/forged-id/handled", body)
        assert status == 200
        assert (answer["handling"]["prior_status"], answer["handling"]["channex_ack"]) == (
            "unknown",
            "not_needed",
        )
        assert await store.notices.open_notices() == []
