"""Mutation testing, one module at a time against its own unit tests (the helper of mutation.sh).

    python -m scripts.mutation modules          # the default modules: `only_mutate` in pyproject
    python -m scripts.mutation run MODULE       # a fresh `mutants/`, mutmut over MODULE only
    python -m scripts.mutation score MODULE     # the score of that run, raw and adjusted

A module's own unit tests are the files that mirror it: `middleware/domain/ari.py` →
`tests/domain/test_ari.py` (and `test_ari_*.py`). Flow and other modules' tests never count.
Mutants that no test could catch (equivalent: same behaviour) are listed, each with a
fingerprint of its change and the reason, in `scripts/mutation_equivalent.txt`; the adjusted
score leaves them out. An entry whose mutant changed, or that a test now kills, is reported
stale and is not left out.
"""

from __future__ import annotations

from middleware import pyversion

if pyversion.problem() is not None:  # first: one clear line on a Python older than 3.11
    pyversion.refuse()

import argparse
import dataclasses
import hashlib
import json
import shutil
import tomllib
from collections import Counter
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "middleware"
EQUIVALENT_FILE = ROOT / "scripts" / "mutation_equivalent.txt"
MUTANTS_DIR = "mutants"
DETECTED = frozenset({"killed", "timeout"})
NOT_RUN = "not checked"  # mutmut's status for a mutant a timed-out run never reached
DEFAULT_MAX_CHILDREN = 2


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Module:
    path: str  # "middleware/domain/ari.py", relative to the repository root
    tests: tuple[str, ...]  # its own unit test files, relative to the repository root


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Equivalent:
    name: str
    fingerprint: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    total: int
    detected: int
    equivalent: int
    by_status: dict[str, int]

    @property
    def raw(self) -> float:
        return 100.0 * self.detected / self.total if self.total else 100.0

    @property
    def adjusted(self) -> float:
        judged = self.total - self.equivalent
        return 100.0 * self.detected / judged if judged else 100.0


def resolve(name: str) -> Module:
    """`domain/ari.py`, `middleware/domain/ari.py`, `domain.ari` → the module and its tests."""
    text = name.removesuffix(".py").replace(".", "/")
    text = text.removeprefix(f"{PACKAGE}/")
    path = f"{PACKAGE}/{text}.py"
    if not (ROOT / path).is_file():
        raise SystemExit(f"mutation: no module {path}")
    folder, _, stem = text.rpartition("/")
    test_dir = ROOT / "tests" / folder
    tests = sorted(
        str(p.relative_to(ROOT))
        for pattern in (f"test_{stem}.py", f"test_{stem}_*.py")
        for p in test_dir.glob(pattern)
    )
    if not tests:
        raise SystemExit(
            f"mutation: {path} has no unit tests of its own (tests/{folder}/test_{stem}.py)"
        )
    return Module(path=path, tests=tuple(tests))


def default_modules() -> list[str]:
    """The files `only_mutate` in pyproject's [tool.mutmut] names (empty `__init__.py` aside)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["mutmut"]
    patterns: list[str] = config["only_mutate"]
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / PACKAGE).rglob("*.py"))
    return [
        f for f in files if any(fnmatch(f, p) for p in patterns) and not f.endswith("__init__.py")
    ]


def run(module: Module, max_children: int) -> int:
    """mutmut over `module` alone, its own tests selected, from a fresh `mutants/` copy."""
    from mutmut import configuration
    from mutmut.__main__ import cli

    shutil.rmtree(ROOT / MUTANTS_DIR, ignore_errors=True)
    # mutmut reads [tool.mutmut] once; the module and its tests are this run's own.
    configuration._config = dataclasses.replace(
        configuration.config(),
        only_mutate=[module.path],
        pytest_add_cli_args_test_selection=list(module.tests),
    )
    args = ["run", "--max-children", str(max_children)]
    try:
        cli.main(args=args, prog_name="mutmut", standalone_mode=False)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def statuses(module: Module) -> dict[str, str]:
    """Each mutant of the last run and its status (`killed`, `survived`, `no tests`, ...)."""
    from mutmut.stats import status_by_exit_code

    meta = ROOT / MUTANTS_DIR / f"{module.path}.meta"
    if not meta.is_file():
        return {}
    codes: dict[str, int | None] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    return {name: status_by_exit_code[code] for name, code in codes.items()}


def change(name: str, module: Module) -> list[str]:
    """The lines a mutant removes (`-`) and adds (`+`)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=module.path)
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def fingerprint(name: str, module: Module) -> str:
    """A short hash of the lines a mutant changes: it moves when the mutant does."""
    return hashlib.sha256("\n".join(change(name, module)).encode()).hexdigest()[:10]


def load_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, Equivalent]:
    """`name fingerprint reason…` per line; `#` starts a comment."""
    entries: dict[str, Equivalent] = {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(maxsplit=2)
        if len(parts) < 3:
            raise SystemExit(f"{path}:{number}: want `mutant fingerprint reason`, got {line!r}")
        entries[parts[0]] = Equivalent(name=parts[0], fingerprint=parts[1], reason=parts[2])
    return entries


def score(module: Module) -> tuple[Score, list[str], list[str]]:
    """(the score, surviving mutants not set aside, stale equivalent entries) of the last run."""
    found = statuses(module)
    prefix = module.path.removesuffix(".py").replace("/", ".") + "."
    listed = {n: e for n, e in load_equivalents().items() if n.startswith(prefix)}
    equivalent: set[str] = set()
    stale: list[str] = []
    for name, entry in sorted(listed.items()):
        status = found.get(name)
        if status is None:
            stale.append(f"{name}: no such mutant any more")
        elif status == NOT_RUN:
            continue  # a timed-out run: neither caught nor set aside
        elif status != "survived":
            stale.append(f"{name}: {status}, so not an equivalent")
        elif (now := fingerprint(name, module)) != entry.fingerprint:
            stale.append(f"{name}: the mutant changed (fingerprint {now}), check it again")
        else:
            equivalent.add(name)
    survivors = sorted(
        f"{name} {fingerprint(name, module)} ({status})\n"
        + "\n".join(f"        {line.strip()}" for line in change(name, module))
        for name, status in found.items()
        if status not in DETECTED and status != NOT_RUN and name not in equivalent
    )
    result = Score(
        total=len(found),
        detected=sum(status in DETECTED for status in found.values()),
        equivalent=len(equivalent),
        by_status=dict(Counter(found.values())),
    )
    return result, survivors, stale


def report(module: Module, *, timed_out: bool) -> str:
    """Print the score and details of the last run of `module`; return the score line."""
    result, survivors, stale = score(module)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.by_status.items()))
    line = (
        f"{module.path:<36} raw {result.raw:5.1f} %  adjusted {result.adjusted:5.1f} %"
        f"  ({result.detected}/{result.total} caught, {result.equivalent} equivalent)"
    )
    print(f"\n{line}\n    {counts or 'no mutants'}")
    if timed_out:
        not_run = result.by_status.get(NOT_RUN, 0)
        print(f"    TIMED OUT: {not_run} mutants not run, counted as not caught")
    for survivor in survivors:
        print(f"    not caught: {survivor}")
    for entry in stale:
        print(f"    stale in {EQUIVALENT_FILE.name}: {entry}")
    return line + ("  TIMED OUT" if timed_out else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("modules", help="print the default modules, one a line")
    run_parser = commands.add_parser("run", help="mutmut over one module against its own tests")
    run_parser.add_argument("module")
    run_parser.add_argument("--max-children", type=int, default=DEFAULT_MAX_CHILDREN)
    score_parser = commands.add_parser("score", help="the score of the last run of MODULE")
    score_parser.add_argument("module")
    score_parser.add_argument("--timed-out", action="store_true")
    score_parser.add_argument("--summary", type=Path, help="append the score line to this file")
    args = parser.parse_args(argv)
    if args.command == "modules":
        print("\n".join(default_modules()))
        return 0
    module = resolve(args.module)
    if args.command == "run":
        return run(module, args.max_children)
    line = report(module, timed_out=args.timed_out)
    if args.summary is not None:
        with args.summary.open("a", encoding="utf-8") as summary:
            summary.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
