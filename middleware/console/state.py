"""What the console keeps for the life of the web process, and what every handler shares:
the sessions, the sign-in throttle, the templates, rendering and the session guard.

`ConsoleState` lives at `app.state.console` (set by `web.app.create_app`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from middleware import logs
from middleware.config import Settings
from middleware.console import i18n
from middleware.console.bookings_data import path_of
from middleware.console.catalog import Catalog
from middleware.console.session import (
    COOKIE_PATH,
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    Sessions,
)
from middleware.console.throttle import SignInThrottle
from middleware.web.context import WebContext, ctx

PREFIX = "/console"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
PAGES = ("attention", "lanes", "calendar", "bookings", "calls", "mapping")
PAGE_PATHS = {
    "attention": "/",
    "lanes": "/lanes",
    "calendar": "/calendar",
    "bookings": "/bookings",
    "calls": "/calls",
    "mapping": "/mapping",
}


class ConsoleState:
    def __init__(
        self, settings: Settings, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        token = settings.admin_token
        self.sessions = None if token is None else Sessions(str(token))
        self.throttle = SignInThrottle()
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.filters["mask"] = logs.mask_text  # e-mails, phones, card numbers
        self.templates.env.filters["path"] = path_of
        self.sleep = sleep
        self._catalog: Catalog | None = None

    @property
    def enabled(self) -> bool:
        return self.sessions is not None

    def catalog(self, context: WebContext) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(context.runtime)
        return self._catalog

    def sign_in_link(self, base_url: str) -> str:
        """A one-time sign-in URL (the sandbox prints it); the token is never in it."""
        if self.sessions is None:
            raise RuntimeError("the console is off: no ADMIN_TOKEN")
        return f"{base_url}{PREFIX}/sign-in/once/{self.sessions.issue_link()}"

    # ------------------------------------------------------------------ requests

    def session_id(self, request: Request) -> str | None:
        if self.sessions is None:
            return None
        return self.sessions.session_id(request.cookies.get(SESSION_COOKIE))

    def start_session(self, request: Request, response: Response) -> None:
        assert self.sessions is not None
        response.set_cookie(
            SESSION_COOKIE,
            self.sessions.new_session(),
            max_age=SESSION_MAX_AGE_S,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def render(
        self,
        request: Request,
        template: str,
        values: Mapping[str, Any],
        *,
        sid: str | None,
        status_code: int = 200,
        active: str | None = None,
    ) -> Response:
        language = i18n.choose_language(request.headers.get("accept-language"))
        context = {
            "t": i18n.translator(language),
            "prefix": PREFIX,
            "pages": [(key, PREFIX + PAGE_PATHS[key]) for key in PAGES],
            "active": active,
            "csrf": self.sessions.csrf_token(sid) if self.sessions and sid else None,
            "done": i18n.flash(request.query_params.get("done")),
            **values,
        }
        response = self.templates.TemplateResponse(
            request, template, context, status_code=status_code
        )
        response.headers["Content-Language"] = "pt-BR" if language == "pt" else "en"
        response.headers["Vary"] = "Accept-Language, Cookie"
        return response

    async def page(
        self,
        request: Request,
        template: str,
        values: Mapping[str, Any],
        *,
        sid: str | None,
        active: str,
    ) -> Response:
        """A signed-in page, stamped with what it shows (`live_mark`) for the live refresh."""
        mark = await live_mark(web_context(request))
        return self.render(request, template, {**values, "live_mark": mark}, sid=sid, active=active)

    def off(self, request: Request) -> Response:
        return self.render(request, "off.html", {}, sid=None, status_code=404)

    def to_sign_in(self) -> Response:
        return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)


async def live_mark(context: WebContext) -> str:
    """A fingerprint of everything the pages show; changes when any of it does."""
    rt = context.runtime
    stale = not (await context.checker.worker_check(rt.clock())).ok
    return f"{await rt.store.timeline.fingerprint()}|{stale}"


def console_state(request: Request) -> ConsoleState:
    return cast(ConsoleState, request.app.state.console)


def web_context(request: Request) -> WebContext:
    return ctx(request)
