"""The setup script against the Channex emulator over loopback HTTP."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from middleware.channex.client import ChannexClient
from middleware.mapping import mapping_document
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
        """(method, path) of every POST/PUT the emulator received."""
        return [
            (r.method, r.path.removeprefix("/api/v1"))
            for r in self.emulator.requests
            if r.method in ("POST", "PUT")
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


async def test_a_webhook_with_the_same_url_is_updated_not_duplicated(env: Env) -> None:
    await env.setup()
    old = await env.client.create_webhook(
        {"callback_url": HOOK, "event_mask": "booking", "property_id": None, "is_active": False}
    )
    env.emulator.reset_requests()
    await env.setup(webhook_url=HOOK, webhook_secret="new-secret")
    assert env.writes() == [("PUT", f"/webhooks/{old['id']}")]
    (hook,) = env.emulator.state.webhooks.values()
    (prop,) = env.emulator.state.properties.values()
    assert (hook["event_mask"], hook["property_id"], hook["is_active"], hook["headers"]) == (
        EVENT_MASK,
        prop["id"],
        True,
        {SECRET_HEADER: "new-secret"},
    )


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
