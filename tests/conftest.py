"""Suite-wide settings (the Hypothesis profile, a temp root of its own for each session) and
the test kit's fixtures (store backends, clocks, emulators, the system)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from hypothesis import settings

from middleware.sandbox.system_emulators import Emulators, open_emulators
from middleware.store.port import Store
from middleware.store.postgres.store import PostgresStore
from middleware.store.sqlite.store import SqliteStore
from tests.flow.harness import CREDENTIALS, System, start_system
from tests.kit.backends import Backend
from tests.kit.clocks import ManualClock, MovableClock, ShiftedClock, Ticker
from tests.kit.pg import empty_pg_url, pg_cluster, pg_db, pg_template, pg_url  # noqa: F401

# A deadline is a timing assertion, and timings on a shared or loaded machine (two sessions at
# once, mutation testing, CI neighbours) trip Hypothesis's 200 ms default with no bug behind
# it. Property tests here check behaviour; speed has its own benchmarks (scripts/bench*.py).
settings.register_profile("middleware", deadline=None)
settings.load_profile("middleware")

SESSION_TEMP_PREFIX = "pytest-session-"
_OWN_BASETEMP = pytest.StashKey[Path]()
_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Point `tmp_path` at a directory only this session uses (unless `--basetemp` was given).

    By default every session keeps its temp dirs under one shared `/tmp/pytest-of-<user>` and,
    as it ends, deletes the older ones there. Two sessions ending together delete the same old
    directory: one's `rmdir` meets the lock file the other has just written (ENOTEMPTY), pytest
    warns `(rm_rf) error removing ...`, and the aborted cleanup leaves an `os.scandir` iterator
    open (`ResourceWarning: unclosed scandir iterator`). Warnings being errors, the session
    exits 1 with every test passed. A session with a root of its own never meets that cleanup.
    xdist workers are given a directory inside the controller's, so they are left alone.
    """
    if config.option.basetemp is not None or hasattr(config, "workerinput"):
        return
    basetemp = Path(tempfile.gettempdir()) / f"{SESSION_TEMP_PREFIX}{os.getpid()}-{uuid4().hex}"
    config.option.basetemp = str(basetemp)
    config.stash[_OWN_BASETEMP] = basetemp


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_PASSED] = exitstatus == pytest.ExitCode.OK


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove this session's temp root when every test passed; keep it to look at otherwise."""
    basetemp = config.stash.get(_OWN_BASETEMP, None)
    if basetemp is not None and config.stash.get(_PASSED, False):
        shutil.rmtree(basetemp, ignore_errors=True)


# --- store backends ----------------------------------------------------------------------------
# The store contract suite (tests/store/contract) and the flow tests (tests/flow) run once per
# backend listed here; a new backend adds its name and its branch in `store` and `backend`.
STORE_BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An empty, migrated store of each backend (a module's own `store` fixture overrides it).

    PostgreSQL: a fresh database of the session's throwaway cluster (tests/kit/pg.py; a server
    that cannot start fails the test), on the caller's clock so the tests' fake clocks drive
    leases and windows as they do on SQLite (middleware/store/postgres/database.py).
    """
    if request.param == "sqlite":
        opened: Store = await SqliteStore.open(tmp_path / "m.db")
    elif request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        opened = await PostgresStore.open(url, caller_clock=True)
    else:
        raise ValueError(f"no store backend named {request.param!r}")
    yield opened
    await opened.close()


@pytest.fixture(params=STORE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """Where a whole-system test's middleware keeps its store, once per backend (the flow
    tests, tests/flow): the SQLite file in `tmp_path`, or a fresh PostgreSQL database
    (tests/kit/backends.py)."""
    if request.param == "sqlite":
        return Backend("sqlite")
    if request.param == "postgres":
        return Backend("postgres", request.getfixturevalue("pg_url"))
    raise ValueError(f"no store backend named {request.param!r}")


# --------------------------------------------------------------------- the test kit: clocks,
# the emulators and the whole system (middleware.sandbox.system), one fresh each per test.


@pytest.fixture
def clock() -> ManualClock:
    """UTC time standing at 31 Oct 2026, 12:00, moved only by the test."""
    return ManualClock()


@pytest.fixture
def ticker() -> Ticker:
    """Monotonic seconds standing at 1000, moved only by the test."""
    return Ticker()


@pytest.fixture
async def emulators(tmp_path: Path) -> AsyncIterator[Emulators[MovableClock]]:
    """Channex and Duke Beach's sistema-os serving, the hotel created in the emulated Channex
    and its mapping file written (`tmp_path/mapping.json`); no middleware yet."""
    shifted: MovableClock = ShiftedClock()
    async with open_emulators(tmp_path, clock=shifted, credentials=CREDENTIALS) as served:
        yield served


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[System]:
    """Duke Beach live on the emulators with the middleware (web + worker) in this process."""
    async with start_system(tmp_path) as running:
        yield running
