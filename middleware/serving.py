"""Run an ASGI app under uvicorn inside the current event loop (tests, sandbox, benchmarks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 10.0


@contextlib.asynccontextmanager
async def serve_app(
    app: Any, host: str = LOOPBACK, port: int = 0, *, log_level: str = "warning"
) -> AsyncIterator[str]:
    """Serve `app` until the block ends; yields its base URL (`http://127.0.0.1:PORT`)."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets created with it, and
    # without TCP_NODELAY every loopback call waits ~40 ms on delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        proxy_headers=False,  # CHANNEX_TRUST_FORWARDED_FOR is the only switch for X-Forwarded-For
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn:{bound_port}")
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server stopped during start-up")
                await asyncio.sleep(0.01)
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()
