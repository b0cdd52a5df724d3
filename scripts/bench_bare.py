"""The benchmark's yardstick: a bare Starlette endpoint that parses the JSON body and answers 200.

    python scripts/bench_bare.py --port N     (or: python -m scripts.bench_bare --port N)

`POST /webhook/channex` reads the body, decodes it with orjson (as the middleware does) and
answers `{"status": "ok"}` — no checks, no storage. It is served exactly like the middleware's
web process (`middleware.web.__main__`): one process, `uvicorn.run` with the same options, so
the difference between the two is what the middleware's intake path costs.
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
import signal
from collections.abc import Sequence

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PATH = "/webhook/channex"


async def receive(request: Request) -> Response:
    try:
        orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return JSONResponse({"error": "body is not valid JSON"}, status_code=400)
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    return Starlette(routes=[Route(PATH, receive, methods=["POST"])])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_bare", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT):  # as middleware.web: SIGTERM ends with exit 0
        signal.signal(sig, lambda *_: None)
    uvicorn.run(  # the options of middleware.web.__main__
        create_app(),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
