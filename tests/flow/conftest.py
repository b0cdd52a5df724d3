"""The flow tests' own `system`: the suite's (tests/conftest.py), once per store backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.flow.harness import System, start_system
from tests.kit.backends import Backend


@pytest.fixture
async def system(tmp_path: Path, backend: Backend) -> AsyncIterator[System]:
    """Duke Beach live on the emulators with the middleware (web + worker) in this process,
    its store on `backend`."""
    async with start_system(tmp_path, backend) as running:
        yield running
