"""Signing in and out of the console, and the guards every page and form goes through.

- `GET /console/sign-in` the form (with its CSRF pair: a nonce cookie and its HMAC);
  `POST /console/sign-in` checks the form's CSRF, waits as long as the throttle says, then
  compares the token in constant time; right: a session cookie and to Attention; wrong: 401.
  The token is read from the form body only and never logged, echoed or put in a URL.
- `GET /console/sign-in/once/{nonce}` a one-time link (the sandbox's) → a session.
- `POST /console/sign-out` ends the session.
- `page_guard` / `post_guard`: off without ADMIN_TOKEN (404), no session → the sign-in page
  (401 for a POST), a POST without its session's CSRF token → 403.
"""

from __future__ import annotations

import secrets

import structlog
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from middleware.console.session import (
    COOKIE_PATH,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_MAX_AGE_S,
)
from middleware.console.state import PREFIX, ConsoleState, console_state

log = structlog.get_logger(__name__)

MAX_FORM_FIELDS = 20


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def page_guard(request: Request) -> tuple[ConsoleState, str | None, Response | None]:
    """(state, session id, None) when the page may be shown, else the answer to send."""
    state = console_state(request)
    if not state.enabled:
        return state, None, state.off(request)
    sid = state.session_id(request)
    if sid is None:
        return state, None, state.to_sign_in()
    return state, sid, None


async def post_guard(
    request: Request,
) -> tuple[ConsoleState, str | None, FormData | None, Response | None]:
    """(state, session id, form, None) for a POST with a session and its CSRF token."""
    state = console_state(request)
    if not state.enabled:
        return state, None, None, state.off(request)
    sid = state.session_id(request)
    if sid is None:
        answer = state.render(request, "sign_in.html", _sign_in_values(state, request), sid=None)
        answer.status_code = 401
        return state, None, None, answer
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    csrf = form.get("csrf")
    assert state.sessions is not None
    if not state.sessions.csrf_ok(sid, csrf if isinstance(csrf, str) else None):
        log.warning("console_csrf_refused", path=request.url.path, client=_client(request))
        return state, sid, None, _refused(state, request, sid)
    return state, sid, form, None


def _refused(state: ConsoleState, request: Request, sid: str | None) -> Response:
    return state.render(request, "refused.html", {}, sid=sid, status_code=403)


def _sign_in_values(state: ConsoleState, request: Request) -> dict[str, object]:
    assert state.sessions is not None
    nonce = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(24)
    return {"nonce": nonce, "sign_in_csrf": state.sessions.sign_in_token(nonce), "wrong": False}


def _with_nonce(request: Request, response: Response, nonce: str) -> Response:
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        max_age=SIGN_IN_MAX_AGE_S,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def sign_in_form(request: Request) -> Response:
    state = console_state(request)
    if not state.enabled:
        return state.off(request)
    if state.session_id(request) is not None:
        return RedirectResponse(f"{PREFIX}/", status_code=303)
    values = _sign_in_values(state, request)
    response = state.render(request, "sign_in.html", values, sid=None)
    return _with_nonce(request, response, str(values["nonce"]))


async def sign_in(request: Request) -> Response:
    state = console_state(request)
    if not state.enabled or state.sessions is None:
        return state.off(request)
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    csrf, token = form.get("csrf"), form.get("token")
    if not state.sessions.sign_in_ok(nonce, csrf if isinstance(csrf, str) else None):
        log.warning("console_csrf_refused", path=request.url.path, client=_client(request))
        return _refused(state, request, None)
    client = _client(request)
    await state.sleep(state.throttle.delay_s(client))
    if isinstance(token, str) and token and state.sessions.token_matches(token):
        state.throttle.succeeded(client)
        log.info("console_signed_in", client=client)
        signed_in = RedirectResponse(f"{PREFIX}/", status_code=303)
        state.start_session(request, signed_in)
        signed_in.delete_cookie(SIGN_IN_COOKIE, path=COOKIE_PATH)
        return signed_in
    state.throttle.failed(client)
    log.warning("console_sign_in_refused", client=client)
    values = {**_sign_in_values(state, request), "wrong": True}
    response = state.render(request, "sign_in.html", values, sid=None, status_code=401)
    return _with_nonce(request, response, str(values["nonce"]))


async def sign_in_once(request: Request) -> Response:
    state = console_state(request)
    if not state.enabled or state.sessions is None:
        return state.off(request)
    if not state.sessions.use_link(request.path_params["nonce"]):
        return state.to_sign_in()
    log.info("console_signed_in", client=_client(request), via="one_time_link")
    response = RedirectResponse(f"{PREFIX}/", status_code=303)
    state.start_session(request, response)
    return response


async def sign_out(request: Request) -> Response:
    state, sid, _form, denied = await post_guard(request)
    if denied is not None:
        return denied
    assert state.sessions is not None and sid is not None
    state.sessions.end(sid)
    response: Response = state.to_sign_in()
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


def routes() -> list[BaseRoute]:
    return [
        Route("/sign-in", sign_in_form, methods=["GET"]),
        Route("/sign-in", sign_in, methods=["POST"]),
        Route("/sign-in/once/{nonce}", sign_in_once, methods=["GET"]),
        Route("/sign-out", sign_out, methods=["POST"]),
    ]
