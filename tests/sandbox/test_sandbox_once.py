"""The one-command sandbox: `python -m middleware.sandbox --once` as a real process (exit 0,
every step named, files only in its data directory), busy ports (exit 2), and the tour
in-process — what it prints, and that it notices when a step does not happen."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from middleware.clock import utc_now
from middleware.sandbox import __main__ as sandbox
from middleware.sandbox.faults import FaultPlan
from middleware.sandbox.system import open_system
from middleware.sandbox.tour import Tour
from middleware.serving import LOOPBACK

ROOT = Path(__file__).resolve().parents[2]
ONCE_TIMEOUT_S = 90
STEP_TITLES = (
    "[0/8] Going live: full ARI sync (POST /sync/full)",
    "[1/8] An OTA booking arrives: Booking.com, lvu, ",
    "[2/8] The OTA booking is modified: dates moved to ",
    "[3/8] The OTA booking is cancelled",
    "[4/8] A price change in sistema-os: lvu/padrao ",
    "[5/8] A minimum stay change in sistema-os: lvu/padrao ",
    "[6/8] A direct booking in sistema-os: ov, ",
    "[7/8] A two-room Expedia-collect booking with breakfast arrives: lvu + ov, ",
    "[8/8] Expedia removes the first room (lvu)",
)


def run_sandbox(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "middleware.sandbox", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=ONCE_TIMEOUT_S,
        check=False,
    )


def test_once_runs_the_whole_tour_and_exits_0(tmp_path: Path) -> None:
    data = tmp_path / "sandbox"
    done = run_sandbox(["--once", "--free-ports", "--data-dir", str(data)], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    titles = [line for line in lines if line.startswith("[")]
    assert len(titles) == len(STEP_TITLES)
    for title, start in zip(titles, STEP_TITLES, strict=True):
        assert title.startswith(start)
    assert not [line for line in lines if "FAIL" in line]
    assert lines[-1] == "tour complete: all 9 steps showed what they should"
    assert sorted(p.name for p in tmp_path.rglob("*")) == [
        ".env",
        "mapping.json",
        "middleware.db",
        "middleware.log",
        "sandbox",
    ]
    log = (data / "middleware.log").read_text()
    assert '"event":"outbox_pushed"' in log
    assert "sandbox-channex-api-key" not in log + done.stdout


def test_busy_ports_exit_2_naming_them(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        offset = port - sandbox.PMS_PORT
        done = run_sandbox(["--once", f"--ports-offset={offset}"], tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"sandbox: port {port} (sistema-os)")
    assert done.stderr.rstrip().endswith(
        "is another sandbox (or sistema-os) running? Stop it, or run with --ports-offset N or"
        " --free-ports."
    )
    assert list(tmp_path.iterdir()) == []


def test_free_ports_mean_any_port() -> None:
    assert sandbox.choose_ports(0, True) == sandbox.Ports(pms=0, middleware=0, channex=0)


async def test_the_tour_prints_each_call_with_its_values(tmp_path: Path) -> None:
    async with open_system(tmp_path, clock=utc_now, env=sandbox.SANDBOX_ENV) as stack:
        out = io.StringIO()
        results = await Tour(stack, out).run()
    assert [(r.number, r.ok) for r in results] == [(n, True) for n in range(9)]
    assert sandbox.print_outcome(results, out)
    start = stack.today() + timedelta(days=21)
    price_from, price_to = start + timedelta(days=14), start + timedelta(days=16)
    stay_from, stay_to = start, start + timedelta(days=2)
    text = out.getvalue().splitlines()
    step0 = text[: text.index(next(t for t in text if t.startswith("[1/8]")))]
    # going live ends with a read-back of Channex: no parity pass lands inside a later step
    [read_back] = [line for line in step0 if "Channex read back" in line]
    assert read_back.endswith(" cells compared with sistema-os, 0 differ")
    assert "  ok    Channex holds what sistema-os has" in step0
    step4 = text[text.index(next(t for t in text if t.startswith("[4/8]"))) :]
    assert step4[1:8] == [
        f"  PMS → middleware      POST  /webhook/pms  lvu {price_from}..{price_to}  → 202",
        f"  middleware → PMS      GET   /ari  {price_from}..{price_to}  → 200",
        "  middleware → Channex  POST  /restrictions  lvu/padrao"
        f" {price_from}..{price_to} rate=589.00  → 200",
        "  ok    exactly one /restrictions call",
        "  ok    rate 589.00 on those dates only",
        "  ok    no /availability call",
        "  ok    every Channex call answered 200",
    ]
    step1 = text[text.index(next(t for t in text if t.startswith("[1/8]"))) :]
    assert (
        f"  middleware → Channex  POST  /availability  lvu {stay_from}..{stay_to}"
        " availability=10  → 200"
    ) in step1[:12]
    assert text[-1] == "tour complete: all 9 steps showed what they should"


async def test_the_tour_names_the_steps_whose_outcome_it_did_not_see(tmp_path: Path) -> None:
    """Channex's booking webhooks are lost (and the feed poll is off): the five booking
    steps fail, saying what was missing; the ARI steps still pass."""
    async with open_system(tmp_path, clock=utc_now, env=sandbox.SANDBOX_ENV) as stack:
        stack.channex.faults = FaultPlan(7, p_drop_webhook=1.0)
        out = io.StringIO()
        tour = Tour(stack, out)
        start = tour.start
        results = await tour.run()
        first = stack.channex.state.bookings[tour.whole.booking_id].revision_ids[0]
        amount = stack.channex.state.revisions[first]["amount"]
    assert [r.number for r in results if not r.ok] == [1, 2, 3, 7, 8]
    assert results[1].problems == (
        "webhooks carry the secret header, answered 200: []",
        "the revision fetched by id: no GET of the revision",
        "the revision acked exactly once: 0 acks",
        "one sistema-os booking for the OTA booking: none or several",
        "one sistema-os POST /booking: answers []",
        "exactly one /availability call: 0 calls",
        "availability of the stay = sistema-os: got 0 cells [], want 3 cells ["
        + ", ".join(f"{start + timedelta(days=n)}:{{'availability': 11}}" for n in range(3))
        + "]",
    )
    assert not sandbox.print_outcome(results, out)
    assert results[7].problems == (
        "webhooks carry the secret header, answered 200: []",
        "the revision fetched by id: no GET of the revision",
        "the revision acked exactly once: 0 acks",
        "two sistema-os bookings, one per room: 0",
        f"their totals add up to Channex's amount {amount}: 0",
        "the breakfast rides on the first room: []",
        "Expedia collects (virtual card MC): None",
        "each room's own guest stays, the booker is recorded: []",
    )
    assert results[8].problems == ("the booking had two rooms: 0",)
    verdict = out.getvalue().splitlines()[-5:]
    assert [line.split(" (")[0] for line in verdict] == [
        "step 1 FAILED",
        "step 2 FAILED",
        "step 3 FAILED",
        "step 7 FAILED",
        "step 8 FAILED",
    ]
