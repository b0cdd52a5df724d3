"""Admin routes: every one is off without ADMIN_TOKEN and refuses a wrong token; each does its
job against the whole system (both emulators and the real middleware on loopback)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.flow.harness import API_KEY, System, start_system
from tests.web.test_sync_routes import ADMIN, serve

D = date.fromisoformat
CHECKIN, CHECKOUT = D("2026-11-21"), D("2026-11-23")

ADMIN_ROUTES = [
    ("GET", "/admin/webhooks"),
    ("POST", "/admin/webhooks/process"),
    ("GET", "/admin/revisions"),
    ("POST", "/admin/revisions/rev-1/replay"),
    ("POST", "/admin/revisions/rev-1/handled"),
    ("POST", "/admin/feed/poll"),
    ("GET", "/admin/pushes"),
    ("GET", "/admin/outbox/failures"),
    ("POST", "/admin/outbox/retry"),
    ("GET", "/admin/calls"),
    ("POST", "/admin/parity/check"),
    ("GET", "/admin/wakeups/1"),
    ("GET", "/status"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_admin_routes_are_off_without_an_admin_token(
    tmp_path: Path, method: str, path: str
) -> None:
    async with serve(tmp_path, ADMIN_TOKEN=None) as app:
        for token in (None, ADMIN):
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            async with app.session.request(method, app.url + path, headers=headers) as response:
                assert response.status == 403
                assert await response.json() == {
                    "error": "admin routes are disabled: set ADMIN_TOKEN to enable them"
                }


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_admin_routes_refuse_a_wrong_token(tmp_path: Path, method: str, path: str) -> None:
    async with serve(tmp_path) as app:
        for header in (None, "Bearer wrong", f"Bearer {ADMIN}x", f"Basic {ADMIN}", ADMIN):
            headers = {} if header is None else {"Authorization": header}
            async with app.session.request(method, app.url + path, headers=headers) as response:
                assert response.status == 401
                assert response.headers["WWW-Authenticate"] == "Bearer"
                assert await response.json() == {
                    "error": "a valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required"
                }


async def admin(system: System, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return await system.admin(method, path, body)


def twin_booking(system: System) -> dict[str, Any]:
    return {
        "property_id": system.property_id,
        "rooms": [
            {
                "room_type_id": system.room_type_id("twin"),
                "rate_plan_id": system.rate_plan_id("twin", "bar"),
                "checkin_date": CHECKIN.isoformat(),
                "checkout_date": CHECKOUT.isoformat(),
                "adults": 2,
                "children": 0,
            }
        ],
    }


async def test_pushes_and_calls_list_what_went_out(tmp_path: Path) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        await system.full_sync()
        status, body = await admin(system, "GET", "/admin/pushes")
        assert status == 200
        pushes = body["pushes"]
        assert [(p["lane"]["kind"], p["status"], p["calls"], p["full_sync"]) for p in pushes] == [
            ("restrictions", "sent", 1, True),
            ("availability", "sent", 1, True),
        ]
        assert all(p["lane"]["property_id"] == system.property_id for p in pushes)
        assert all(len(p["task_ids"]) == 1 for p in pushes)
        _, one = await admin(system, "GET", "/admin/pushes?limit=1")
        assert one["pushes"] == pushes[:1]

        status, body = await admin(system, "GET", "/admin/calls?service=channex&limit=100")
        assert status == 200
        calls = body["calls"]
        assert {c["service"] for c in calls} == {"channex"}
        posts = [c["url"].rsplit("/", 1)[-1] for c in calls if c["method"] == "POST"]
        assert posts == ["restrictions", "availability"]
        assert API_KEY not in orjson.dumps(body).decode()
        _, pms_calls = await admin(system, "GET", "/admin/calls?service=pms")
        assert pms_calls["calls"]
        assert {c["service"] for c in pms_calls["calls"]} == {"pms"}


async def test_dead_letters_are_listed_and_retried(tmp_path: Path) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        await system.full_sync()
        system.channex.revoke_key()  # every push now answers 401: rejected, dead-lettered
        day = D("2026-11-25")
        system.pms.set_rate("twin", "bar", day, day, Decimal("222"))
        await system.settle()
        status, body = await admin(system, "GET", "/admin/outbox/failures")
        assert status == 200
        assert [
            (d["lane"]["kind"], d["pending"], d["in_flight"], d["dead"])
            for d in body["dead_lettered"]
        ] == [("restrictions", 0, 0, 1)]
        [failed] = body["failed_pushes"]
        assert (failed["status"], failed["lane"]["kind"]) == ("rejected", "restrictions")
        assert "401" in failed["error"]
        assert [n.kind for n in await system.context.runtime.store.notices.open_notices()] == [
            "dead_letter"
        ]

        system.channex.rotate_key(API_KEY)
        status, body = await admin(system, "POST", "/admin/outbox/retry", {"kind": "restrictions"})
        assert (status, body) == (200, {"retried": 1})
        await system.settle()
        plan = system.rate_plan_id("twin", "bar")
        held = system.channex.restrictions(system.property_id, day, day)[plan][day]
        assert held["rate"] == Decimal("222")
        _, body = await admin(system, "GET", "/admin/outbox/failures")
        assert body["dead_lettered"] == []
        assert await system.context.runtime.store.notices.open_notices() == []
        _, body = await admin(system, "POST", "/admin/outbox/retry")
        assert body == {"retried": 0}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{", "body must be JSON"),
        (b"[]", "body must be a JSON object"),
        (b'{"kind": "rates"}', "kind must be availability or restrictions"),
        (b'{"property_id": 7}', "property_id must be a string"),
        (
            b'{"kinds": ["availability"]}',
            "unknown keys ['kinds']; allowed: ['kind', 'property_id']",
        ),
    ],
)
async def test_retry_refuses_a_bad_body(tmp_path: Path, body: bytes, error: str) -> None:
    async with serve(tmp_path) as app:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        url = app.url + "/admin/outbox/retry"
        async with app.session.post(url, data=body, headers=headers) as response:
            assert (response.status, await response.json()) == (422, {"error": error})


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (
            "/admin/webhooks?status=lost",
            "status must be one of queued, duplicate, noted, ignored; got 'lost'",
        ),
        (
            "/admin/revisions?status=Parked",
            "status must be one of pending, applied, acked, stale, parked, handled, unknown;"
            " got 'Parked'",
        ),
        ("/admin/calls?service=qloapps", "service must be one of channex, pms; got 'qloapps'"),
        ("/admin/pushes?limit=0", "limit must be a whole number from 1 to 100; got '0'"),
        ("/admin/pushes?limit=101", "limit must be a whole number from 1 to 100; got '101'"),
        ("/admin/calls?limit=ten", "limit must be a whole number from 1 to 100; got 'ten'"),
        ("/admin/calls?limit=%C2%B2", "limit must be a whole number from 1 to 100; got '²'"),
        ("/admin/pushes?status=sent", "unknown query parameter 'status'; allowed: limit"),
        (
            "/admin/webhooks?stauts=queued",
            "unknown query parameter 'stauts'; allowed: limit, status",
        ),
        (
            "/admin/revisions?status=parked&status=acked",
            "query parameter 'status' is given twice",
        ),
    ],
)
async def test_list_filters_refuse_bad_values(tmp_path: Path, path: str, error: str) -> None:
    """A typo in a filter is refused with the reason, not answered with everything."""
    async with serve(tmp_path) as app:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        async with app.session.get(app.url + path, headers=headers) as response:
            assert (response.status, await response.json()) == (422, {"error": error})


async def test_list_filters_take_good_values(tmp_path: Path) -> None:
    async with serve(tmp_path) as app:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        for path, key in [
            ("/admin/webhooks?status=queued&limit=100", "events"),
            ("/admin/webhooks?status=", "events"),
            ("/admin/revisions?status=handled&limit=1", "revisions"),
            ("/admin/calls?service=pms", "calls"),
            ("/admin/pushes?limit=7", "pushes"),
        ]:
            async with app.session.get(app.url + path, headers=headers) as response:
                assert (response.status, await response.json()) == (200, {key: []})


async def test_a_parked_revision_is_listed_and_replayed(tmp_path: Path) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        await system.full_sync()
        direct = [system.pms.book_direct("twin", CHECKIN, CHECKOUT) for _ in range(10)]
        await system.settle()
        _, revision_id = system.channex.create_booking(**twin_booking(system))
        await system.settle()  # sistema-os answers 409 (no twin free): parked, not acked

        status, body = await admin(system, "GET", "/admin/revisions?status=parked")
        assert status == 200
        [row] = body["revisions"]
        assert (row["revision_id"], row["status"], row["revision_status"]) == (
            revision_id,
            "parked",
            "new",
        )
        store = system.context.runtime.store
        assert [n.ref for n in await store.notices.open_notices()] == [revision_id]

        status, body = await admin(system, "POST", "/admin/revisions/unknown-id/replay")
        assert (status, body) == (404, {"error": "revision unknown-id is not parked"})
        status, body = await admin(system, "GET", "/admin/revisions?status=lost")
        assert status == 422
        assert body["error"].startswith("status must be one of ")

        system.pms.cancel_direct(direct[0])  # the hotel frees a twin
        status, body = await admin(system, "POST", f"/admin/revisions/{revision_id}/replay")
        assert (status, body) == (202, {"status": "replaying", "revision_id": revision_id})
        await system.settle()
        stored = await store.revisions.get(revision_id)
        assert stored is not None
        assert stored.status == "acked"
        assert [b.channel for b in system.pms.bookings() if b.status != "CANCELADA"].count(
            "Booking.com"
        ) == 1
        assert await store.notices.open_notices() == []
        _, body = await admin(system, "GET", "/admin/revisions?status=parked")
        assert body["revisions"] == []
        status, body = await admin(system, "POST", f"/admin/revisions/{revision_id}/replay")
        assert status == 404  # acked now: nothing to replay
