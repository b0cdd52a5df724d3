"""`METRICS_DIR`: prometheus_client's multiprocess mode for the two-process deployment.

In the Procfile deployment the worker's counters (pushes, Channex calls, bookings) live in the
worker process while `/metrics` is served by the web process. With `METRICS_DIR` set, both
entry points call `use()` before anything imports prometheus_client: it points the library's
`PROMETHEUS_MULTIPROC_DIR` at that directory, so every process writes its values to its own
files there and the web process's `/metrics` merges them (`metrics.exposition`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use(directory: Path | None) -> None:
    """Switch this process to multiprocess metrics in `directory` (None: leave it alone).

    Raises `RuntimeError` when prometheus_client is already imported: the library decides the
    mode once, at import, so a late switch would silently keep the single-process registry.
    """
    if directory is None:
        return
    wanted = str(directory)
    if "prometheus_client" in sys.modules and os.environ.get(MULTIPROC_ENV) != wanted:
        raise RuntimeError("METRICS_DIR must be applied before prometheus_client is imported")
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = wanted
