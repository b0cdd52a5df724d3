"""Bearer-token checks for admin routes and the PMS webhook (constant-time comparisons)."""

from __future__ import annotations

import hmac

from starlette.datastructures import Secret
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_matches(request: Request, expected: Secret) -> bool:
    given = _bearer(request)
    return given is not None and hmac.compare_digest(given.encode(), str(expected).encode())


def require_admin(request: Request, admin_token: Secret | None) -> Response | None:
    """None when the caller may pass; otherwise the answer to send (403 off, 401 wrong token)."""
    if admin_token is None:
        return JSONResponse(
            {"error": "admin routes are disabled: set ADMIN_TOKEN to enable them"},
            status_code=403,
        )
    if not token_matches(request, admin_token):
        return JSONResponse(
            {"error": "a valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None
