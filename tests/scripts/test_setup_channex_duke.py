"""The setup script against the Channex emulator over loopback HTTP."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from middleware.channex.client import ChannexClient
from middleware.mapping_file import mapping_document
from middleware.sandbox.channex import ChannexEmulator
from middleware.serving import serve_app
from scripts import setup_channex_duke as setup

KEY = "setup-test-key-0001"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "setup_channex_duke.py"
HOOK = "https://middleware.example/webhook/channex"
SECRET_HEADER = "X-Channex-Webhook-Secret"
EVENT_MASK = (
    "booking;booking_new;booking_modification;booking_cancellation;"
    "booking_unmapped_room;booking_unmapped_rate;non_acked_booking;"
    "ari;sync_error;sync_warning;rate_error;disconnect_channel;disconnect_listing;"
    "channel_removal_warning;property_removal_warning"
)
# categoria, title, units, adults, default rate in minor units (pms-contract §1)
DUKE = [
    ("lvu", "Lateral Vista Urbana", 11, 2, "450.00"),
    ("dlvu", "De Luxe Vista Urbana", 2, 2, "600.00"),
    ("dlvl", "De Luxe Vista Lateral", 2, 2, "650.00"),
    ("lvl", "Lateral Vista Lateral", 11, 2, "500.00"),
    ("ov", "Ocean View", 5, 3, "800.00"),
    ("ovp", "Ocean View Premier", 2, 3, "1000.00"),
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Env:
    emulator: ChannexEmulator
    client: ChannexClient
    base_url: str
    mapping_path: Path

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every POST/PUT/DELETE the emulator received."""
        return [
            (r.method, r.path.removeprefix("/api/v1"))
            for r in self.emulator.requests
            if r.method in ("POST", "PUT", "DELETE")
        ]

    async def setup(self, plan: setup.HotelPlan | None = None, **kwargs: Any) -> setup.SetupReport:
        options: dict[str, Any] = {
            "mapping_path": self.mapping_path,
            "webhook_url": None,
            "webhook_secret": None,
            "secret_header": SECRET_HEADER,
            "dry_run": False,
        }
        options.update(kwargs)
        return await setup.run_setup(self.client, plan or setup.duke_beach_plan(), **options)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    emulator = ChannexEmulator(api_key=KEY)
    async with serve_app(emulator.app) as root, aiohttp.ClientSession() as session:
        base_url = root + "/api/v1"
        yield Env(
            emulator=emulator,
            client=ChannexClient(session, base_url, KEY),
            base_url=base_url,
            mapping_path=tmp_path / "data" / "mapping.json",
        )


def duke_mapping(emulator: ChannexEmulator) -> dict[str, Any]:
    """The mapping document expected for the emulator's Duke Beach (ids looked up by title)."""
    state = emulator.state
    (prop,) = [p for p in state.properties.values() if p["title"] == "Duke Beach"]
    rooms = {r["title"]: r["id"] for r in state.room_types.values()}
    plans = {(p["room_type_id"], p["title"]): p["id"] for p in state.rate_plans.values()}
    return {
        "properties": [
            {
                "channex_property_id": prop["id"],
                "name": "Duke Beach",
                "currency": "BRL",
                "timezone": "America/Sao_Paulo",
                "room_types": [
                    {
                        "categoria": code,
                        "title": title,
                        "channex_room_type_id": rooms[title],
                        "rate_plans": [
                            {
                                "plano": "padrao",
                                "channex_rate_plan_id": plans[(rooms[title], f"{title} - Padrão")],
                            }
                        ],
                    }
                    for code, title, *_ in DUKE
                ],
            }
        ]
    }


def read_json(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


async def test_first_run_creates_everything_and_writes_the_mapping(env: Env) -> None:
    report = await env.setup(webhook_url=HOOK, webhook_secret="s3cret-value")
    assert sorted(env.writes()) == sorted(
        [("POST", "/properties")]
        + [("POST", "/room_types")] * 6
        + [("POST", "/rate_plans")] * 6
        + [("POST", "/webhooks")]
    )
    state = env.emulator.state
    (prop,) = state.properties.values()
    assert (
        prop["title"],
        prop["currency"],
        prop["timezone"],
        prop["property_type"],
        prop["settings"]["min_stay_type"],
    ) == ("Duke Beach", "BRL", "America/Sao_Paulo", "hotel", "both")
    fields = ("title", "count_of_rooms", "occ_adults", "occ_children", "occ_infants")
    assert sorted(
        (*(r[f] for f in fields), r["default_occupancy"], r["property_id"])
        for r in state.room_types.values()
    ) == sorted(
        (title, units, adults, 1, 1, 2, prop["id"]) for _c, title, units, adults, _r in DUKE
    )
    adults_by_room = {r["id"]: r["occ_adults"] for r in state.room_types.values()}
    assert sorted(
        (
            p["title"],
            p["currency"],
            p["sell_mode"],
            p["rate_mode"],
            p["options"][0]["occupancy"] == adults_by_room[p["room_type_id"]],
            p["options"][0]["is_primary"],
            p["options"][0]["rate"],
            len(p["options"]),
        )
        for p in state.rate_plans.values()
    ) == sorted(
        (f"{title} - Padrão", "BRL", "per_room", "manual", True, True, rate, 1)
        for _c, title, _u, _a, rate in DUKE
    )
    (hook,) = state.webhooks.values()
    assert {k: hook[k] for k in ("callback_url", "event_mask", "property_id", "is_active")} == {
        "callback_url": HOOK,
        "event_mask": EVENT_MASK,
        "property_id": prop["id"],
        "is_active": True,
    }
    assert (hook["send_data"], hook["headers"]) == (True, {SECRET_HEADER: "s3cret-value"})
    assert read_json(env.mapping_path) == duke_mapping(env.emulator)
    assert report.mapping is not None
    assert mapping_document(report.mapping) == duke_mapping(env.emulator)
    assert (report.count("create"), report.count("match"), report.up_to_date) == (14, 0, False)
    assert report.lines()[-1] == "done: created 14, updated 0"


async def test_second_run_creates_nothing_and_is_up_to_date(env: Env) -> None:
    await env.setup(webhook_url=HOOK, webhook_secret="s3cret-value")
    written = env.mapping_path.read_bytes()
    env.emulator.reset_requests()
    report = await env.setup(webhook_url=HOOK, webhook_secret="s3cret-value")
    assert env.writes() == []
    assert report.up_to_date
    assert (report.count("create"), report.count("update"), report.count("match")) == (0, 0, 14)
    assert report.lines()[-1] == "up to date: nothing to create or update"
    assert env.mapping_path.read_bytes() == written


async def test_existing_entities_are_matched_by_title_not_duplicated(env: Env) -> None:
    """A property, a room type (with a stale unit count) and a plan made by hand are reused."""
    prop = await env.client.create_property({"title": "Duke Beach", "currency": "BRL"})
    ocean = await env.client.create_room_type(
        {
            "property_id": prop["id"],
            "title": "Ocean View",
            "count_of_rooms": 4,
            "occ_adults": 3,
            "occ_children": 1,
            "occ_infants": 1,
            "default_occupancy": 2,
        }
    )
    plan = await env.client.create_rate_plan(
        {
            "title": "Ocean View - Padrão",
            "property_id": prop["id"],
            "room_type_id": ocean["id"],
            "options": [{"occupancy": 3, "is_primary": True, "rate": 70000}],
        }
    )
    env.emulator.reset_requests()
    report = await env.setup()
    assert sorted(env.writes()) == sorted(
        [("POST", "/room_types")] * 5
        + [("POST", "/rate_plans")] * 5
        + [("PUT", f"/room_types/{ocean['id']}")]
    )
    assert env.emulator.state.room_types[ocean["id"]]["count_of_rooms"] == 5
    assert len(env.emulator.state.properties) == 1
    mapping = read_json(env.mapping_path)
    assert mapping == duke_mapping(env.emulator)
    (ov,) = [r for r in mapping["properties"][0]["room_types"] if r["categoria"] == "ov"]
    assert (ov["channex_room_type_id"], ov["rate_plans"][0]["channex_rate_plan_id"]) == (
        ocean["id"],
        plan["id"],
    )
    assert [(a.verb, a.kind) for a in report.actions if a.entity_id == ocean["id"]] == [
        ("update", "room type")
    ]


async def test_dry_run_creates_nothing(env: Env) -> None:
    report = await env.setup(dry_run=True, webhook_url=HOOK)
    assert env.writes() == []
    assert not env.mapping_path.exists()
    assert (report.count("create"), report.mapping) == (14, None)
    assert report.lines()[0] == "property 'Duke Beach': would create"
    assert report.lines()[-1] == "dry run: would create 14, update 0; nothing was changed"


async def test_dry_run_after_setup_reports_matches_only(env: Env) -> None:
    await env.setup()
    env.emulator.reset_requests()
    report = await env.setup(dry_run=True)
    assert env.writes() == []
    assert (report.count("create"), report.count("match"), report.up_to_date) == (0, 13, True)


async def test_a_webhook_of_the_property_with_the_same_url_is_updated_not_duplicated(
    env: Env,
) -> None:
    await env.setup()
    (prop,) = env.emulator.state.properties.values()
    old = await env.client.create_webhook(
        {"callback_url": HOOK, "event_mask": "booking", "property_id": prop["id"]}
    )
    env.emulator.reset_requests()
    await env.setup(webhook_url=HOOK, webhook_secret="new-secret")
    assert env.writes() == [("PUT", f"/webhooks/{old['id']}")]
    (hook,) = env.emulator.state.webhooks.values()
    assert (hook["event_mask"], hook["property_id"], hook["is_active"], hook["headers"]) == (
        EVENT_MASK,
        prop["id"],
        True,
        {SECRET_HEADER: "new-secret"},
    )


async def test_a_global_webhook_with_the_same_url_is_left_alone(env: Env) -> None:
    """A global webhook may serve other hotels: the property gets its own beside it."""
    await env.setup()
    (prop,) = env.emulator.state.properties.values()
    glob = await env.client.create_webhook(
        {"callback_url": HOOK, "event_mask": "booking", "property_id": None, "is_active": True}
    )
    env.emulator.reset_requests()
    await env.setup(webhook_url=HOOK)
    assert env.writes() == [("POST", "/webhooks")]
    hooks = env.emulator.state.webhooks
    assert (hooks[glob["id"]]["property_id"], hooks[glob["id"]]["event_mask"]) == (None, "booking")
    assert sorted(h["property_id"] or "" for h in hooks.values()) == sorted(["", prop["id"]])


async def test_a_new_webhook_url_replaces_the_old_one_and_says_so(env: Env) -> None:
    """A new ngrok address: the property's webhook moves to it; none is left on the dead one."""
    old_url = "https://old-tunnel.example/webhook/channex"
    new_url = "https://new-tunnel.example/webhook/channex"
    await env.setup(webhook_url=old_url)
    (hook_id,) = env.emulator.state.webhooks
    env.emulator.reset_requests()
    report = await env.setup(webhook_url=new_url)
    assert env.writes() == [("PUT", f"/webhooks/{hook_id}")]
    (hook,) = env.emulator.state.webhooks.values()
    assert (hook["id"], hook["callback_url"]) == (hook_id, new_url)
    assert report.lines()[-3:] == [
        f"webhook {new_url!r}: updated ({hook_id})",
        f"changed: webhook url {hook_id}: {old_url} → {new_url}",
        "done: created 0, updated 1",
    ]


async def test_leftover_webhooks_of_the_property_are_deleted_others_untouched(env: Env) -> None:
    """Two hotels share one middleware URL: setting up one never touches the other's webhook;
    a second dead webhook left on the property by an earlier run is deleted."""
    await env.setup(webhook_url=HOOK)
    await env.setup(setup.certification_plan(), webhook_url=HOOK)
    state = env.emulator.state
    (duke,) = [p["id"] for p in state.properties.values() if p["title"] == "Duke Beach"]
    (cert,) = [p["id"] for p in state.properties.values() if p["title"] != "Duke Beach"]
    dead = await env.client.create_webhook(
        {
            "callback_url": "https://dead.example/webhook/channex",
            "event_mask": "booking",
            "property_id": duke,
            "is_active": True,
        }
    )
    (duke_hook,) = [
        k
        for k, v in state.webhooks.items()
        if v["callback_url"] == HOOK and v["property_id"] == duke
    ]
    before = {k: dict(v) for k, v in state.webhooks.items() if v["property_id"] == cert}
    env.emulator.reset_requests()
    new_url = "https://moved.example/webhook/channex"
    await env.setup(webhook_url=new_url)
    assert env.writes() == [
        ("DELETE", f"/webhooks/{dead['id']}"),
        ("PUT", f"/webhooks/{duke_hook}"),
    ]
    assert sorted((v["property_id"], v["callback_url"]) for v in state.webhooks.values()) == sorted(
        [(duke, new_url), (cert, HOOK)]
    )
    assert {k: v for k, v in state.webhooks.items() if v["property_id"] == cert} == before


async def test_certification_property_joins_the_same_mapping_file(env: Env) -> None:
    await env.setup()
    duke = duke_mapping(env.emulator)
    env.emulator.reset_requests()
    await env.setup(setup.certification_plan())
    assert sorted(env.writes()) == sorted(
        [("POST", "/properties")] + [("POST", "/room_types")] * 2 + [("POST", "/rate_plans")] * 4
    )
    state = env.emulator.state
    (cert,) = [p for p in state.properties.values() if p["title"] == "Test Property - Middleware"]
    rooms = {
        r["title"]: r["id"] for r in state.room_types.values() if r["property_id"] == cert["id"]
    }
    plans = {p["title"]: p for p in state.rate_plans.values() if p["property_id"] == cert["id"]}
    assert sorted((t, p["currency"], p["options"][0]["rate"]) for t, p in plans.items()) == [
        ("Double Room - Bed & Breakfast", "USD", "120.00"),
        ("Double Room - Best Available Rate", "USD", "100.00"),
        ("Twin Room - Bed & Breakfast", "USD", "120.00"),
        ("Twin Room - Best Available Rate", "USD", "100.00"),
    ]
    assert read_json(env.mapping_path) == {
        "properties": [
            *duke["properties"],
            {
                "channex_property_id": cert["id"],
                "name": "Test Property - Middleware",
                "currency": "USD",
                "timezone": "America/Sao_Paulo",
                "room_types": [
                    {
                        "categoria": code,
                        "title": title,
                        "channex_room_type_id": rooms[title],
                        "rate_plans": [
                            {
                                "plano": "bar",
                                "channex_rate_plan_id": plans[f"{title} - Best Available Rate"][
                                    "id"
                                ],
                            },
                            {
                                "plano": "bb",
                                "channex_rate_plan_id": plans[f"{title} - Bed & Breakfast"]["id"],
                            },
                        ],
                    }
                    for code, title in (("twin", "Twin Room"), ("double", "Double Room"))
                ],
            },
        ]
    }


# --------------------------------------------------------------------------- the command


async def run_cli(*argv: str, environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = await setup.cli(list(argv), environ, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


async def test_cli_prints_the_report_and_is_idempotent(env: Env) -> None:
    environ = {"CHANNEX_API_KEY": KEY, "MAPPING_FILE": str(env.mapping_path)}
    first = await run_cli("--base-url", env.base_url, environ=environ)
    second = await run_cli("--base-url", env.base_url, environ=environ)
    assert (first[0], first[2]) == (0, "")
    assert first[1].splitlines()[-1] == "done: created 13, updated 0"
    assert second[1].splitlines()[-1] == "up to date: nothing to create or update"
    assert read_json(env.mapping_path) == duke_mapping(env.emulator)


async def test_cli_bad_key_is_one_clear_line(env: Env) -> None:
    environ = {"CHANNEX_API_KEY": "wrong-key", "MAPPING_FILE": str(env.mapping_path)}
    code, out, err = await run_cli("--base-url", env.base_url, environ=environ)
    assert (code, out) == (2, "")
    assert err == "error: Channex rejected the API key (HTTP 401): check CHANNEX_API_KEY\n"
    assert not env.mapping_path.exists()


async def test_cli_validation_error_names_the_field(env: Env) -> None:
    """A plan title already used by another room type's plan: Channex answers 422."""
    prop = await env.client.create_property({"title": "Duke Beach", "currency": "BRL"})
    other = await env.client.create_room_type(
        {
            "property_id": prop["id"],
            "title": "Suite",
            "count_of_rooms": 1,
            "occ_adults": 2,
            "occ_children": 0,
            "occ_infants": 0,
            "default_occupancy": 2,
        }
    )
    await env.client.create_rate_plan(
        {
            "title": "Lateral Vista Urbana - Padrão",
            "property_id": prop["id"],
            "room_type_id": other["id"],
            "options": [{"occupancy": 2, "is_primary": True, "rate": 100}],
        }
    )
    environ = {"CHANNEX_API_KEY": KEY, "MAPPING_FILE": str(env.mapping_path)}
    code, out, err = await run_cli("--base-url", env.base_url, environ=environ)
    assert (code, out) == (2, "")
    assert err == (
        "error: Channex refused the data (HTTP 422): channex: POST /rate_plans rejected: "
        "validation_error Validation Error: title: has already been taken (HTTP 422)\n"
    )


async def test_cli_missing_key_is_a_config_error(tmp_path: Path) -> None:
    code, out, err = await run_cli("--dry-run", environ={"MAPPING_FILE": str(tmp_path / "m.json")})
    assert (code, out) == (2, "")
    assert err == (
        "error: invalid configuration: CHANNEX_API_KEY is required while CHANNEX_ENABLED is true\n"
    )


async def test_script_file_reports_an_unreachable_host_without_a_traceback(tmp_path: Path) -> None:
    """Run as `python scripts/setup_channex_duke.py` against a closed loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/api/v1"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--base-url",
        base_url,
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "CHANNEX_API_KEY": KEY},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    lines = stderr.decode().splitlines()
    assert (process.returncode, stdout, len(lines)) == (2, b"", 1)
    assert lines[0].startswith(
        f"error: cannot reach Channex at {base_url}: channex: GET /properties/options failed: "
        "ClientConnectorError"
    )
    assert KEY not in stderr.decode()


# --------------------------------------------------------------------------- the mapping file


async def test_a_room_type_renamed_in_channex_stays_mapped_by_its_id(env: Env) -> None:
    """Matched by the mapped id before the title: no duplicate, the mapping keeps its id."""
    await env.setup()
    mapping = read_json(env.mapping_path)
    (ocean_id,) = [
        r["id"] for r in env.emulator.state.room_types.values() if r["title"] == "Ocean View"
    ]
    await env.client.update_room_type(ocean_id, {"title": "Ocean View Suite"})
    (plan_id,) = [
        p["id"] for p in env.emulator.state.rate_plans.values() if p["room_type_id"] == ocean_id
    ]
    env.emulator.reset_requests()
    report = await env.setup()
    assert env.writes() == []
    assert len(env.emulator.state.room_types) == 6
    assert read_json(env.mapping_path) == mapping
    premier = next(
        r["id"]
        for r in env.emulator.state.room_types.values()
        if r["title"] == "Ocean View Premier"
    )
    room_actions = [(a.verb, a.entity_id) for a in report.actions if a.kind == "room type"]
    assert room_actions[-2:] == [("match", ocean_id), ("match", premier)]
    assert (report.changes, report.up_to_date) == ((), True)
    assert plan_id in {
        p["channex_rate_plan_id"]
        for r in mapping["properties"][0]["room_types"]
        for p in r["rate_plans"]
    }


async def test_ids_that_change_are_printed_old_to_new_and_the_old_file_is_backed_up(
    env: Env,
) -> None:
    """A mapping naming ids Channex does not have (another account, a hand edit): the setup
    maps by title again, prints each old → new id and keeps the old file beside the new one."""
    await env.setup()
    good = read_json(env.mapping_path)
    stale = orjson.loads(orjson.dumps(good))
    ov = next(r for r in stale["properties"][0]["room_types"] if r["categoria"] == "ov")
    ov["channex_room_type_id"] = "00000000-0000-0000-0000-00000000dead"
    ov["rate_plans"][0]["channex_rate_plan_id"] = "00000000-0000-0000-0000-00000000beef"
    env.mapping_path.write_bytes(orjson.dumps(stale))
    now = datetime(2026, 11, 2, 9, 30, 5, tzinfo=UTC)
    report = await env.setup(now=now)
    backup = env.mapping_path.with_name("mapping.json.bak-20261102T093005Z")
    assert read_json(backup) == stale
    assert read_json(env.mapping_path) == good
    real = next(r for r in good["properties"][0]["room_types"] if r["categoria"] == "ov")
    assert report.lines()[-5:] == [
        f"mapping file {env.mapping_path}: backed up to {backup}",
        f"mapping file {env.mapping_path}: written",
        "changed: room type ov: 00000000-0000-0000-0000-00000000dead"
        f" → {real['channex_room_type_id']}",
        "changed: rate plan ov/padrao: 00000000-0000-0000-0000-00000000beef"
        f" → {real['rate_plans'][0]['channex_rate_plan_id']}",
        "done: created 0, updated 0",
    ]
    assert sorted(p.name for p in env.mapping_path.parent.iterdir()) == [
        "mapping.json",
        "mapping.json.bak-20261102T093005Z",
    ]


async def test_a_dry_run_backs_nothing_up_and_writes_nothing(env: Env) -> None:
    await env.setup()
    env.mapping_path.write_bytes(b'{"properties": []}')
    report = await env.setup(dry_run=True, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert sorted(p.name for p in env.mapping_path.parent.iterdir()) == ["mapping.json"]
    assert env.mapping_path.read_bytes() == b'{"properties": []}'
    assert [line for line in report.lines() if "mapping file" in line] == [
        f"mapping file {env.mapping_path}: would backup to"
        f" {env.mapping_path.with_name('mapping.json.bak-20261102T000000Z')}",
        f"mapping file {env.mapping_path}: would write",
    ]


async def test_cli_hints_at_api_v1_when_the_base_path_is_wrong(env: Env) -> None:
    root = env.base_url.removesuffix("/api/v1")
    environ = {"CHANNEX_API_KEY": KEY, "MAPPING_FILE": str(env.mapping_path)}
    code, out, err = await run_cli("--base-url", root, environ=environ)
    assert (code, out) == (2, "")
    assert err == (
        f"error: Channex answered 404 at {root}: the base URL must be the API root, ending in"
        f" /api/v1 (try --base-url {root}/api/v1 or CHANNEX_BASE_URL={root}/api/v1)\n"
    )
    assert not env.mapping_path.exists()
