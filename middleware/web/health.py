"""`GET /health` (open: monitors call it; it reveals no secrets) and `GET /metrics`.

`/health` answers 503 with status "failing" when a check fails; 200 with "warning" when all
pass but one needs a person's eye (a property not live yet, an unsigned webhook); else "ok".
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware import metrics
from middleware.web.context import ctx


async def health(request: Request) -> Response:
    checks = await ctx(request).checker.run()
    healthy = all(c.ok for c in checks)
    status = "failing" if not healthy else "warning" if any(c.warning for c in checks) else "ok"
    body = {
        "status": status,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


async def metrics_route(request: Request) -> Response:
    await ctx(request).refresh_gauges()
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def routes() -> list[BaseRoute]:
    return [
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
    ]
