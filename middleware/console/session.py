"""The console's sign-in state: a signed session cookie, CSRF tokens and one-time sign-in links.

- The session cookie holds a random session id, signed and timestamped with itsdangerous
  (`SESSION_MAX_AGE_S`); the signing key is derived from `ADMIN_TOKEN`, so changing the token
  ends every session, and a restart does not. The token itself is never in the cookie.
- The CSRF token of a session is an HMAC of its id: every POST form carries it, and a POST
  whose token is missing or wrong is refused. The sign-in form, before any session exists,
  pairs a random nonce cookie with its HMAC in the form (a signed double submit).
- Sign-out forgets the session id in this process (a copied cookie stops working at once).
- A one-time sign-in link (the sandbox prints one) is a random nonce valid once for
  `LINK_MAX_AGE_S`: it stands for the token without ever showing it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "console_session"
SIGN_IN_COOKIE = "console_sign_in"
COOKIE_PATH = "/console"
SESSION_MAX_AGE_S = 8 * 3600
SIGN_IN_MAX_AGE_S = 3600
LINK_MAX_AGE_S = 600
KEY_LABEL = b"channex-middleware console session v1"


def _derive_key(admin_token: str) -> bytes:
    return hmac.new(admin_token.encode(), KEY_LABEL, hashlib.sha256).digest()


class Sessions:
    """Issues and checks session cookies and CSRF tokens for one admin token."""

    def __init__(self, admin_token: str, *, clock: Callable[[], float] = time.time) -> None:
        self._token = admin_token.encode()
        self._key = _derive_key(admin_token)
        self._serializer = URLSafeTimedSerializer(self._key, salt="console-session")
        self._clock = clock
        self._ended: dict[str, float] = {}  # signed-out session id -> when its cookie expires
        self._links: dict[str, float] = {}  # one-time link nonce -> expiry

    # ------------------------------------------------------------------ the admin token

    def token_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._token)

    # ------------------------------------------------------------------ sessions

    def new_session(self) -> str:
        """A cookie value for a fresh session."""
        return self._serializer.dumps({"sid": secrets.token_urlsafe(24)})

    def session_id(self, cookie: str | None) -> str | None:
        """The session id of a valid, unexpired, not signed-out cookie; else None."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_MAX_AGE_S)
        except BadSignature:
            return None
        sid = data.get("sid") if isinstance(data, dict) else None
        if not isinstance(sid, str) or sid in self._ended:
            return None
        return sid

    def end(self, sid: str) -> None:
        now = self._clock()
        self._ended = {k: v for k, v in self._ended.items() if v > now}
        self._ended[sid] = now + SESSION_MAX_AGE_S

    # ------------------------------------------------------------------ CSRF

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, sid: str) -> str:
        return self._mac("csrf", sid)

    def csrf_ok(self, sid: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.csrf_token(sid))

    def sign_in_token(self, nonce: str) -> str:
        return self._mac("sign-in", nonce)

    def sign_in_ok(self, nonce: str | None, given: str | None) -> bool:
        if not nonce or not given:
            return False
        return hmac.compare_digest(str(given), self.sign_in_token(nonce))

    # ------------------------------------------------------------------ one-time links

    def issue_link(self) -> str:
        """A nonce for `/console/sign-in/once/{nonce}`, valid once for `LINK_MAX_AGE_S`."""
        now = self._clock()
        self._links = {k: v for k, v in self._links.items() if v > now}
        nonce = secrets.token_urlsafe(32)
        self._links[nonce] = now + LINK_MAX_AGE_S
        return nonce

    def use_link(self, nonce: str) -> bool:
        expiry = self._links.pop(nonce, None)
        return expiry is not None and expiry > self._clock()
