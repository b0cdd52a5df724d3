"""`POST /sync/full` and `POST /sync/incremental` under hostile bodies and tokens, over
loopback HTTP; then the worker's ARI sync runs every stored request, extreme dates included.

`/sync/incremental` answers like `/webhook/pms` (same scope rules, the admin token instead of
the PMS one) and more strictly: an operator's request names only mapped categorias and dates
from today to the end of the horizon, and no other key. `/sync/full` ignores its body. 401
without the admin token, 503 with Channex switched off, never a 5xx otherwise; only accepted
requests are stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from middleware.worker.assembly import WorkerRuntime
from tests.hostile import served as sv
from tests.hostile import strategies as hs
from tests.hostile.test_webhook_pms_fuzz import (
    OVERSIZED,
    SCOPES,
    Scope,
    check_answer,
    expected_scope,
)
from tests.store_sql import sql

SYNC_DAYS = 30
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sv.Served]:
    # the clock stands still: a change notice must not wait PMS_READ_COALESCE for company
    env = {"CHANNEX_SYNC_DAYS": str(SYNC_DAYS), "PMS_READ_COALESCE": "0"}
    with sv.serve(tmp_path_factory.mktemp("sync-routes"), env) as app:
        yield app


def operator_scope(body: bytes) -> Scope | None:
    """What `/sync/incremental` accepts: a webhook scope of mapped categorias and dates
    inside the horizon, with no other key."""
    scope = expected_scope(body)
    if scope is None or not body.strip():
        return scope
    if set(orjson.loads(body)) - {"categorias", "date_from", "date_to"}:
        return None
    if not set(scope.room_codes or ()) <= set(sv.ROOM_CODES):
        return None
    first, last = sv.today(), sv.today() + timedelta(days=SYNC_DAYS - 1)
    for day in (scope.date_from, scope.date_to):
        if day is not None and not first.isoformat() <= day <= last.isoformat():
            return None
    return scope


def _headers(token: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


@FUZZ
@given(
    path=st.sampled_from(["/sync/incremental"] * 4 + ["/sync/full"]),
    body=hs.weighted((30, hs.bodies(SCOPES)), (1, st.just(OVERSIZED))),
    token=st.sampled_from([sv.ADMIN_TOKEN] * 10 + [None, "nope", sv.PMS_WEBHOOK_TOKEN, "Bearer"]),
)
def test_any_sync_request_gets_202_or_a_clear_4xx(
    served: sv.Served, path: str, body: bytes, token: str | None
) -> None:
    full = path == "/sync/full"
    source = "sync_full" if full else "sync_incremental"
    allowed = token == sv.ADMIN_TOKEN
    check_answer(
        served,
        path,
        body,
        _headers(token),
        allowed=allowed,
        source=source,
        full=full,
        predict=operator_scope,
    )


def test_worker_runs_every_accepted_scope_inside_the_horizon(served: sv.Served) -> None:
    """Scopes sistema-os may send at the edges of the calendar (its change notice is not held
    to the horizon) are read and pushed only within it: the ARI sync finishes every request
    and enqueues no day outside it."""
    scopes = [
        {"date_from": "0001-01-01", "date_to": "0001-01-02"},
        {"date_from": "9999-12-30", "date_to": "9999-12-31"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
        {"categorias": ["xx", "ção 🏨"], "date_to": "2026-11-25"},
        {},
    ]
    for scope in scopes:
        status, _, _ = served.post(
            "/webhook/pms", orjson.dumps(scope), _headers(sv.PMS_WEBHOOK_TOKEN)
        )
        assert status == 202
    runtime = WorkerRuntime.around(served.context.runtime)  # a worker on the web's database
    ids = [prop.property_id for prop in runtime.mapping]
    served.run(runtime.store.live.put_live(ids, sv.NOW, by="test"))  # pushes are enqueued
    while served.run(runtime.ari_sync.run_once()) is not None:
        pass
    pending = served.run(
        sql(runtime.store).fetchall("SELECT id FROM sync_requests WHERE status != 'done'")
    )
    assert [row["id"] for row in pending] == []
    days = served.run(sql(runtime.store).fetchall("SELECT DISTINCT day FROM outbox ORDER BY day"))
    first, last = sv.today(), sv.today() + timedelta(days=SYNC_DAYS - 1)
    assert days and first.isoformat() <= days[0]["day"] and days[-1]["day"] <= last.isoformat()
    backlog = served.run(runtime.store.outbox.backlog(sv.NOW))
    assert sum(lane.dead for lane in backlog) == 0


def test_sync_routes_answer_503_when_channex_is_off(tmp_path: Path) -> None:
    """Switched off, `/sync/*` refuse with 503 and store nothing; the PMS webhook still
    records its trigger (nothing is lost while the integration is off)."""
    with sv.serve(tmp_path, {"CHANNEX_ENABLED": "false"}) as app:
        for path in ("/sync/full", "/sync/incremental"):
            status, text, _ = app.post(path, b"{}", _headers(sv.ADMIN_TOKEN))
            assert (status, orjson.loads(text)) == (
                503,
                {"error": "Channex integration is disabled"},
            )
        assert app.snapshot()["sync_requests"] == {}
        status, _, _ = app.post("/webhook/pms", b"{}", _headers(sv.PMS_WEBHOOK_TOKEN))
        assert status == 202
        assert len(app.snapshot()["sync_requests"]) == 1
