"""Checks on an inbound Channex webhook: pure functions, no I/O, no clock.

Each check returns `None` when the request passes, or a short reason (safe to log: it never
contains the secret or the body). Comparisons of secrets and signatures are constant time.

- `check_secret`: the shared secret Channex sends in a custom header (its documented auth).
- `check_signature`: an `X-Channex-Signature` HMAC-SHA256 of the raw body, checked only when
  the header is present (Channex itself does not sign; the legacy system's senders did).
- `client_ip` / `check_ip`: who is calling, and whether the allowlist admits them.
- `check_replay`: the envelope `timestamp` must be within the window, either side of now.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from middleware.config import IpNetwork

SIGNATURE_PREFIX = "sha256="


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """First value of header `name`, matched case-insensitively (works for plain dicts too)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def check_secret(headers: Mapping[str, str], expected: str | None, header_name: str) -> str | None:
    """The secret header must equal `expected`; with no secret configured every call passes."""
    if expected is None:
        return None
    given = _header(headers, header_name)
    if given is None:
        return "missing secret header"
    if not _same(given, expected):
        return "wrong secret"
    return None


def body_signature(body: bytes, secret: str) -> str:
    """Lower-case hex HMAC-SHA256 of `body` keyed with `secret`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def check_signature(body: bytes, signature_header: str | None, secret: str | None) -> str | None:
    """A present signature header must be the body's HMAC-SHA256 (hex, optional `sha256=`).

    An absent header passes (Channex sends none; the secret header is the real gate), and so
    does any header when no secret is configured: there is nothing to verify it against.
    """
    if signature_header is None or secret is None:
        return None
    given = signature_header.strip()
    if given[: len(SIGNATURE_PREFIX)].lower() == SIGNATURE_PREFIX:
        given = given[len(SIGNATURE_PREFIX) :]
    if not _same(given.lower(), body_signature(body, secret)):
        return "bad signature"
    return None


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from `1.2.3.4`, `1.2.3.4:80`, `::1` or `[::1]:80`; IPv4-mapped IPv6 unwrapped."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_ip(peer: str | None, forwarded_for: str | None, trust_forwarded: bool) -> str | None:
    """The caller's IP, or `None` when it cannot be told.

    Without trust the TCP peer is the caller. With trust (exactly one reverse proxy in front,
    and the app reachable only through it) the RIGHT-most `X-Forwarded-For` entry is used: it
    is the one our proxy appended, the address that actually connected to the proxy. Entries
    to its left were sent by the client and can say anything, so the left-most entry is never
    trusted. A malformed right-most entry gives `None` (which an allowlist then refuses); no
    header at all falls back to the peer.
    """
    if trust_forwarded and forwarded_for is not None and forwarded_for.strip():
        address = _parse_ip(forwarded_for.split(",")[-1])
    elif peer is not None:
        address = _parse_ip(peer)
    else:
        address = None
    return None if address is None else str(address)


def check_ip(ip: str | None, allowed_networks: Iterable[IpNetwork]) -> str | None:
    """An empty allowlist admits everyone; otherwise `ip` must fall in one of the networks."""
    networks = tuple(allowed_networks)
    if not networks:
        return None
    address = None if ip is None else _parse_ip(ip)
    if address is None:
        return "client ip unknown"
    if any(address in network for network in networks):
        return None
    return "ip not allowed"


def check_replay(timestamp_text: str | None, now: datetime, window_s: int) -> str | None:
    """The envelope `timestamp` must lie within `window_s` seconds of `now`, past or future.

    A missing timestamp passes: Channex's "send test message" is not documented to carry one,
    and a booking webhook is only a trigger whose revision id is deduplicated anyway. A window
    of 0 turns the check off. A timestamp without a zone is read as UTC.
    """
    if timestamp_text is None or window_s <= 0:
        return None
    try:
        moment = datetime.fromisoformat(timestamp_text.strip())
    except ValueError:
        return "bad timestamp"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    age_s = (now - moment).total_seconds()
    if age_s > window_s:
        return "stale event"
    if -age_s > window_s:
        return "timestamp in the future"
    return None
