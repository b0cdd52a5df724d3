"""Every entry point parses its arguments first: `--help` prints usage and exits 0 without
starting anything (no process bound, no database or data directory created, nothing called),
even with settings that would otherwise start a worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from middleware.sandbox.processes import ROOT, child_env

HELP_TIMEOUT_S = 30
MODULES = (
    "middleware",
    "middleware.web",
    "middleware.worker",
    "middleware.sandbox",
)
SCRIPTS = tuple(
    sorted(
        path.name
        for path in (ROOT / "scripts").glob("*.py")
        if '__name__ == "__main__"' in path.read_text("utf-8")
    )
)


def test_the_scripts_with_a_main_are_the_ones_expected() -> None:
    """A new script with a `__main__` joins the --help test below by itself; this pins the
    list so a renamed one is noticed."""
    assert SCRIPTS == (
        "bench.py",
        "bench_ari.py",
        "bench_bare.py",
        "bench_bookings.py",
        "bench_properties.py",
        "bench_wakeup.py",
        "bench_workers.py",
        "chaos.py",
        "mutation.py",
        "setup_channex_duke.py",
        "soak.py",
        "soak_middleware.py",
    )


@pytest.mark.parametrize(
    "command",
    [["-m", module] for module in MODULES] + [[str(ROOT / "scripts" / name)] for name in SCRIPTS],
    ids=[*MODULES, *SCRIPTS],
)
def test_help_exits_0_and_starts_nothing(tmp_path: Path, command: list[str]) -> None:
    env = {
        "CHANNEX_API_KEY": "help-test-key-0123",
        "CHANNEX_WEBHOOK_SECRET": "help-test-secret",
        "CHANNEX_BASE_URL": "http://127.0.0.1:9/api/v1",
        "PMS_BASE_URL": "http://127.0.0.1:9",
        "DATABASE_PATH": str(tmp_path / "data" / "m.db"),
        "MAPPING_FILE": str(tmp_path / "data" / "mapping.json"),
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and files
        [sys.executable, *command, "--help"],
        env=child_env(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=HELP_TIMEOUT_S,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: ")
    assert list(tmp_path.iterdir()) == []
