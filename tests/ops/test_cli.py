"""`python -m middleware <command>`: each command against a real SQLite file and mapping file
(and, for `check`, both emulators on loopback), through `cli.run` with captured output."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from middleware.domain.attention import BookingFacts, ParkNote, ParkReason
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.domain.mapping import RatePlanMap, RoomTypeMap
from middleware.domain.models import CellKey, Cells, Lane
from middleware.mapping_file import load_mapping, write_mapping
from middleware.ops import cli
from middleware.sandbox.pms import PmsEmulator
from middleware.sandbox.processes import ROOT
from middleware.serving import serve_app
from middleware.store import live
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.store import SqliteStore
from tests.test_processes import emulators
from tests.web.operator_kit import CHECKS
from tests.web.test_sync_routes import MAPPING

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
D = date.fromisoformat


def fixed_clock() -> datetime:
    return NOW


def base_env(tmp_path: Path) -> dict[str, str]:
    mapping_path = tmp_path / "mapping.json"
    if not mapping_path.exists():
        write_mapping(mapping_path, MAPPING)
    return {
        "CHANNEX_API_KEY": "cli-test-key-0123456789",
        "CHANNEX_BASE_URL": "http://127.0.0.1:9/api/v1",
        "PMS_BASE_URL": "http://127.0.0.1:9",
        "MAPPING_FILE": str(mapping_path),
        "DATABASE_PATH": str(tmp_path / "m.db"),
    }


async def run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await cli.run(argv, env, out=out, err=err, env_file=None, clock=fixed_clock)
    return code, out.getvalue(), err.getvalue()


@contextlib.asynccontextmanager
async def database(tmp_path: Path, name: str = "m.db") -> AsyncIterator[SqliteStore]:
    store = await SqliteStore.open(tmp_path / name)
    try:
        yield store
    finally:
        await store.close()


async def sync_rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    async with database(tmp_path) as store:
        rows = await store.db.fetchall(
            "SELECT id, source, full_sync, room_codes, date_from, date_to, status"
            " FROM sync_requests ORDER BY id"
        )
    return [tuple(row) for row in rows]


# --------------------------------------------------------------------------- settings


async def test_bad_settings_exit_2_naming_every_problem(tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"WORKER_INTERVAL": "soon", "CHANNEX_API_KEY": ""}
    code, out, err = await run(["status"], env)
    assert (code, out) == (2, "")
    assert err == (
        "error: invalid configuration: WORKER_INTERVAL=soon: expected a number;"
        " CHANNEX_API_KEY is required while CHANNEX_ENABLED is true\n"
    )


@pytest.mark.parametrize("argv", [["status"], ["check"], ["sync", "full"]])
async def test_a_missing_mapping_file_exits_2(tmp_path: Path, argv: list[str]) -> None:
    missing = tmp_path / "nowhere.json"
    code, out, err = await run(argv, base_env(tmp_path) | {"MAPPING_FILE": str(missing)})
    assert (code, out) == (2, "")
    assert err == (
        f"error: invalid mapping file: {missing}: cannot be read (No such file or directory)\n"
    )


def test_the_module_runs_as_a_command(tmp_path: Path) -> None:
    """The real entry point: argparse usage errors exit 2, and settings come from the env."""
    env = {"PATH": "", "PYTHONPATH": str(ROOT), **base_env(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "middleware", "sync", "full"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "sync request 1 recorded (full); the worker runs it next pass\n"
        "Duke Beach (prop-1): live now: the full sync pushes the whole horizon\n"
    )
    bad = subprocess.run(
        [sys.executable, "-m", "middleware", "frobnicate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "invalid choice: 'frobnicate'" in bad.stderr


# --------------------------------------------------------------------------- sync


async def test_sync_full_and_incremental_record_requests_for_the_worker(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    assert await run(["sync", "full"], env) == (
        0,
        "sync request 1 recorded (full); the worker runs it next pass\n"
        "Duke Beach (prop-1): live now: the full sync pushes the whole horizon\n",
        "",
    )
    argv = ["sync", "incremental", "--categorias", "lvu, ov", "--from", "2026-12-01"]
    assert await run([*argv, "--to", "2026-12-03"], env) == (
        0,
        "sync request 2 recorded (incremental: lvu, ov, 2026-12-01 .. 2026-12-03);"
        " the worker runs it next pass\n",
        "",
    )
    assert await run(["sync", "incremental"], env) == (
        0,
        "sync request 3 recorded (incremental: every categoria, today .. end of horizon);"
        " the worker runs it next pass\n",
        "",
    )
    assert await sync_rows(tmp_path) == [
        (1, "cli_sync_full", 1, None, None, None, "pending"),
        (2, "cli_sync_incremental", 0, '["lvu","ov"]', "2026-12-01", "2026-12-03", "pending"),
        (3, "cli_sync_incremental", 0, None, None, None, "pending"),
    ]


async def test_the_first_sync_full_puts_the_property_live_once(tmp_path: Path) -> None:
    """Before it, an incremental sync says the property is not live; the first full sync
    records who put it live and when, and a later one changes neither."""
    env = base_env(tmp_path) | {"USER": "maria"}
    assert await run(["sync", "incremental"], env) == (
        0,
        "sync request 1 recorded (incremental: every categoria, today .. end of horizon);"
        " the worker runs it next pass\n"
        "Duke Beach (prop-1): not live yet: nothing is sent to Channex until `sync full`\n",
        "",
    )
    async with database(tmp_path) as store:
        assert await store.live.live_properties() == {}
    assert await run(["sync", "full"], env) == (
        0,
        "sync request 2 recorded (full); the worker runs it next pass\n"
        "Duke Beach (prop-1): live now: the full sync pushes the whole horizon\n",
        "",
    )
    first = live.LiveProperty(
        property_id="prop-1", since=NOW, by="python -m middleware sync full (user maria)"
    )
    async with database(tmp_path) as store:
        assert await store.live.live_properties() == {"prop-1": first}
    later = env | {"USER": "joao"}
    assert await run(["sync", "full"], later) == (
        0,
        "sync request 3 recorded (full); the worker runs it next pass\n",
        "",
    )
    async with database(tmp_path) as store:
        assert await store.live.live_properties() == {"prop-1": first}
    assert [row[1:3] for row in await sync_rows(tmp_path)] == [
        ("cli_sync_incremental", 0),
        ("cli_sync_full", 1),
        ("cli_sync_full", 1),
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--categorias", "lvu,xyz"], "categorias not in the mapping: xyz; mapped: lvu, ov"),
        (
            ["--from", "2026-10-30"],
            "date_from 2026-10-30 is in the past (today at the hotel is 2026-10-31)",
        ),
        (
            ["--to", "2028-03-14"],
            "date_to 2028-03-14 is beyond the sync horizon (CHANNEX_SYNC_DAYS:"
            " last day 2028-03-13)",
        ),
    ],
)
async def test_sync_incremental_refuses_what_it_would_not_do(
    tmp_path: Path, args: list[str], error: str
) -> None:
    """As `POST /sync/incremental` does: exit 2, one message, nothing recorded."""
    code, out, err = await run(["sync", "incremental", *args], base_env(tmp_path))
    assert (code, out, err) == (2, "", f"error: {error}\n")
    assert await sync_rows(tmp_path) == []


TWO_HOTELS = ChannexMapping(
    (
        MAPPING.properties[0],
        dataclasses.replace(
            MAPPING.properties[0],
            property_id="prop-2",
            name="Sea View",
            room_types=(  # "lvu" too: codes are unique per hotel only
                RoomTypeMap(
                    room_code="lvu",
                    room_type_id="rt-sea-lvu",
                    rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-sea-lvu"),),
                ),
            ),
        ),
    )
)


async def property_rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    async with database(tmp_path) as store:
        rows = await store.db.fetchall("SELECT id, property_id, room_codes FROM sync_requests")
    return [tuple(row) for row in rows]


async def test_sync_incremental_for_one_hotel_by_id_or_name(tmp_path: Path) -> None:
    """`--property` scopes the request to one hotel as `POST /webhook/pms`'s `property` does:
    its own categorias only; without it a code two hotels share concerns both."""
    write_mapping(tmp_path / "mapping.json", TWO_HOTELS)
    env = base_env(tmp_path)
    argv = ["sync", "incremental", "--property", "Sea View", "--categorias", "lvu"]
    assert await run(argv, env) == (
        0,
        "sync request 1 recorded (incremental: Sea View (prop-2): lvu, today .. end of"
        " horizon); the worker runs it next pass\n"
        "Sea View (prop-2): not live yet: nothing is sent to Channex until `sync full`\n",
        "",
    )
    code, out, _ = await run(["sync", "incremental", "--property", "prop-1"], env)
    assert (code, out.splitlines()[0]) == (
        0,
        "sync request 2 recorded (incremental: Duke Beach (prop-1): every categoria, today .."
        " end of horizon); the worker runs it next pass",
    )
    code, out, _ = await run(["sync", "incremental", "--categorias", "lvu"], env)
    assert (code, out.splitlines()[0]) == (
        0,
        "sync requests 3, 4 recorded (incremental: lvu, today .. end of horizon);"
        " the worker runs it next pass",
    )
    assert await property_rows(tmp_path) == [
        (1, "prop-2", '["lvu"]'),
        (2, "prop-1", None),
        (3, "prop-1", '["lvu"]'),
        (4, "prop-2", '["lvu"]'),
    ]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["--property", "Nowhere Inn"],
            "--property 'Nowhere Inn' is not mapped; mapped: Duke Beach (prop-1),"
            " Sea View (prop-2)",
        ),
        (
            ["--property", "prop-2", "--categorias", "ov"],
            "categorias not in the mapping of Sea View: ov; mapped: lvu",
        ),
    ],
)
async def test_sync_incremental_refuses_an_unknown_hotel_or_another_hotels_room(
    tmp_path: Path, args: list[str], error: str
) -> None:
    write_mapping(tmp_path / "mapping.json", TWO_HOTELS)
    code, out, err = await run(["sync", "incremental", *args], base_env(tmp_path))
    assert (code, out, err) == (2, "", f"error: {error}\n")
    assert await sync_rows(tmp_path) == []


async def test_sync_refuses_a_reversed_range_and_a_disabled_integration(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    reversed_range = ["sync", "incremental", "--from", "2026-12-03", "--to", "2026-12-01"]
    assert await run(reversed_range, env) == (
        2,
        "",
        "error: --to 2026-12-01 is before --from 2026-12-03\n",
    )
    disabled = env | {"CHANNEX_ENABLED": "false"}
    assert await run(["sync", "full"], disabled) == (
        1,
        "",
        "error: Channex integration is disabled (CHANNEX_ENABLED=false)\n",
    )
    assert await sync_rows(tmp_path) == []


# --------------------------------------------------------------------------- replay, retry


async def parked_and_pending(tmp_path: Path) -> None:
    """Revision `rev-parked` parked ("no free apartment") and `rev-pending` pending."""
    async with database(tmp_path) as store:
        async with store.db.transaction() as conn:
            for revision_id in ("rev-parked", "rev-pending"):
                await sqlite_revisions.enqueue(
                    conn,
                    revision_id=revision_id,
                    booking_id="bk-1",
                    property_id="prop-1",
                    source="webhook",
                    now=NOW,
                )
        await store.revisions.park("rev-parked", "no free apartment", NOW)


async def test_replay_puts_a_parked_revision_back_and_refuses_others(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    await parked_and_pending(tmp_path)
    assert await run(["replay", "rev-parked"], env) == (
        0,
        "revision rev-parked is pending again; the worker replays it next pass\n",
        "",
    )
    for revision_id in ("rev-parked", "rev-pending", "rev-unknown"):
        assert await run(["replay", revision_id], env) == (
            1,
            "",
            f"error: revision {revision_id} is not parked\n",
        )
    async with database(tmp_path) as store:
        row = await store.revisions.get("rev-parked")
    assert row is not None
    assert row.status == "pending"


async def test_handled_closes_a_parked_revision_and_reports_the_ack(tmp_path: Path) -> None:
    env = base_env(tmp_path)  # Channex at 127.0.0.1:9: nothing listens, the ack fails
    await parked_and_pending(tmp_path)
    argv = ["handled", "rev-parked", "--by", "Ana", "--reason", "moved to room 12 by phone"]
    code, out, err = await run(argv, env)
    assert (code, out) == (
        1,
        f"revision rev-parked handled by Ana at {NOW.isoformat()}; NOT acked at Channex\n",
    )
    assert err.startswith("error: the ack failed: channex: ")
    assert err.endswith("; run 'handled' again to retry the ack\n")
    async with database(tmp_path) as store:
        row = await store.revisions.get("rev-parked")
        assert row is not None and row.status == "handled"
        assert await store.revisions.oldest_unacked() == NOW  # rev-pending only
    async with emulators(tmp_path) as up:  # a Channex that answers: it does not know the id
        again = env | {"CHANNEX_BASE_URL": up["CHANNEX_BASE_URL"]}
        again |= {"CHANNEX_API_KEY": up["CHANNEX_API_KEY"]}
        assert await run(argv, again) == (
            0,
            f"revision rev-parked handled by Ana at {NOW.isoformat()};"
            " no ack: Channex does not know this revision: nothing to ack\n",
            "",
        )
    async with database(tmp_path) as store:
        done = await store.revisions.handling("rev-parked")
    assert done is not None
    assert (done.by, done.reason, done.channex_ack) == (
        "Ana",
        "moved to room 12 by phone",
        "not_needed",
    )
    for revision_id in ("rev-parked", "rev-pending"):
        assert await run(["handled", revision_id, "--by", "Ana", "--reason", "x"], env) == (
            1,
            "",
            f"error: revision {revision_id} is not parked\n",
        )
    assert await run(["handled", "rev-pending", "--by", " ", "--reason", "x"], env) == (
        2,
        "",
        "error: 'by' must be a name of 1 to 200 characters\n",
    )


async def test_retry_dead_returns_dead_letters_to_pending(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    lanes_cells: dict[Lane, Cells] = {
        Lane("prop-1", "availability"): {CellKey("rt-lvu", D("2026-11-05")): {"availability": 3}},
        Lane("prop-1", "restrictions"): {
            CellKey("rp-lvu", D("2026-11-05")): {"min_stay_arrival": 2},
            CellKey("rp-lvu", D("2026-11-06")): {"min_stay_arrival": 2},
        },
    }
    async with database(tmp_path) as store:
        for lane, cells in lanes_cells.items():
            await store.outbox.enqueue(lane, cells, NOW)
            claim = await store.outbox.claim(lane, NOW, lease_s=60)
            assert claim is not None
            await store.outbox.reject(claim, NOW, error="HTTP 422")
    assert await run(["retry-dead", "--kind", "restrictions"], env) == (
        0,
        "2 dead-lettered change(s) back to pending\n",
        "",
    )
    assert await run(["retry-dead"], env) == (0, "1 dead-lettered change(s) back to pending\n", "")
    assert await run(["retry-dead"], env) == (0, "0 dead-lettered change(s) back to pending\n", "")
    async with database(tmp_path) as store:
        backlog = await store.outbox.backlog(NOW)
    assert sorted((b.lane.kind, b.pending, b.dead) for b in backlog) == [
        ("availability", 1, 0),
        ("restrictions", 2, 0),
    ]


# --------------------------------------------------------------------------- import-legacy


async def test_import_legacy_imports_once_and_names_problems(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    legacy = tmp_path / "bookings.json"
    legacy.write_bytes(
        orjson.dumps(
            {
                "bk-1": {"pms_reserva_id": 101, "status": "new", "unique_id": "BDC-1"},
                "bk-2": {"pms_reserva_id": 102, "status": "cancelled"},
                "bk-3": {"status": "new"},
            }
        )
    )
    assert await run(["import-legacy", str(legacy)], env) == (
        1,
        "imported 2, skipped 0 already known\n",
        "problem: bk-3: no pms_reserva_id or qloapps_order_id\n",
    )
    code, out, _ = await run(["import-legacy", str(legacy)], env)
    assert (code, out) == (1, "imported 0, skipped 2 already known\n")
    missing = tmp_path / "none.json"
    code, out, err = await run(["import-legacy", str(missing)], env)
    assert (code, out) == (1, "imported 0, skipped 0 already known\n")
    assert err.startswith(f"problem: {missing}: cannot be read")


# --------------------------------------------------------------------------- status


FACTS = BookingFacts(
    hotel="Duke Beach",
    ota="Booking.com",
    ota_code="9996013801",
    guest="Maria Silva",
    arrival=date(2026, 12, 10),
    departure=date(2026, 12, 13),
    room_types=("Ocean View",),
)
FULL = ParkNote(
    reason=ParkReason.PMS_NO_VACANCY,
    text="PMS has no free apartment: no ov apartment is free",
    details={"pms_detail": "“no ov apartment is free”"},
    facts=FACTS,
)
HEADLINE = (
    "Duke Beach · Booking.com 9996013801 · Maria Silva · Thu 10 Dec 2026 → Sun 13 Dec 2026"
    " · Ocean View"
)


async def _park_one(tmp_path: Path, revision_id: str = "rev-1", note: ParkNote = FULL) -> None:
    async with database(tmp_path) as store:
        async with store.db.transaction() as conn:
            await sqlite_revisions.enqueue(
                conn,
                revision_id=revision_id,
                booking_id="bk-1",
                property_id="prop-1",
                source="webhook",
                now=NOW,
            )
        await store.revisions.park(
            revision_id,
            note.text,
            NOW,
            notice_kind="booking_needs_attention",
            property_id="prop-1",
            note=note,
            notice_detail="a full hotel",
        )


async def test_status_as_text_and_as_json(tmp_path: Path) -> None:
    """A parked booking in hotel words, the time in the hotel's timezone."""
    env = base_env(tmp_path)
    await run(["sync", "full"], env)
    await _park_one(tmp_path)
    words = FULL.attention
    code, out, err = await run(["status", "--json"], env)
    assert (code, err) == (0, "")
    report = orjson.loads(out)
    assert report["now"] == NOW.isoformat()
    assert report["sync_requests"] == {"pending": 1, "last_error": None}
    assert [p["property_id"] for p in report["properties"]] == ["prop-1"]
    assert report["bookings"]["needs_attention"] == [
        {
            "revision_id": "rev-1",
            "booking_id": "bk-1",
            "reason": "PMS has no free apartment: no ov apartment is free",
            "reason_code": "pms_no_vacancy",
            "title": "No free room in sistema-os",
            "explanation": words.explanation,
            "next_step": words.next_step,
            "headline": HEADLINE,
            "hotel": "Duke Beach",
            "ota": "Booking.com",
            "ota_code": "9996013801",
            "guest": "Maria Silva",
            "arrival": "2026-12-10",
            "departure": "2026-12-13",
            "room_types": ["Ocean View"],
            "timezone": "America/Sao_Paulo",
            "since": "2026-10-31T09:00:00-03:00",
        }
    ]
    code, out, err = await run(["status"], env)
    assert (code, err) == (0, "")
    lane = "pending 0, in flight 0, dead 0; last success -; rate limit 0/10 used"
    assert out.splitlines() == [
        f"now {NOW.isoformat()}; Channex integration enabled",
        f"Duke Beach (prop-1): live since {NOW.isoformat()}"
        " (python -m middleware sync full (user unknown)); last full sync -",
        f"  availability  {lane}",
        f"  restrictions  {lane}",
        "booking revisions: acked 0, applied 0, handled 0, parked 1, pending 0, stale 0,"
        " unknown 0;"
        " oldest unacked 2026-10-31T12:00:00+00:00",
        f"  needs attention since 2026-10-31 09:00 America/Sao_Paulo: {HEADLINE}",
        f"    No free room in sistema-os: {words.explanation}",
        f"    next step: {words.next_step}",
        "    revision rev-1 (booking bk-1)",
        "webhooks waiting 0; sync requests pending 1",
        f"  booking_needs_attention ({NOW.isoformat()}): a full hotel",
    ]
    assert "sistema-os said: “no ov apartment is free”" in words.explanation


async def test_a_row_parked_by_an_earlier_version_reads_as_its_text(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    async with database(tmp_path) as store:
        async with store.db.transaction() as conn:
            await sqlite_revisions.enqueue(
                conn,
                revision_id="rev-old",
                booking_id=None,
                property_id="prop-1",
                source="feed",
                now=NOW,
            )
        await store.revisions.park("rev-old", "no free apartment", NOW)
    code, out, _ = await run(["status", "--json"], env)
    assert code == 0
    (item,) = orjson.loads(out)["bookings"]["needs_attention"]
    assert (item["reason_code"], item["title"], item["explanation"], item["headline"]) == (
        "legacy",
        "Needs attention",
        "no free apartment",
        "Duke Beach",
    )


async def test_find_by_ota_code_or_guest_name(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    await _park_one(tmp_path)
    other = ParkNote(
        reason=ParkReason.ROOM_UNMAPPED_AT_OTA,
        text="needs attention: room 0: room type missing (unmapped at the OTA)",
        details={},
        facts=dataclasses.replace(FACTS, ota_code="HM5MBZ1AVA", guest="João Souza", ota="Airbnb"),
    )
    await _park_one(tmp_path, "rev-2", other)
    code, out, err = await run(["find", "maria"], env)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{HEADLINE}: parked (revision rev-1, received 2026-10-31 09:00 America/Sao_Paulo)",
        f"  No free room in sistema-os: {FULL.attention.explanation}",
        f"  next step: {FULL.attention.next_step}",
    ]
    code, out, _ = await run(["find", "hm5mbz", "--json"], env)
    assert [(f["revision_id"], f["guest"], f["ota"]) for f in orjson.loads(out)] == [
        ("rev-2", "João Souza", "Airbnb")
    ]
    code, out, _ = await run(["find", "nobody"], env)
    assert (code, out) == (0, "no booking revision matches 'nobody'\n")


# --------------------------------------------------------------------------- check


async def test_check_passes_with_everything_up_and_fails_without_the_pms(tmp_path: Path) -> None:
    async with emulators(tmp_path) as env:
        async with database(tmp_path, Path(env["DATABASE_PATH"]).name) as store:
            await store.audit.heartbeat("worker", NOW - timedelta(seconds=5))
        code, out, err = await run(["check"], env)
        assert (code, err) == (0, ""), out
        lines = out.splitlines()
        assert [line.split()[:2] for line in lines] == [
            ["warn" if name == "live" else "ok", name] for name in CHECKS
        ]
        assert lines[6] == "ok    worker           last heartbeat 5 s ago"
        prop = load_mapping(Path(env["MAPPING_FILE"])).properties[0]
        assert lines[9:] == [
            "ok    webhook          secret header X-Channex-Webhook-Secret required",
            f"warn  live             {prop.name} ({prop.property_id}): not live yet, nothing is"
            " sent to Channex until the first full sync (POST /sync/full or python -m middleware"
            " sync full)",
        ]
        stopped_pms = env | {"PMS_BASE_URL": await _stopped_pms_url()}
        code, out, _ = await run(["check"], stopped_pms)
        assert code == 1
        failed = [line for line in out.splitlines() if line.startswith("FAIL")]
        assert len(failed) == 1
        assert failed[0].startswith("FAIL  pms              unreachable: ")


async def _stopped_pms_url() -> str:
    """The address of a sistema-os emulator that has been stopped (nothing listens there)."""
    async with serve_app(PmsEmulator(hotel="certification").app) as url:
        pass
    return url
