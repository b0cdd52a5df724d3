"""requirements-runtime.txt carries every third-party library the middleware imports and no
test tool; requirements.txt is that file plus the test and tooling packages."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from tests.test_processes import ROOT

TEST_TOOLS = {
    "pytest",
    "pytest-asyncio",
    "pytest-xdist",
    "aioresponses",
    "hypothesis",
    "ruff",
    "mypy",
    "mutmut",
    "playwright",
    "axe-playwright-python",
}
# Needed at run time but imported by a library, not by the middleware itself.
INDIRECT = {
    "tzdata": "zoneinfo's data",
    "jinja2": "Starlette's Jinja2Templates (the console)",
    "python-multipart": "Starlette's request.form() (the console's forms)",
}
# Distributions imported under another name.
IMPORT_NAMES = {"psycopg-pool": "psycopg_pool"}


def _names(path: Path) -> list[str]:
    """Package names of a requirements file (pins, comments and options left out)."""
    names = []
    for line in path.read_text("utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text and not text.startswith("-"):
            name = text.split("==", 1)[0].split("[", 1)[0].strip()  # extras: psycopg[binary]
            names.append(IMPORT_NAMES.get(name, name))
    return names


def _imported_libraries() -> set[str]:
    """Top-level modules the package imports that are neither ours nor the standard library."""
    found: set[str] = set()
    for path in (ROOT / "middleware").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"middleware", "__future__"}


def test_the_runtime_file_has_every_imported_library_and_no_test_tool() -> None:
    runtime = _names(ROOT / "requirements-runtime.txt")
    assert _imported_libraries() == set(runtime) - set(INDIRECT)
    assert set(INDIRECT) <= set(runtime)
    assert set(runtime) & TEST_TOOLS == set()


def test_the_full_file_is_the_runtime_file_plus_the_test_tools() -> None:
    text = (ROOT / "requirements.txt").read_text("utf-8")
    assert "-r requirements-runtime.txt" in text.splitlines()
    assert set(_names(ROOT / "requirements.txt")) == TEST_TOOLS
