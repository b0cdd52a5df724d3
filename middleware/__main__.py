"""`python -m middleware <command>`: the operator CLI (see `middleware.ops.cli`)."""

from __future__ import annotations

from middleware import pyversion

if pyversion.problem() is not None:  # first: one clear line on a Python older than 3.11
    pyversion.refuse()

import asyncio
import os
import sys

from middleware.logs import configure_logging
from middleware.ops import cli


def main() -> int:
    configure_logging("WARNING", stream=sys.stderr)
    return asyncio.run(cli.run(sys.argv[1:], os.environ, out=sys.stdout, err=sys.stderr))


if __name__ == "__main__":
    sys.exit(main())
