"""`python -m middleware.web [--host ADDR] [--port N]`: the web process (Procfile `web`).

Binds HOST (default 0.0.0.0: every interface) and PORT (default 8001); `--host` and `--port`
win over both. With Channex enabled and CHANNEX_WEBHOOK_SECRET empty it refuses to start
(exit 2, one line) unless CHANNEX_WEBHOOK_ALLOW_UNSIGNED=true names the risk: an unsigned
`/webhook/channex` takes anyone's POST. This covers the one-process mode too
(WORKER_IN_PROCESS=true runs the worker inside this process). A PostgreSQL `DATABASE_URL`
that cannot be reached is one line too (exit 2), before the server starts, as the worker says it.
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

import uvicorn

from middleware import metrics_dir
from middleware.config import Settings, load_settings
from middleware.errors import ConfigError, MappingFileError
from middleware.logs import configure_logging
from middleware.mapping_file import load_mapping


def unsigned_webhook_refusal(settings: Settings) -> str | None:
    """Why the web process must not start as configured, or None."""
    if not settings.channex_enabled or settings.channex_webhook_secret is not None:
        return None
    if settings.channex_webhook_allow_unsigned:
        return None
    return (
        "CHANNEX_WEBHOOK_SECRET is empty: /webhook/channex would take anyone's POST; set it"
        " (and register the webhook with it: scripts/setup_channex_duke.py --webhook-url), or"
        " set CHANNEX_WEBHOOK_ALLOW_UNSIGNED=true to accept that risk"
    )


async def database_refusal(settings: Settings) -> str | None:
    """Why the store named by `DATABASE_URL` cannot be used, or None. One connection, opened
    and closed: without it uvicorn reports the failed lifespan as a traceback. SQLite is
    opened (created, migrated) by the lifespan itself, as before."""
    from middleware.store.open import DatabaseUnavailableError, open_store_read_only, postgres_url

    try:
        if postgres_url(settings) is None:
            return None
        store = await open_store_read_only(settings)
    except (ConfigError, DatabaseUnavailableError) as exc:
        return str(exc)
    await store.close()
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m middleware.web", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--host", default=None, help="bind address (default: HOST or 0.0.0.0)")
    parser.add_argument("--port", type=int, default=None, help="port (default: PORT or 8001)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(os.environ)
        mapping = load_mapping(settings.mapping_file)
    except (ConfigError, MappingFileError) as exc:
        print(f"middleware: {exc}", file=sys.stderr)
        return 2
    if (refusal := unsigned_webhook_refusal(settings)) is not None:
        print(f"middleware: {refusal}", file=sys.stderr)
        return 2
    if (refusal := asyncio.run(database_refusal(settings))) is not None:
        print(f"middleware: {refusal}", file=sys.stderr)
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
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # CHANNEX_TRUST_FORWARDED_FOR decides whether X-Forwarded-For counts
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
