"""`python -m middleware.web [--port N]`: the web process (Procfile `web`; honours PORT)."""

from __future__ import annotations

import argparse
import os
import signal
import sys

import uvicorn

from middleware import metrics_dir
from middleware.config import load_settings
from middleware.errors import ConfigError, MappingFileError
from middleware.logs import configure_logging
from middleware.mapping import load_mapping


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m middleware.web")
    parser.add_argument("--host", default="0.0.0.0", help="bind address (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=None, help="port (default: PORT or 8001)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(os.environ)
        mapping = load_mapping(settings.mapping_file)
    except (ConfigError, MappingFileError) as exc:
        print(f"middleware: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, secrets=settings.secret_values())
    metrics_dir.use(settings.metrics_dir)  # before the app (and prometheus_client) is imported
    from middleware.web.app import create_app

    app = create_app(settings, mapping=mapping, reload_on_sighup=True)
    # uvicorn re-raises the signal that stopped it after its graceful shutdown; with these
    # (restored) handlers in place that is a no-op, so SIGTERM ends the process with exit 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port or settings.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # CHANNEX_TRUST_FORWARDED_FOR decides whether X-Forwarded-For counts
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
