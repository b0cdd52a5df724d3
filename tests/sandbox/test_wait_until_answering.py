"""Waiting for a middleware process to answer: a process that exits ends the wait at once,
and the failure carries what it printed (a chaos seed that cannot start says why)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from middleware.sandbox.processes import MiddlewareProcess, wait_until_answering


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_process_that_exits_ends_the_wait_with_its_output(tmp_path: Path) -> None:
    script = "print('address already in use'); raise SystemExit(3)"
    process = MiddlewareProcess(
        "web", ["-c", script], {}, cwd=tmp_path, log_path=tmp_path / "web.log"
    )
    await process.start()
    url = f"http://127.0.0.1:{closed_port()}/health"
    try:
        with pytest.raises(TimeoutError) as caught:
            await wait_until_answering(url, timeout_s=60.0, process=process)
    finally:
        await process.stop()
    assert str(caught.value) == (
        f"{url} did not answer: web exited 3; its output ends:\naddress already in use"
    )
