"""A throwaway PostgreSQL cluster: initdb in a temporary directory, a server on a free
loopback port with its socket in that directory, stopped and removed at the end. The tests'
session cluster (`tests/kit/pg.py`), the chaos runs on PostgreSQL (which take the server down
and up again: `down`, `up`) and `scripts/bench_workers.py` and `scripts/bench_wakeup.py` use it.

`initdb` and `pg_ctl` refuse to run as root; as root (CI) they run as the `postgres` user
through `runuser`, and the directory is handed to that user. Durability is off (`fsync`,
`synchronous_commit`, `full_page_writes`): a crash loses a test database, nothing else.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
PREFERRED_MAJOR = "15"
START_ATTEMPTS = 3  # a free port can be taken by another worker between probe and start
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c max_connections=200 -c shared_buffers=32MB"
)


class ClusterError(RuntimeError):
    """The throwaway server could not be set up; the message carries its output."""


def pg_bin() -> Path:
    """The server binaries: PostgreSQL 15 when installed, else the newest major present."""
    found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    preferred = [p for p in found if Path(p).parent.name == PREFERRED_MAJOR]
    if not found:
        raise ClusterError(f"no PostgreSQL server binaries under {PG_BIN_GLOB}")
    return Path((preferred or found)[-1])


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed binaries, our own arguments
        _as_postgres(command), capture_output=True, text=True, check=False
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(slots=True)
class Cluster:
    root: Path
    port: int
    bin_dir: Path
    options: str = ""  # the server's command-line options (`pg_ctl start -o`)

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def admin(self, sql: str) -> None:
        """One statement on the maintenance database (CREATE / DROP DATABASE need autocommit)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.encode())

    def _pg_ctl(self, *args: str) -> None:
        done = _run([str(self.bin_dir / "pg_ctl"), *args, "-D", str(self.data_dir)])
        if done.returncode != 0:
            raise ClusterError(f"pg_ctl {args[0]} ({done.returncode}):\n{done.stdout}{done.stderr}")

    def down(self, *, mode: str = "fast") -> None:
        """Stop the server and keep its data: `fast` ends every session cleanly, `immediate`
        is a crash (the next start recovers from the WAL)."""
        self._pg_ctl("stop", "-w", "-m", mode)

    def up(self) -> None:
        """Start the stopped server again, on the same port with the same options."""
        log = self.root / f"server-{self.port}.log"
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(log), "-o", self.options)

    def stop(self) -> None:
        """Stop the server (immediate: nothing here is worth a checkpoint) and remove it all."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                _run(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        "stop",
                        "-m",
                        "immediate",
                        "-D",
                        str(self.data_dir),
                    ]
                )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb + pg_ctl start; `ClusterError` with the tools' and the server's output when the
    server does not come up (the caller fails the tests with it)."""
    bin_dir = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="pg-cluster-"))
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
    cluster = Cluster(root=root, port=0, bin_dir=bin_dir)
    try:
        init = _run(
            [str(bin_dir / "initdb"), "-D", str(cluster.data_dir), "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--locale=C", "--no-sync"]
        )  # fmt: skip
        if init.returncode != 0:
            raise ClusterError(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        output = ""
        for _ in range(START_ATTEMPTS):
            cluster.port = _free_port()
            log = root / f"server-{cluster.port}.log"
            cluster.options = (
                f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 {SERVER_OPTIONS}"
            )
            started = _run(
                [str(bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(cluster.data_dir),
                 "-l", str(log), "-o", cluster.options]
            )  # fmt: skip
            if started.returncode == 0:
                return cluster
            server_log = log.read_text("utf-8", errors="replace") if log.exists() else ""
            output += f"pg_ctl start ({started.returncode}):\n{started.stdout}\n{started.stderr}\n"
            output += f"server log:\n{server_log}\n"
        raise ClusterError(f"the PostgreSQL server did not start:\n{output}")
    except BaseException:
        cluster.stop()
        raise


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A started cluster until the block ends (then stopped and removed)."""
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()
