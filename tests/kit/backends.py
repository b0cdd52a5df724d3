"""Where a whole-system test's middleware keeps its store: a `Backend` per store backend.

The fixture `backend` (tests/conftest.py) is parametrized over `STORE_BACKENDS`, so a flow
test that takes it runs once on each: `sqlite` — the file `middleware.db` in the test's
directory, as the harness has always used — and `postgres` — a fresh database of the worker's
throwaway cluster (tests/kit/pg.py), created for the test and dropped after it.

    async def test_x(tmp_path: Path, backend: Backend) -> None:
        async with start_system(tmp_path, backend) as system: ...

`SQLITE_ONLY` keeps one test on SQLite (say why beside it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

SQLITE_FILE = "middleware.db"  # in the test's directory (`system_emulators.middleware_env`)

# Overrides the fixture's parameters for one test (pytest's indirect parametrization).
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@dataclass(frozen=True, slots=True)
class Backend:
    """One store backend for a test's middleware. `database_url` None: the SQLite file."""

    name: str
    database_url: str | None = None

    def env(self) -> dict[str, str]:
        """The settings that point a middleware at this store (SQLite: none needed, the
        harness's `DATABASE_PATH` names the file)."""
        return {} if self.database_url is None else {"DATABASE_URL": self.database_url}
