"""Create (or find) a hotel's property, room types and rate plans in Channex; write the mapping.

    python scripts/setup_channex_duke.py [--dry-run] [--webhook-url URL] [--mapping PATH]
        [--base-url URL] [--property-title TITLE] [--hotel duke_beach|certification]

Idempotent: entities that already exist are matched by the id the mapping file gives them, then
by title (property by title; room type by title within the property; rate plan by room type and
title) and mapped, never duplicated; a second run creates nothing and says "up to date". Ids
that changed are printed old → new and the mapping file it overwrites is kept beside it as
`<file>.bak-<UTC time>`. With `--webhook-url`, the property's webhook (same property, same
callback path) is moved to the new URL and leftovers of earlier runs are deleted; webhooks of
other properties are never touched. Reads CHANNEX_API_KEY, CHANNEX_BASE_URL,
CHANNEX_WEBHOOK_SECRET, CHANNEX_WEBHOOK_SECRET_HEADER and MAPPING_FILE through `load_settings`.
The logic is `middleware.channex.setup.run_setup` and the hotel tables are in
`middleware.channex.hotel_plans` (the sandbox uses both); this file is the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the `middleware` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from middleware import pyversion

if pyversion.problem() is not None:  # first: one clear line on a Python older than 3.11
    pyversion.refuse()

import argparse
import asyncio
import os
from collections.abc import Mapping, Sequence
from typing import TextIO

import aiohttp

from middleware import logs
from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import HOTELS, certification_plan, duke_beach_plan
from middleware.channex.setup import BasePathError, HotelPlan, SetupError, SetupReport, run_setup
from middleware.config import load_settings
from middleware.errors import MiddlewareError, RejectedUpstreamError, TransientUpstreamError

__all__ = [
    "HotelPlan",
    "SetupError",
    "SetupReport",
    "certification_plan",
    "cli",
    "duke_beach_plan",
    "run_setup",
]

EXIT_FAILED = 2
API_PATH = "/api/v1"
STAGING_API = "https://staging.channex.io/api/v1"

# --------------------------------------------------------------------------- the command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--webhook-url", help="register (or move) this property's webhook")
    parser.add_argument("--mapping", type=Path, help="mapping file (default MAPPING_FILE)")
    parser.add_argument("--base-url", help="Channex API root (default CHANNEX_BASE_URL)")
    parser.add_argument("--property-title", help="property title (default per hotel)")
    parser.add_argument("--hotel", choices=sorted(HOTELS), default="duke_beach")
    parser.add_argument("--verbose", action="store_true", help="log every Channex call")
    return parser


def explain(exc: MiddlewareError, base_url: str) -> str:
    """One line for the operator; no traceback."""
    if isinstance(exc, BasePathError):
        better = STAGING_API if base_url.endswith(API_PATH) else base_url + API_PATH
        return (
            f"Channex answered 404 at {base_url}: the base URL must be the API root, ending"
            f" in {API_PATH} (try --base-url {better} or CHANNEX_BASE_URL={better})"
        )
    if isinstance(exc, RejectedUpstreamError) and exc.status == 401:
        return "Channex rejected the API key (HTTP 401): check CHANNEX_API_KEY"
    if isinstance(exc, RejectedUpstreamError) and exc.status == 422:
        return f"Channex refused the data (HTTP 422): {exc}"
    if isinstance(exc, TransientUpstreamError) and exc.status is None:
        return f"cannot reach Channex at {base_url}: {exc}"
    return str(exc)


async def cli(argv: Sequence[str], environ: Mapping[str, str], *, out: TextIO, err: TextIO) -> int:
    """The command without process concerns (logging set-up, event loop): returns the exit code."""
    args = _parser().parse_args(list(argv))
    base_url = args.base_url or ""
    try:
        settings = load_settings(environ)
        base_url = (args.base_url or settings.channex_base_url).rstrip("/")
        plan = HOTELS[args.hotel](**({"title": args.property_title} if args.property_title else {}))
        api_key = str(settings.channex_api_key) if settings.channex_api_key else ""
        logs.register_secret(api_key)
        secret = settings.channex_webhook_secret
        async with aiohttp.ClientSession() as session:
            client = ChannexClient(session, base_url, api_key, timeout_s=settings.channex_timeout_s)
            report = await run_setup(
                client,
                plan,
                mapping_path=args.mapping or settings.mapping_file,
                webhook_url=args.webhook_url,
                webhook_secret=str(secret) if secret is not None else None,
                secret_header=settings.channex_webhook_secret_header,
                dry_run=args.dry_run,
                sync_days=settings.channex_sync_days,
            )
    except MiddlewareError as exc:
        print(f"error: {explain(exc, base_url)}", file=err)
        return EXIT_FAILED
    for line in report.lines():
        print(line, file=out)
    if args.webhook_url and secret is None and not args.dry_run:
        print(
            "warning: CHANNEX_WEBHOOK_SECRET is unset; the webhook has no secret header", file=err
        )
    return 0


def main() -> int:
    verbose = "--verbose" in sys.argv[1:]
    logs.configure_logging("DEBUG" if verbose else "ERROR")
    return asyncio.run(cli(sys.argv[1:], os.environ, out=sys.stdout, err=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
