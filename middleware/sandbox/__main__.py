"""`python -m middleware.sandbox`: the whole system on this machine, no credentials, one command.

    python -m middleware.sandbox [--once | --emulators-only] [--hotel duke_beach|certification]
                                 [--ports-offset N | --free-ports] [--data-dir PATH]

Starts the sistema-os emulator (127.0.0.1:8000), the middleware with its worker (8001) and
the Channex emulator (8002, or any free port if that one is taken); creates the hotel in the
emulated Channex with the real setup engine, registers the booking webhook with its secret
header, runs a full sync and the narrated tour (`middleware.sandbox.tour`). `--once` exits
after the tour: 0 if every step showed what it should, 1 naming the steps that did not.
Otherwise it stays up, printing where to look, until Ctrl-C. Exit 2: a port is taken.

`--emulators-only` starts just the two emulators (the hotel created in the emulated Channex,
its booking webhook pointed at 127.0.0.1:8001) so the Procfile's `web` and `worker` can be
tried against them; it stays up until Ctrl-C.

Files: only `data/sandbox/` (or `--data-dir`): the mapping, the database,
`middleware.log` (the middleware's own log lines) and `.env` (the settings that point the CLI
and the Procfile processes at this sandbox), recreated on every run.
"""

from __future__ import annotations

from middleware import pyversion

if pyversion.problem() is not None:  # first: one clear line on a Python older than 3.11
    pyversion.refuse()

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO, TypeVar

from middleware import logs
from middleware.channex.hotel_plans import HOTELS
from middleware.clock import Clock, utc_now
from middleware.sandbox import system as systems
from middleware.sandbox import system_emulators as emulated
from middleware.sandbox.tour import StepResult, Tour
from middleware.serving import LOOPBACK

PMS_PORT, MIDDLEWARE_PORT, CHANNEX_PORT = 8000, 8001, 8002
DEFAULT_DATA_DIR = Path("data/sandbox")
OWN_FILES = ("mapping.json", "middleware.db", "middleware.db-wal", "middleware.db-shm", ".env")
ENV_FILE = ".env"
LOG_FILE = "middleware.log"
EXIT_OK, EXIT_TOUR_FAILED, EXIT_PORTS, EXIT_INTERRUPTED = 0, 1, 2, 130
# The middleware as the sandbox runs it: quick ticks, polls off (webhooks and sistema-os's
# change notices arrive on loopback at once), a short coalescing window.
SANDBOX_ENV = {
    "WORKER_INTERVAL": "0.2",
    "PMS_POLL_INTERVAL": "0",
    "FEED_POLL_INTERVAL": "0",
    "ARI_DEBOUNCE": "0.5",
    "ARI_MAX_DELAY": "3",
    "LOG_LEVEL": "INFO",
}
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Ports:
    pms: int
    middleware: int
    channex: int


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m middleware.sandbox",
        description="Both emulators and the middleware on this machine, then a narrated tour.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="exit after the tour (0 = all ok)")
    mode.add_argument(
        "--emulators-only",
        action="store_true",
        help="just the two emulators, for the Procfile's web and worker (see data/sandbox/.env)",
    )
    parser.add_argument("--hotel", choices=sorted(HOTELS), default="duke_beach")
    ports = parser.add_mutually_exclusive_group()
    ports.add_argument("--ports-offset", type=int, default=0, help="add N to 8000/8001/8002")
    ports.add_argument("--free-ports", action="store_true", help="any free ports (CI)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    return parser


def port_free(port: int) -> bool:
    """Whether a server could listen on `port` now. SO_REUSEADDR as the servers themselves set
    it: a port whose last connections are in TIME_WAIT (a sandbox just stopped) is free."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def choose_ports(offset: int, free: bool, *, fixed_middleware: bool = False) -> Ports | str:
    """The ports to use, or why the sandbox cannot start. `fixed_middleware`: the middleware
    port must be a number now (another process will listen there), even with `free`."""
    if free:
        middleware = any_free_port() if fixed_middleware else 0
        return Ports(pms=0, middleware=middleware, channex=0)
    wanted = Ports(
        pms=PMS_PORT + offset, middleware=MIDDLEWARE_PORT + offset, channex=CHANNEX_PORT + offset
    )
    busy = [
        f"{port} ({who})"
        for port, who in ((wanted.pms, "sistema-os"), (wanted.middleware, "middleware"))
        if not port_free(port)
    ]
    if busy:
        return (
            f"port {' and '.join(busy)} already in use on {LOOPBACK}: is another sandbox (or"
            " sistema-os) running? Stop it, or run with --ports-offset N or --free-ports."
        )
    channex = wanted.channex if port_free(wanted.channex) else 0
    return Ports(pms=wanted.pms, middleware=wanted.middleware, channex=channex)


def fresh_data_dir(path: Path) -> Path:
    """The data directory with none of a previous run's files left."""
    path.mkdir(parents=True, exist_ok=True)
    for name in (*OWN_FILES, LOG_FILE):
        (path / name).unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def middleware_log(path: Path) -> Iterator[None]:
    """The middleware's log lines (JSON) go to the file, not to the tour's terminal."""
    with path.open("a", encoding="utf-8") as stream:
        logs.configure_logging("INFO", as_json=True, stream=stream)
        try:
            yield
        finally:
            logs.configure_logging("WARNING", stream=sys.stderr)


async def until_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event) -> T | None:
    """Run `work` unless `stop` is set first (then it is cancelled and None comes back)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


def explore_text(stack: systems.System[Clock]) -> list[str]:
    """Where to look while the sandbox stays up, with copy-paste commands."""
    channex_root = stack.channex_url.removesuffix("/api/v1")
    auth = f"-H 'Authorization: Bearer {emulated.SANDBOX.admin_token}'"
    first = stack.today() + timedelta(days=30)
    room = stack.mapping.properties[0].room_types[0]
    booking = {
        "rooms": [
            {
                "room_type_id": room.room_type_id,
                "rate_plan_id": room.rate_plans[0].rate_plan_id,
                "checkin_date": first.isoformat(),
                "checkout_date": (first + timedelta(days=2)).isoformat(),
                "adults": 2,
            }
        ]
    }
    rate = {
        "categoria": room.room_code,
        "plano": room.rate_plans[0].plan_code,
        "date_from": first.isoformat(),
        "date_to": first.isoformat(),
        "rate": "610.00",
    }
    return [
        "",
        "The sandbox stays up. Explore (Ctrl-C stops everything):",
        f"  the console         {stack.url}/console/  (admin token {emulated.SANDBOX.admin_token})",
        f"  signed in, once     {stack.console_sign_in_url()}  (valid 10 min, one use)",
        f"  middleware health   curl {stack.url}/health",
        f"  middleware status   curl {auth} {stack.url}/status",
        f"  metrics             curl {stack.url}/metrics",
        f"  manual test push    curl -X POST {auth} {stack.url}/admin/channex/test/rate",
        f"  validate the ids    curl {auth} {stack.url}/admin/channex/validate-ids",
        f"  Channex emulator    {stack.channex_url} (user-api-key: {emulated.SANDBOX.api_key});"
        f" what it received: curl {channex_root}/_control/requests",
        f"  sistema-os emulator {stack.pms_url}; its bookings:"
        f" curl {stack.pms_url}/_control/bookings",
        "",
        "An OTA booking arriving through Channex:",
        f"  curl -X POST {channex_root}/_control/bookings -H 'Content-Type: application/json'"
        f" -d '{json.dumps(booking)}'",
        "A price change in sistema-os:",
        f"  curl -X POST {stack.pms_url}/_control/rates -H 'Content-Type: application/json'"
        f" -d '{json.dumps(rate)}'",
        "The middleware's log: " + str(stack.settings.database_path.parent / LOG_FILE),
    ]


def env_file_text(settings: Mapping[str, str]) -> str:
    """`KEY=value` lines a shell (`set -a; . FILE; set +a`), honcho and the middleware's own
    `.env` reading all accept."""
    lines = ["# Written by python -m middleware.sandbox: points the CLI and the Procfile here."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def write_env_file(data_dir: Path, settings: Mapping[str, str]) -> Path:
    path = data_dir / ENV_FILE
    path.write_text(env_file_text(settings), encoding="utf-8")
    path.chmod(0o600)  # it holds the (sandbox) admin token and API key
    return path


def cli_env(stack: systems.System[Clock], data_dir: Path) -> dict[str, str]:
    """The running sandbox's settings with absolute paths, for the CLI in another shell."""
    env = {key: value for key, value in stack.env.items() if key != "WORKER_IN_PROCESS"}
    env["MAPPING_FILE"] = str((data_dir / "mapping.json").resolve())
    env["DATABASE_PATH"] = str((data_dir / "middleware.db").resolve())
    return env


def load_hint(path: Path) -> str:
    return f"load it in a shell with:  set -a; . {path}; set +a"


def print_outcome(results: Sequence[StepResult], out: TextIO) -> bool:
    """The tour's verdict: one line per failed step, naming it; True when none failed."""
    failed = [r for r in results if not r.ok]
    print("", file=out)
    for r in failed:
        print(f"step {r.number} FAILED ({r.title}): {'; '.join(r.problems)}", file=out)
    if not failed:
        print(f"tour complete: all {len(results)} steps showed what they should", file=out)
    return not failed


async def run_sandbox(args: argparse.Namespace, ports: Ports, out: TextIO) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    data_dir = fresh_data_dir(args.data_dir)
    with middleware_log(data_dir / LOG_FILE):
        async with systems.open_system(
            data_dir,
            clock=utc_now,
            hotels=emulated.Hotels(plan=args.hotel, pms_port=ports.pms),
            channex=emulated.ChannexKnobs(port=ports.channex),
            env=SANDBOX_ENV,
            port=ports.middleware,
        ) as stack:
            print(f"sistema-os emulator  {stack.pms_url}", file=out)
            print(f"middleware           {stack.url}  (worker inside)", file=out)
            print(f"Channex emulator     {stack.channex_url}", file=out)
            env_path = write_env_file(data_dir, cli_env(stack, data_dir))
            print(f"settings for the CLI: {env_path} ({load_hint(env_path)})", file=out)
            print(
                f"setup: {stack.mapping.properties[0].name} created in the emulated Channex with"
                f" {len(stack.mapping.properties[0].room_types)} room types; booking webhook"
                f" registered with the {emulated.SANDBOX.secret_header} header",
                file=out,
                flush=True,
            )
            tour = Tour(stack, out, hotel=args.hotel)
            results = await until_stopped(tour.run(), stop)
            if results is None:
                print("\ninterrupted", file=out)
                return EXIT_INTERRUPTED
            all_ok = print_outcome(results, out)
            if args.once:
                return EXIT_OK if all_ok else EXIT_TOUR_FAILED
            print("\n".join(explore_text(stack)), file=out, flush=True)
            await stop.wait()
            print("\nstopping…", file=out, flush=True)
    return EXIT_OK


async def run_emulators(args: argparse.Namespace, ports: Ports, out: TextIO) -> int:
    """Both emulators until Ctrl-C, with `.env` pointing the Procfile processes at them."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    data_dir = fresh_data_dir(args.data_dir)
    async with emulated.open_emulators(
        data_dir,
        clock=utc_now,
        hotels=emulated.Hotels(plan=args.hotel, pms_port=ports.pms),
        channex=emulated.ChannexKnobs(port=ports.channex),
    ) as emulators:
        middleware_url = f"http://{LOOPBACK}:{ports.middleware}"
        await emulators.connect(middleware_url)
        env = {
            **emulators.middleware_env(data_dir.resolve()),
            "MAPPING_FILE": str(emulators.mapping_path.resolve()),
            "PORT": str(ports.middleware),
            **{k: v for k, v in SANDBOX_ENV.items() if k != "LOG_LEVEL"},
        }
        env_path = write_env_file(data_dir, env)
        print(f"sistema-os emulator  {emulators.pms_url}", file=out)
        print(f"Channex emulator     {emulators.channex_url}", file=out)
        print(
            f"setup: {emulators.mapping.properties[0].name} created in the emulated Channex;"
            f" its booking webhook points at {middleware_url}/webhook/channex",
            file=out,
        )
        print(f"settings for the middleware: {env_path}", file=out)
        print(f"  {load_hint(env_path)}", file=out)
        print(
            "  then, each in its own shell:  .venv/bin/python -m middleware.web --port"
            f" {ports.middleware}   and   .venv/bin/python -m middleware.worker",
            file=out,
        )
        print("  control routes:  curl " + emulators.pms_url + "/_control", file=out)
        print(
            "                   curl "
            + emulators.channex_url.removesuffix("/api/v1")
            + "/_control",
            file=out,
        )
        print("Ctrl-C stops the emulators.", file=out, flush=True)
        await stop.wait()
        emulators.point_pms_at(None)
        print("\nstopping…", file=out, flush=True)
    return EXIT_OK


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = build_parser().parse_args(argv)
    logs.configure_logging("WARNING", stream=sys.stderr)
    ports = choose_ports(args.ports_offset, args.free_ports, fixed_middleware=args.emulators_only)
    if isinstance(ports, str):
        print(f"sandbox: {ports}", file=sys.stderr)
        return EXIT_PORTS
    runner = run_emulators if args.emulators_only else run_sandbox
    try:
        return asyncio.run(runner(args, ports, out))
    except OSError as exc:  # a port taken between the check and the bind
        print(f"sandbox: cannot listen: {exc}", file=sys.stderr)
        return EXIT_PORTS


if __name__ == "__main__":
    sys.exit(main())
