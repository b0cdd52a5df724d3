"""The soak's middleware process: `python -m middleware.web` in one-process mode, on a clock
that `scripts/soak.py` moves (`soak_clock.FileClock`).

    python -m scripts.soak_middleware --clock-file PATH --port N

Settings come from the environment as for the real entry point; only the clock differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the `middleware` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import os
import signal

import uvicorn

from middleware.config import load_settings
from middleware.logs import configure_logging
from middleware.mapping_file import load_mapping
from scripts.soak_clock import FileClock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clock-file", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = load_settings(os.environ)
    mapping = load_mapping(settings.mapping_file)
    configure_logging(settings.log_level, secrets=settings.secret_values())
    from middleware.web.app import create_app

    app = create_app(settings, clock=FileClock(args.clock_file), mapping=mapping, run_worker=True)
    for sig in (signal.SIGTERM, signal.SIGINT):  # uvicorn re-raises them after its shutdown
        signal.signal(sig, lambda *_: None)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
