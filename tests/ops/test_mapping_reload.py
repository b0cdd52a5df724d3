"""Mapping changes without a restart: validated first (a bad file keeps the mapping in use and
says why), then used by every part of every process — the route, the CLI's stamp, SIGHUP to
the real `web` and `worker` processes — and a mapped categoria sistema-os does not serve fails
/health with a notice instead of being skipped in silence."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from middleware.sandbox.system_processes import free_port
from middleware.store import keys, pms_rooms
from tests.flow.harness import System, start_system
from tests.ops.test_cli import base_env, database, run
from tests.test_processes import emulators, healthy, spawn, terminate
from tests.web.test_admin import twin_booking

DEADLINE_S = 30.0


def put(path: Path, raw: bytes) -> None:
    path.write_bytes(raw)


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def remove(path: Path) -> None:
    path.unlink()


def document_bytes(path: Path) -> bytes:
    return path.read_bytes()


def document(system: System) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(system.settings.mapping_file.read_bytes())
    return loaded


def write(system: System, doc: dict[str, Any] | bytes) -> None:
    raw = doc if isinstance(doc, bytes) else orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    system.settings.mapping_file.write_bytes(raw)


def without(doc: dict[str, Any], categoria: str) -> dict[str, Any]:
    prop = doc["properties"][0]
    rooms = [r for r in prop["room_types"] if r["categoria"] != categoria]
    return {"properties": [{**prop, "room_types": rooms}]}


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_fixed_mapping_is_used_at_once_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    """The issue's case: a booking parked for an unmapped room type is applied once the
    mapping is fixed and reloaded — no restart."""
    async with start_system(tmp_path, hotel="certification") as system:
        rt = system.context.runtime
        good = document(system)
        codes = [r["categoria"] for r in good["properties"][0]["room_types"]]
        write(system, without(good, "twin"))
        status, body = await system.admin("POST", "/admin/mapping/reload")
        assert (status, body) == (
            200,
            {
                "status": "reloaded",
                "path": str(system.settings.mapping_file),
                "properties": 1,
                "categorias": [c for c in codes if c != "twin"],
            },
        )
        assert rt.mapping.by_room_code(system.property_id, "twin") is None
        _, revision_id = system.channex.create_booking(**twin_booking(system))
        await system.settle()
        row = await rt.store.revisions.get(revision_id)
        assert row is not None and row.status == "parked"

        write(system, b'{"properties": [')
        in_use = rt.mapping
        status, body = await system.admin("POST", "/admin/mapping/reload")
        assert status == 422
        assert body["status"] == "refused"
        assert body["note"] == "the mapping in use is kept"
        [problem] = body["problems"]
        assert problem.startswith(f"{system.settings.mapping_file}: not valid JSON")
        assert rt.mapping is in_use
        failed = [
            n for n in await rt.store.notices.open_notices() if n.kind == "mapping_reload_failed"
        ]
        assert [n.detail.endswith("; the mapping in use is kept") for n in failed] == [True]

        write(system, good)
        status, body = await system.admin("POST", "/admin/mapping/reload")
        assert (status, body["categorias"]) == (200, codes)
        assert [n.kind for n in await rt.store.notices.open_notices()] == ["booking_unmapped_room"]
        status, _ = await system.admin("POST", f"/admin/revisions/{revision_id}/replay")
        assert status == 202
        await system.settle()
        row = await rt.store.revisions.get(revision_id)
        assert row is not None and row.status == "acked"
        assert [b.channel for b in system.pms.bookings()] == ["Booking.com"]


async def test_a_mapped_categoria_the_pms_does_not_serve_fails_health(tmp_path: Path) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        rt = system.context.runtime
        good = document(system)
        prop = good["properties"][0]
        suite = {
            "categoria": "suite",
            "channex_room_type_id": "rt-suite",
            "rate_plans": [{"plano": "bar", "channex_rate_plan_id": "rp-suite"}],
        }
        write(system, {"properties": [{**prop, "room_types": [*prop["room_types"], suite]}]})
        status, _ = await system.admin("POST", "/admin/mapping/reload")
        assert status == 200
        await system.full_sync()
        found = await rt.store.pms_rooms.last(system.property_id)
        assert found is not None and found.categorias == ("suite",)
        async with system.session.get(system.url + "/health") as response:
            health = await response.json()
        assert response.status == 503
        [pms] = [c for c in health["checks"] if c["name"] == "pms"]
        assert pms == {
            "name": "pms",
            "ok": False,
            "detail": f"reachable ({system.pms_url}), but its ARI answer at"
            f" {found.at.isoformat()} lacked the mapped categoria(s) suite: nothing is"
            " pushed for them",
        }
        [notice] = [n for n in await rt.store.notices.open_notices() if n.kind == pms_rooms.NOTICE]
        assert (notice.ref, notice.detail.split(":")[0]) == (
            f"{system.property_id}/suite",
            "sistema-os does not serve the mapped categoria 'suite' of property"
            f" {system.property_id} (not in its ARI answer)",
        )

        write(system, good)  # the categoria leaves the mapping: /health is green at once
        status, _ = await system.admin("POST", "/admin/mapping/reload")
        async with system.session.get(system.url + "/health") as response:
            health = await response.json()
        assert [c["name"] for c in health["checks"] if not c["ok"]] == []
        await system.full_sync()  # and the next read resolves the notice
        assert [
            n for n in await rt.store.notices.open_notices() if n.kind == pms_rooms.NOTICE
        ] == []


async def test_the_cli_validates_then_every_process_follows_its_stamp(tmp_path: Path) -> None:
    async with start_system(tmp_path, hotel="certification") as system:
        rt = system.context.runtime
        good = document(system)
        env = {
            "CHANNEX_API_KEY": "unused-key-0123456789",
            "MAPPING_FILE": str(system.settings.mapping_file),
            "DATABASE_PATH": str(system.settings.database_path),
            "WORKER_INTERVAL": "0.1",
        }
        write(system, b"[]")
        assert await run(["reload-mapping"], env) == (
            2,
            "",
            "error: invalid mapping file: the document must be a JSON object with 'properties'\n",
        )
        assert await rt.store.audit.get_value(keys.MAPPING_RELOAD_KEY) is None
        write(system, without(good, "twin"))
        code, out, err = await run(["reload-mapping"], env)
        assert (code, err) == (0, "")
        assert out.startswith(f"mapping {system.settings.mapping_file} is valid (1 property(ies)")
        assert out.endswith("; the running services reload it within 0.1 s\n")
        await until(
            lambda: rt.mapping.by_room_code(system.property_id, "twin") is None
        )  # the worker's loop


async def test_the_cli_refuses_a_bad_file_without_touching_the_store(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    put(Path(env["MAPPING_FILE"]), b"{")
    code, out, err = await run(["reload-mapping"], env)
    assert (code, out) == (2, "")
    assert err.startswith("error: invalid mapping file: ")
    assert names(tmp_path) == ["mapping.json"]  # no database made
    remove(Path(env["MAPPING_FILE"]))
    code, out, _ = await run(["reload-mapping"], base_env(tmp_path))  # writes a good one
    assert code == 0
    async with database(tmp_path) as store:
        assert await store.audit.get_value(keys.MAPPING_RELOAD_KEY) is not None


async def test_sighup_reloads_the_real_processes_and_a_bad_file_keeps_them_running(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with emulators(tmp_path) as env:
        mapping_file = Path(env["MAPPING_FILE"])
        good = document_bytes(mapping_file)
        logs = {name: tmp_path / f"{name}.log" for name in ("worker", "web")}

        def events(name: str) -> list[dict[str, Any]]:
            lines = logs[name].read_text().splitlines()
            return [orjson.loads(line) for line in lines if line.startswith("{")]

        def seen(name: str, event: str) -> int:
            return sum(1 for e in events(name) if e["event"] == event)

        with logs["worker"].open("wb") as worker_log, logs["web"].open("wb") as web_log:
            worker = await spawn(["-m", "middleware.worker"], env, tmp_path, worker_log)
            web_args = ["-m", "middleware.web", "--host", "127.0.0.1", "--port", str(port)]
            web = await spawn(web_args, env, tmp_path, web_log)
            try:
                async with aiohttp.ClientSession() as session:
                    await healthy(session, f"http://127.0.0.1:{port}")
                await until(lambda: seen("worker", "worker_started") == 1)
                put(mapping_file, b"{")
                for process in (worker, web):
                    process.send_signal(signal.SIGHUP)
                await until(lambda: seen("worker", "mapping_reload_refused") == 1)
                await until(lambda: seen("web", "mapping_reload_refused") == 1)
                put(mapping_file, good)
                worker.send_signal(signal.SIGHUP)  # the worker alone: the web follows its stamp
                await until(lambda: seen("worker", "mapping_reloaded") == 1)
                await until(lambda: seen("web", "mapping_reloaded") == 1)
                assert (worker.returncode, web.returncode) == (None, None)
            finally:
                codes = [await terminate(web), await terminate(worker)]
        assert codes == [0, 0]
        [refused] = [e for e in events("worker") if e["event"] == "mapping_reload_refused"]
        assert refused["problems"][0].startswith(f"{mapping_file}: not valid JSON")
