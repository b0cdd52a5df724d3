"""`GET /_control`: an emulator's control routes, listed by the emulator itself.

The index is built from the routes the emulator really serves (so it cannot drift from them)
and carries the control module's own description of each route (its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

CONTROL_PREFIX = "/_control"


def index_route(name: str, control: Sequence[BaseRoute], described: str | None) -> Route:
    """The `GET /_control` route of emulator `name` listing `control` (method, path)."""
    listed = [
        {"method": method, "path": route.path}
        for route in control
        if isinstance(route, Route)
        for method in sorted(route.methods or ())
        if method != "HEAD"
    ]
    body = {"emulator": name, "routes": listed, "described": (described or "").strip()}

    async def index(request: Request) -> Response:
        return JSONResponse(body)

    return Route(CONTROL_PREFIX, index, methods=["GET"])
