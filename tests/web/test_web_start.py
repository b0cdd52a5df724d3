"""`python -m middleware.web` with a PostgreSQL `DATABASE_URL` nobody answers at: one line on
stderr naming the server (never the password), exit 2, before the server binds its port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from middleware.mapping_file import write_mapping
from middleware.sandbox.processes import child_env
from tests.pg.test_open import PASSWORD, closed_port
from tests.web.test_sync_routes import MAPPING


def test_an_unreachable_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.json"
    write_mapping(mapping, MAPPING)
    port = closed_port()
    env = {
        "CHANNEX_API_KEY": "start-test-key-0123",
        "CHANNEX_WEBHOOK_SECRET": "start-test-secret",
        "MAPPING_FILE": str(mapping),
        "DATABASE_PATH": str(tmp_path / "data" / "m.db"),
        "DATABASE_URL": f"postgresql://mw:{PASSWORD}@127.0.0.1:{port}/hotels",
        "PORT": "9",  # never bound
    }
    done = subprocess.run(
        [sys.executable, "-m", "middleware.web"],
        env=child_env(env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"middleware: DATABASE_URL: cannot connect to PostgreSQL at mw@127.0.0.1:{port}/hotels:"
        f' connection failed: connection to server at "127.0.0.1", port {port} failed:'
        " Connection refused Is the server running on that host and accepting TCP/IP"
        " connections?\n",
    )
    assert not (tmp_path / "data").exists()
