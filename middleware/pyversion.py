"""The Python the middleware needs, checked first by every entry point with one clear line.

Kept importable by any Python from 3.7 (nothing newer is used at run time), so an old
interpreter says what is wrong instead of failing on a later import. Each entry point runs,
before its other imports:

    from middleware import pyversion

    if pyversion.problem() is not None:
        pyversion.refuse()
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

MINIMUM = (3, 11)
EXIT_TOO_OLD = 2


def problem(version: Sequence[int] | None = None, executable: str | None = None) -> str | None:
    """None when `version` (default: this interpreter's) is new enough, else the one line."""
    found = tuple(sys.version_info[:3] if version is None else version[:3])
    if found >= MINIMUM:
        return None
    have = ".".join(str(part) for part in found)
    need = ".".join(str(part) for part in MINIMUM)
    where = sys.executable if executable is None else executable
    return (
        f"the middleware needs Python {need} or newer; this is Python {have} ({where})."
        " Create the venv with python3.11 (or newer): python3.11 -m venv .venv"
    )


def refuse(version: Sequence[int] | None = None, executable: str | None = None) -> NoReturn:
    """Print the problem to stderr and exit 2."""
    print(f"error: {problem(version, executable)}", file=sys.stderr)
    sys.exit(EXIT_TOO_OLD)
