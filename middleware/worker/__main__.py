"""`python -m middleware.worker`: the worker process (Procfile `worker`).

Reads sistema-os, pushes ARI changes to Channex (for properties that are live: the first
`sync full` puts them live), takes OTA bookings into sistema-os and acks them, polls the
revision feed and reads Channex back for parity. Settings come from the environment and
`.env` (see .env.example); it runs until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

from middleware import pyversion

if pyversion.problem() is not None:  # first: one clear line on a Python older than 3.11
    pyversion.refuse()

import argparse
import asyncio
import os
import signal
import sys

import structlog

from middleware import metrics_dir
from middleware.config import load_settings
from middleware.errors import ConfigError, MappingFileError
from middleware.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m middleware.worker",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.parse_args(argv)
    return asyncio.run(run())


async def run() -> int:
    try:
        settings = load_settings(os.environ)
    except ConfigError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, secrets=settings.secret_values())
    metrics_dir.use(settings.metrics_dir)  # before the worker (and prometheus_client) is imported
    from middleware.store.open import DatabaseUnavailableError
    from middleware.worker.assembly import open_worker_runtime
    from middleware.worker.runner import Worker

    log = structlog.get_logger("middleware.worker")
    try:
        async with open_worker_runtime(settings) as runtime:
            worker = Worker(runtime)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.stop()))
            worker.reloader.install_sighup()  # reload the mapping file
            await worker.run()
    except MappingFileError as exc:
        log.error("mapping_invalid", problems=list(exc.problems))
        return 2
    except (ConfigError, DatabaseUnavailableError) as exc:  # the store could not be opened
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
