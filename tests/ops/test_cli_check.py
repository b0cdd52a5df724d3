"""`python -m middleware check` changes nothing and claims nothing it did not see: a misspelt
DATABASE_PATH is reported (no empty database is made), the database is only read, calls are
not audited, only the report's text lines are printed, and a check that could not look says
"not checked" and why instead of "ok"."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from middleware.store.sqlite.db import SCHEMA_VERSION
from tests.ops.test_cli import NOW, base_env, database, run
from tests.test_processes import ROOT, emulators
from tests.web.operator_kit import CHECKS

STORED = ("worker", "outbox", "bookings")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def lines_by_name(out: str) -> dict[str, tuple[str, str]]:
    """check name -> (label, detail)."""
    found = {}
    for line in out.splitlines():
        label, name, detail = line.split(maxsplit=2)
        found[name] = (label, detail)
    return found


async def test_a_misspelt_database_path_is_reported_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "dta" / "middleware.db"
    env = base_env(tmp_path) | {"DATABASE_PATH": str(missing), "CHANNEX_ENABLED": "false"}
    code, out, err = await run(["check"], env)
    assert (code, err) == (1, "")
    found = lines_by_name(out)
    assert found["database"] == ("FAIL", f"database not found at {missing} (DATABASE_PATH)")
    assert [found[name] for name in STORED] == [("--", "not checked: see the database check")] * 3
    assert not missing.parent.exists()


async def test_a_check_that_could_not_look_is_not_called_ok(tmp_path: Path) -> None:
    env = base_env(tmp_path) | {"CHANNEX_ENABLED": "false"}
    async with database(tmp_path) as store:
        await store.audit.heartbeat("worker", NOW - timedelta(seconds=5))
    code, out, _ = await run(["check"], env)
    found = lines_by_name(out)
    disabled = ("--", "not checked: integration disabled (CHANNEX_ENABLED=false)")
    assert [found[name] for name in ("channex", "mapping", "channex_settings")] == [disabled] * 3
    assert found["database"] == (
        "ok",
        f"readable at {tmp_path / 'm.db'}, schema version {SCHEMA_VERSION}; writing not checked",
    )
    assert found["worker"] == ("ok", "last heartbeat 5 s ago")
    assert code == 1  # the PMS (127.0.0.1:9) is unreachable
    assert found["pms"][0] == "FAIL"

    code, out, _ = await run(["check"], env | {"CHANNEX_ENABLED": "true"})
    found = lines_by_name(out)
    assert found["channex"][0] == "FAIL"  # nothing listens at 127.0.0.1:9
    see = ("--", "not checked: see the channex check")
    assert [found[name] for name in ("mapping", "channex_settings")] == [see, see]


async def test_a_file_that_is_not_a_middleware_database_is_left_alone(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    env = base_env(tmp_path) | {"DATABASE_PATH": str(empty), "CHANNEX_ENABLED": "false"}
    code, out, _ = await run(["check"], env)
    assert code == 1
    found = lines_by_name(out)
    assert found["database"] == ("FAIL", f"{empty} is not a middleware database (no schema)")
    assert [found[name][0] for name in STORED] == ["--"] * 3
    assert sorted(os.listdir(tmp_path)) == ["empty.db", "mapping.json"]
    assert empty.read_bytes() == b""


async def test_check_writes_nothing_to_a_working_database(tmp_path: Path) -> None:
    """Against live emulators: the probes are not audited and no health probe is written."""
    async with emulators(tmp_path) as env:
        path = Path(env["DATABASE_PATH"])
        async with database(tmp_path, path.name) as store:
            await store.audit.heartbeat("worker", NOW - timedelta(seconds=5))
        before = snapshot(tmp_path)
        code, out, err = await run(["check"], env)
        assert (code, err) == (0, ""), out
        labels = {name: label for name, (label, _) in lines_by_name(out).items()}
        assert labels == dict.fromkeys(CHECKS, "ok") | {"live": "warn"}  # not live: a warning
        assert snapshot(tmp_path) == before
        async with database(tmp_path, path.name) as store:
            assert await store.db.fetchall("SELECT * FROM http_calls") == []
            assert await store.audit.get_value("health_probe") is None


def test_the_command_prints_its_report_and_nothing_else(tmp_path: Path) -> None:
    """No log line (the unreachable Channex and PMS are logged as warnings elsewhere) mixes
    into the report on either stream."""
    env = {"PATH": "", "PYTHONPATH": str(ROOT), **base_env(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "middleware", "check"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (1, "")
    names = [name for _, name in [line.split()[:2] for line in done.stdout.splitlines()]]
    assert names == list(CHECKS)
    assert not (tmp_path / "m.db").exists()
