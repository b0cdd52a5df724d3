"""The Python version check every entry point runs first."""

from __future__ import annotations

import pytest

from middleware import pyversion

TOO_OLD = (
    "the middleware needs Python 3.11 or newer; this is Python {} (/usr/bin/python3)."
    " Create the venv with python3.11 (or newer): python3.11 -m venv .venv"
)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ((3, 11, 0), None),
        ((3, 11, 7, "final", 0), None),
        ((3, 13, 1), None),
        ((4, 0, 0), None),
        ((3, 10, 12), TOO_OLD.format("3.10.12")),
        ((3, 9, 2, "final", 0), TOO_OLD.format("3.9.2")),
        ((2, 7, 18), TOO_OLD.format("2.7.18")),
    ],
)
def test_problem_names_the_version_found_and_what_to_do(
    version: tuple[int, ...], expected: str | None
) -> None:
    assert pyversion.problem(version, executable="/usr/bin/python3") == expected


def test_this_interpreter_is_new_enough() -> None:
    assert pyversion.problem() is None


def test_refuse_prints_one_line_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        pyversion.refuse((3, 10, 4), "/opt/py310/bin/python")
    assert stopped.value.code == 2
    assert capsys.readouterr() == (
        "",
        "error: the middleware needs Python 3.11 or newer; this is Python 3.10.4"
        " (/opt/py310/bin/python). Create the venv with python3.11 (or newer):"
        " python3.11 -m venv .venv\n",
    )
