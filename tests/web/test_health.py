"""`GET /health`: one entry per check, 200 only when all pass, 503 naming the one that fails.

Each failure is made for real against the emulators (PMS down, a key revoked at Channex, a
mapped rate plan Channex does not have, an old heartbeat, an old unacked revision, a
dead-lettered push, a read-only database) and must fail ITS check alone. The clock stands
still, so every age in the details is exact. /health is open: no body may carry a secret.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import duke_beach_plan
from middleware.channex.setup import run_setup
from middleware.domain.mapping import Mapping
from middleware.ops.checks import REMOTE_CACHE_S, Checker
from middleware.sandbox.faults import FaultPlan
from middleware.sandbox.pms_faults import PmsFaultPlan
from tests.flow import ota
from tests.flow.harness import ADMIN_TOKEN, API_KEY, WEBHOOK_SECRET, System, start_system
from tests.store_sql import sql
from tests.web.operator_kit import CHECKS, INSTANT_ARI, NO_WORKER, FrozenClock, beat, get_text

PMS_TOKEN = "health-test-pms-token-55555"
SECRETS = (API_KEY, WEBHOOK_SECRET, ADMIN_TOKEN, PMS_TOKEN)
ENV = {**NO_WORKER, "PMS_API_TOKEN": PMS_TOKEN}
D = date.fromisoformat


def _detail_ok() -> dict[str, str]:
    """What each check says when all is well on a fresh Duke Beach system (one property)."""
    return {
        "settings": "valid; Channex integration enabled; 1 property(ies)",
        "database": "writable",
        "channex": "reachable, API key valid, property found",
        "mapping": "6 room types and their plans exist",
        "channex_settings": "state_length, min_stay_type, auto-update as needed",
        "pms": "",  # the emulator's address: filled in by `_expected`
        "worker": "last heartbeat 0 s ago",
        "outbox": "0 pending, 0 dead-lettered, oldest 0 s",
        "bookings": "oldest unacked revision 0 s (limit 1200 s), 0 need attention",
        "webhook": "secret header X-Channex-Webhook-Secret required",
        "live": "",  # names the property: filled in by `_expected`
    }


def _expected(
    system: System, *, passing: dict[str, str] | None = None, **failing: str
) -> dict[str, Any]:
    """The whole /health body: every check passing (with the usual detail, or the one in
    `passing`) except `failing` (name → its detail)."""
    prop = system.mapping.properties[0]
    details = {
        **_detail_ok(),
        "pms": f"reachable ({system.pms_url})",
        "live": f"{prop.name} ({prop.property_id}): live since 2026-10-31T12:00:00+00:00"
        " (test harness)",
        **(passing or {}),
    }
    return {
        "status": "failing" if failing else "ok",
        "checks": [
            {"name": name, "ok": name not in failing, "detail": failing.get(name, details[name])}
            for name in CHECKS
        ],
    }


async def _health(system: System) -> tuple[int, dict[str, Any]]:
    """GET /health; the raw text must not carry any secret, whatever the state."""
    status, text = await get_text(system, "/health")
    for secret in SECRETS:
        assert secret not in text
    body: dict[str, Any] = orjson.loads(text)
    return status, body


async def test_every_check_passes_on_a_healthy_system(tmp_path: Path) -> None:
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=ENV) as system:
        await beat(system)
        assert await _health(system) == (200, _expected(system))


async def test_quick_calls_spend_one_round_of_channex_gets_until_the_cache_expires(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=ENV) as system:
        await beat(system)
        seconds = [0.0]
        system.context.checker = Checker(system.context.runtime, monotonic=lambda: seconds[0])
        system.channex.reset_requests()
        pings_before = len(system.pms.requests)
        for _ in range(10):
            assert (await _health(system))[0] == 200
        await asyncio.gather(*(_health(system) for _ in range(10)))
        one_round = [
            ("GET", "/api/v1/properties/options"),
            ("GET", f"/api/v1/properties/{system.property_id}"),
            ("GET", "/api/v1/room_types/options"),
            ("GET", "/api/v1/rate_plans/options"),
        ]
        assert [(r.method, r.path) for r in system.channex.requests] == one_round
        assert len(system.pms.requests) - pings_before == 1
        seconds[0] += REMOTE_CACHE_S  # the cached answers are now too old
        assert (await _health(system))[0] == 200
        assert [(r.method, r.path) for r in system.channex.requests] == one_round * 2
        assert len(system.pms.requests) - pings_before == 2


async def test_pms_down_fails_the_pms_check_alone(tmp_path: Path) -> None:
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=ENV) as system:
        await beat(system)
        system.pms.faults = PmsFaultPlan(seed=1, down=True)
        status, body = await _health(system)
        assert status == 503
        pms = next(c for c in body["checks"] if c["name"] == "pms")
        assert pms["detail"].startswith("unreachable: ")
        assert body == _expected(system, pms=pms["detail"])


async def test_a_mapped_rate_plan_channex_does_not_have_fails_the_mapping_check_alone(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=ENV) as system:
        prop = system.mapping.properties[0]
        room = prop.room_types[0]
        bogus = dataclasses.replace(room.rate_plans[0], rate_plan_id="no-such-rate-plan")
        rooms = (
            dataclasses.replace(room, rate_plans=(bogus, *room.rate_plans[1:])),
            *prop.room_types[1:],
        )
        system.mapping = Mapping(properties=(dataclasses.replace(prop, room_types=rooms),))
        await system.restart()
        await beat(system)
        detail = f"not in Channex: rate plan {room.room_code}/{bogus.plan_code} (no-such-rate-plan)"
        assert await _health(system) == (503, _expected(system, mapping=detail))


async def test_a_stale_or_missing_heartbeat_fails_the_worker_check_alone(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with start_system(tmp_path, clock=clock, extra_env=ENV) as system:
        no_beat = "no heartbeat yet: is the worker running?"
        assert await _health(system) == (503, _expected(system, worker=no_beat))
        await beat(system)
        clock.advance(60)  # HEARTBEAT_STALE: 60 s old is still fresh
        fresh = {"worker": "last heartbeat 60 s ago"}
        assert await _health(system) == (200, _expected(system, passing=fresh))
        clock.advance(1)
        stale = "last heartbeat 61 s ago (stale)"
        assert await _health(system) == (503, _expected(system, worker=stale))


async def test_a_revoked_api_key_fails_the_channex_check_alone(tmp_path: Path) -> None:
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=ENV) as system:
        await beat(system)
        system.channex.revoke_key()
        skipped = {
            "mapping": "not checked: see the channex check",
            "channex_settings": "not checked: see the channex check",
        }
        expected = _expected(system, passing=skipped, channex="the API key was rejected")
        assert await _health(system) == (503, expected)


async def test_an_unacked_revision_fails_the_bookings_check_after_unacked_warn(
    tmp_path: Path,
) -> None:
    clock = FrozenClock()
    async with start_system(tmp_path, clock=clock, extra_env=ENV) as system:
        system.channex.create_booking(
            property_id=system.property_id,
            rooms=[ota.room(system, "lvu", D("2026-12-10"), D("2026-12-12"))],
        )
        await system.channex.deliver_pending()  # stored; no worker takes it
        assert (await system.context.runtime.store.revisions.counts())["pending"] == 1
        clock.advance(1200)
        await beat(system)
        at_limit = {"bookings": "oldest unacked revision 1200 s (limit 1200 s), 0 need attention"}
        assert await _health(system) == (200, _expected(system, passing=at_limit))
        clock.advance(1)
        await beat(system)
        late = "oldest unacked revision 1201 s (limit 1200 s), 0 need attention"
        assert await _health(system) == (503, _expected(system, bookings=late))


async def test_a_dead_lettered_push_fails_the_outbox_check_alone(tmp_path: Path) -> None:
    env = {**INSTANT_ARI, "OUTBOX_MAX_ATTEMPTS": "1", "PMS_API_TOKEN": PMS_TOKEN}
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=env) as system:
        await beat(system)
        await system.full_sync()
        system.channex.faults = FaultPlan(seed=3, p_5xx=1.0)
        system.pms.set_rate("lvu", "padrao", D("2026-11-20"), D("2026-11-20"), Decimal("444"))
        await system.settle()
        system.channex.faults = None
        assert await _health(system) == (
            503,
            _expected(system, outbox="0 pending, 1 dead-lettered, oldest 0 s"),
        )


async def test_a_database_that_cannot_be_written_fails_the_database_check_alone(
    tmp_path: Path,
) -> None:
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=ENV) as system:
        await beat(system)
        store = system.context.runtime.store
        await sql(store).fetchall("PRAGMA query_only = ON")
        try:
            detail = "not writable: attempt to write a readonly database"
            assert await _health(system) == (503, _expected(system, database=detail))
        finally:
            await sql(store).fetchall("PRAGMA query_only = OFF")
        assert await _health(system) == (200, _expected(system))


async def test_a_short_state_length_fails_the_channex_settings_check_until_setup_fixes_it(
    tmp_path: Path,
) -> None:
    """Someone set `state_length` below the horizon (and switched an auto-update on): /health
    names both; the setup script puts them back and the check passes."""
    monotonic = [0.0]
    async with start_system(tmp_path, clock=FrozenClock(), extra_env=ENV) as system:
        await beat(system)
        settings = system.channex.state.properties[system.property_id]["settings"]
        settings.update(state_length=365, allow_availability_autoupdate_on_cancellation=True)
        system.context.checker = Checker(system.context.runtime, monotonic=lambda: monotonic[0])
        pid = system.property_id
        wrong = (
            f"{pid}: state_length 365 is shorter than CHANNEX_SYNC_DAYS (500); "
            f"{pid}: allow_availability_autoupdate_on_cancellation is on; "
            "run scripts/setup_channex_duke.py to fix"
        )
        assert await _health(system) == (503, _expected(system, channex_settings=wrong))
        client = ChannexClient(system.session, system.channex_url + "/api/v1", API_KEY)
        report = await run_setup(
            client,
            duke_beach_plan(),
            mapping_path=tmp_path / "mapping.json",
            webhook_url=None,
            webhook_secret=None,
            secret_header="X-Channex-Webhook-Secret",
            dry_run=False,
            sync_days=500,
        )
        assert [a.name for a in report.actions if a.kind == "property settings"] == [
            "allow_availability_autoupdate_on_cancellation=False, state_length=500"
        ]
        monotonic[0] += 60  # past the probe cache
        assert await _health(system) == (200, _expected(system))
