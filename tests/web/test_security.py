"""Webhook checks as tables: secret header, body signature, client IP, allowlist, replay window."""

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime

import pytest
from starlette.datastructures import Headers

from middleware.config import IpNetwork
from middleware.web import security

HEADER = "X-Channex-Webhook-Secret"
SECRET = "s3cr3t-value-for-tests"
BODY = b'{"event":"booking","payload":{"revision_id":"r-1"}}'
GOOD_SIG = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
OTHER_BODY_SIG = hmac.new(SECRET.encode(), BODY + b"x", hashlib.sha256).hexdigest()
NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected", "reason"),
    [
        ({HEADER: SECRET}, SECRET, None),
        ({HEADER.lower(): SECRET}, SECRET, None),
        ({HEADER: "wrong"}, SECRET, "wrong secret"),
        ({HEADER: SECRET + "x"}, SECRET, "wrong secret"),
        ({HEADER: ""}, SECRET, "wrong secret"),
        ({HEADER: "sécrèt"}, SECRET, "wrong secret"),
        ({"Other": SECRET}, SECRET, "missing secret header"),
        ({}, SECRET, "missing secret header"),
        ({}, None, None),
        ({HEADER: "anything"}, None, None),
    ],
)
def test_check_secret(headers: dict[str, str], expected: str | None, reason: str | None) -> None:
    assert security.check_secret(headers, expected, HEADER) == reason


def test_check_secret_reads_starlette_headers_case_insensitively() -> None:
    headers = Headers(raw=[(b"x-channex-webhook-secret", SECRET.encode())])
    assert security.check_secret(headers, SECRET, HEADER) is None
    assert security.check_secret(headers, "other", HEADER) == "wrong secret"


@pytest.mark.parametrize(
    ("body", "header", "secret", "reason"),
    [
        (BODY, GOOD_SIG, SECRET, None),
        (BODY, "sha256=" + GOOD_SIG, SECRET, None),
        (BODY, "SHA256=" + GOOD_SIG.upper(), SECRET, None),
        (BODY, f"  {GOOD_SIG} ", SECRET, None),
        (BODY + b" ", GOOD_SIG, SECRET, "bad signature"),
        (BODY, OTHER_BODY_SIG, SECRET, "bad signature"),
        (BODY, "sha1=" + GOOD_SIG, SECRET, "bad signature"),
        (BODY, "", SECRET, "bad signature"),
        (BODY, "zz-not-hex-é", SECRET, "bad signature"),
        (BODY, GOOD_SIG, "another-secret", "bad signature"),
        (BODY, None, SECRET, None),
        (BODY, "garbage", None, None),
    ],
)
def test_check_signature(
    body: bytes, header: str | None, secret: str | None, reason: str | None
) -> None:
    assert security.check_signature(body, header, secret) == reason


def test_body_signature_is_hex_hmac_sha256() -> None:
    assert security.body_signature(BODY, SECRET) == GOOD_SIG
    assert len(GOOD_SIG) == 64


@pytest.mark.parametrize(
    ("peer", "forwarded", "trust", "ip"),
    [
        ("10.0.0.5", None, False, "10.0.0.5"),
        ("10.0.0.5", "203.0.113.7", False, "10.0.0.5"),
        ("10.0.0.5", "203.0.113.7", True, "203.0.113.7"),
        # The client wrote the left entries; the proxy appended the right-most one.
        ("10.0.0.5", "1.1.1.1, 198.51.100.9", True, "198.51.100.9"),
        ("10.0.0.5", "1.1.1.1,198.51.100.9:4431", True, "198.51.100.9"),
        ("10.0.0.5", "[2001:db8::7]:443", True, "2001:db8::7"),
        ("10.0.0.5", "1.1.1.1, not-an-ip", True, None),
        ("10.0.0.5", "   ", True, "10.0.0.5"),
        ("10.0.0.5", None, True, "10.0.0.5"),
        ("::ffff:192.0.2.1", None, False, "192.0.2.1"),
        ("::1", None, False, "::1"),
        (None, None, False, None),
        ("unix-socket", None, False, None),
    ],
)
def test_client_ip(peer: str | None, forwarded: str | None, trust: bool, ip: str | None) -> None:
    assert security.client_ip(peer, forwarded, trust) == ip


NETWORKS = (ipaddress.ip_network("203.0.113.0/24"), ipaddress.ip_network("2001:db8::/32"))


@pytest.mark.parametrize(
    ("ip", "networks", "reason"),
    [
        ("203.0.113.7", NETWORKS, None),
        ("203.0.113.255", NETWORKS, None),
        ("203.0.114.1", NETWORKS, "ip not allowed"),
        ("2001:db8::1", NETWORKS, None),
        ("2001:db9::1", NETWORKS, "ip not allowed"),
        ("::ffff:203.0.113.9", NETWORKS, None),
        ("127.0.0.1", NETWORKS, "ip not allowed"),
        (None, NETWORKS, "client ip unknown"),
        ("garbage", NETWORKS, "client ip unknown"),
        ("127.0.0.1", (), None),
        (None, (), None),
        ("127.0.0.1", (ipaddress.ip_network("127.0.0.1/32"),), None),
    ],
)
def test_check_ip(ip: str | None, networks: tuple[IpNetwork, ...], reason: str | None) -> None:
    assert security.check_ip(ip, networks) == reason


@pytest.mark.parametrize(
    ("timestamp", "window_s", "reason"),
    [
        ("2026-11-21T12:00:00Z", 300, None),
        ("2026-11-21T11:55:00.000000Z", 300, None),
        ("2026-11-21T11:54:59Z", 300, "stale event"),
        ("2026-11-20T12:00:00Z", 300, "stale event"),
        ("2026-11-21T12:05:00+00:00", 300, None),
        ("2026-11-21T12:05:01Z", 300, "timestamp in the future"),
        ("2026-11-21T14:00:00+02:00", 300, None),
        ("2026-11-21T11:58:00", 300, None),
        ("yesterday", 300, "bad timestamp"),
        ("", 300, "bad timestamp"),
        (None, 300, None),
        ("2020-01-01T00:00:00Z", 0, None),
    ],
)
def test_check_replay(timestamp: str | None, window_s: int, reason: str | None) -> None:
    assert security.check_replay(timestamp, NOW, window_s) == reason
