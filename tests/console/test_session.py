"""Session cookies, CSRF tokens and one-time links of the console."""

from __future__ import annotations

from middleware.console.session import LINK_MAX_AGE_S, SESSION_MAX_AGE_S, Sessions
from tests.kit.clocks import Ticker

TOKEN = "console-test-admin-token"


def test_a_session_cookie_is_signed_and_holds_no_token() -> None:
    sessions = Sessions(TOKEN)
    cookie = sessions.new_session()
    sid = sessions.session_id(cookie)
    assert sid is not None
    assert TOKEN not in cookie
    assert (
        sessions.session_id(cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]) is None
    )
    assert Sessions("another-token").session_id(cookie) is None  # a new token ends sessions
    assert Sessions(TOKEN).session_id(cookie) == sid  # a restart does not
    assert sessions.session_id(None) is None


def test_a_signed_out_session_is_refused_even_with_its_cookie() -> None:
    sessions = Sessions(TOKEN)
    cookie = sessions.new_session()
    sid = sessions.session_id(cookie)
    assert sid is not None
    sessions.end(sid)
    assert sessions.session_id(cookie) is None


def test_an_expired_cookie_is_refused(monkeypatch: object) -> None:
    import itsdangerous.timed

    sessions = Sessions(TOKEN)
    cookie = sessions.new_session()
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    try:
        itsdangerous.timed.TimestampSigner.get_timestamp = (  # type: ignore[method-assign]
            lambda self: real(self) + SESSION_MAX_AGE_S + 5
        )
        assert sessions.session_id(cookie) is None
    finally:
        itsdangerous.timed.TimestampSigner.get_timestamp = real  # type: ignore[method-assign]


def test_csrf_tokens_belong_to_their_session() -> None:
    sessions = Sessions(TOKEN)
    token = sessions.csrf_token("sid-1")
    assert sessions.csrf_ok("sid-1", token)
    assert not sessions.csrf_ok("sid-2", token)
    assert not sessions.csrf_ok("sid-1", None)
    assert not sessions.csrf_ok("sid-1", "")
    assert sessions.sign_in_ok("nonce", sessions.sign_in_token("nonce"))
    assert not sessions.sign_in_ok("other", sessions.sign_in_token("nonce"))
    assert not sessions.sign_in_ok(None, sessions.sign_in_token("nonce"))


def test_the_token_comparison() -> None:
    sessions = Sessions(TOKEN)
    assert sessions.token_matches(TOKEN)
    assert not sessions.token_matches(TOKEN + "x")
    assert not sessions.token_matches("")


def test_a_one_time_link_works_once_and_not_after_it_expires() -> None:
    clock = Ticker(1_000_000.0)
    sessions = Sessions(TOKEN, clock=clock)
    nonce = sessions.issue_link()
    assert TOKEN not in nonce
    assert sessions.use_link(nonce)
    assert not sessions.use_link(nonce)
    late = sessions.issue_link()
    clock.now += LINK_MAX_AGE_S + 1
    assert not sessions.use_link(late)
    assert not sessions.use_link("never-issued")
