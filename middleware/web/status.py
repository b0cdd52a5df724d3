"""`GET /status` (admin): per property — last full sync, last push per endpoint, rate-limit
tokens and pause, pending and dead-lettered pushes, Channex warnings, bookings needing
attention with their reason."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.ops.report import status_report
from middleware.web.auth import require_admin
from middleware.web.context import ctx


async def status(request: Request) -> Response:
    rt = ctx(request).runtime
    if (denied := require_admin(request, rt.settings.admin_token)) is not None:
        return denied
    return JSONResponse(await status_report(rt))


def routes() -> list[BaseRoute]:
    return [Route("/status", status, methods=["GET"])]
