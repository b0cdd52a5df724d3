"""The console mounted at `/console`: sign-in, pages, forms, live events and static assets.

Every answer carries a strict Content-Security-Policy (only the app's own scripts, styles and
images; no framing; forms post only to the app), `no-store` caching and no referrer, so a
page with guest names is neither cached nor framed, and no URL of it leaks elsewhere.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from middleware.console import actions, live_events, pages, sign_in
from middleware.console.state import PREFIX, STATIC

SECURITY_HEADERS = {
    b"content-security-policy": b"default-src 'none'; script-src 'self'; style-src 'self';"
    b" img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none';"
    b" base-uri 'none'",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
}
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` (and `no-store`, unless the answer set its own caching)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend((k, v) for k, v in SECURITY_HEADERS.items() if k not in names)
                if b"cache-control" not in names:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_headers)


def mount() -> BaseRoute:
    routes: list[BaseRoute] = [
        *sign_in.routes(),
        *pages.routes(),
        *actions.routes(),
        *live_events.routes(),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    return Mount(PREFIX, app=SecurityHeaders(Router(routes=routes)), name="console")
