"""Logging: structlog configured once per process, with a masking processor.

JSON lines through orjson when stderr is not a terminal, a readable console otherwise. The
masking processor runs last before rendering (after exceptions are formatted, so tracebacks
are scrubbed too) and removes, wherever they appear in an event:

- values under secret-looking keys (`api_key`, `token`, `secret`, `authorization`, ...);
- every secret value registered with `register_secret` (the configured API key, tokens);
- e-mail addresses and phone numbers, in any string, and values under contact keys;
- card data: values under card keys (number, CVV, expiry, holder) and card numbers in any
  string (a Luhn-valid run of 13–19 digits, or a masked one like `411111******1111`).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any, TextIO

import orjson
import structlog

MASK = "***"
SECRET_KEY_PARTS = ("api_key", "apikey", "api-key", "token", "secret", "password", "authorization")
CONTACT_KEY_PARTS = ("mail", "phone", "telefone")
CARD_KEY_PARTS = (
    "card_number",
    "cardnumber",
    "cvv",
    "cvc",
    "expiration",
    "expiry",
    "cardholder",
    "card_holder",
    "numero_cartao",
    "validade",
)
# 13–19 digits in one run, or in the printed groups (4-4-4-4…, Amex 4-6-5) split by one
# space or dash; checked with Luhn before masking, so ids and dates are left alone.
CARD_RE = re.compile(
    r"(?<![\d-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})(?![\d-])"
)
# A CVV or an expiry written out in free text ("cvv: 123", "exp 10/2031").
CARD_WORDS_RE = re.compile(
    r"\b(cvv2?|cvc2?|csc|c[oó]digo de seguran[cç]a|exp(?:iry|iration)?(?: date)?|validade)"
    r"(\s*[:=]?\s*)(\d{3,4}\b|\d{1,2}\s*/\s*\d{2,4}\b)",
    re.IGNORECASE,
)
MASKED_CARD_RE = re.compile(r"\d{2,6}[*xX•]{4,}\d{2,4}")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# A phone number: an international "+" prefix, or digit groups split by spaces/parentheses.
# Bare digit runs (ids, OTA codes) and ISO dates are left alone on purpose.
PHONE_RE = re.compile(r"(?:\+\d[\d\s().-]{6,}\d|\(?\d{2,4}\)?[\s]\d[\d\s-]{5,}\d)")
MIN_PHONE_DIGITS = 8
MIN_SECRET_LENGTH = 4

_registered_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it appears in later log events."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        _registered_secrets.add(value)


def mask_email(text: str) -> str:
    return EMAIL_RE.sub(lambda m: m.group(0)[0] + "***@***", text)


def _mask_phone_match(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return MASK if digits >= MIN_PHONE_DIGITS else match.group(0)


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card_match(match: re.Match[str]) -> str:
    digits = "".join(ch for ch in match.group(0) if ch.isdigit())
    return MASK if _luhn(digits) else match.group(0)


def mask_cards(text: str) -> str:
    """Scrub card numbers (whole or masked) from `text`."""
    text = MASKED_CARD_RE.sub(MASK, text)
    text = CARD_WORDS_RE.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    return CARD_RE.sub(_mask_card_match, text)


def mask_text(text: str) -> str:
    """Scrub registered secrets, card numbers, e-mail addresses and phone numbers."""
    for secret in _registered_secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    text = mask_cards(mask_email(text))
    return PHONE_RE.sub(_mask_phone_match, text)


def _key_kind(key: object) -> str | None:
    if not isinstance(key, str):
        return None
    lowered = key.lower()
    if any(part in lowered for part in SECRET_KEY_PARTS):
        return "secret"
    if any(part in lowered for part in CARD_KEY_PARTS):
        return "card"
    if any(part in lowered for part in CONTACT_KEY_PARTS):
        return "contact"
    return None


def mask_value(value: Any) -> Any:
    """Recursively mask a logged value (dicts by key, lists by item, strings by pattern)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        masked: dict[Any, Any] = {}
        for key, item in value.items():
            kind = _key_kind(key)
            if kind is not None and item not in (None, ""):
                masked[key] = MASK
            else:
                masked[key] = mask_value(item)
        return masked
    if isinstance(value, list | tuple):
        return [mask_value(item) for item in value]
    return value


def scrub_card_data(value: Any) -> Any:
    """`value` without card data (values under card keys, card numbers in strings), and
    nothing else changed: for what is stored rather than logged."""
    if isinstance(value, str):
        return mask_cards(value)
    if isinstance(value, dict):
        return {
            key: MASK
            if _key_kind(key) == "card" and item not in (None, "")
            else scrub_card_data(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_card_data(item) for item in value]
    return value


def mask_event(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask secrets and contact data anywhere in the event."""
    for key in list(event_dict):
        kind = _key_kind(key)
        value = event_dict[key]
        if kind is not None and value not in (None, ""):
            event_dict[key] = MASK
        else:
            event_dict[key] = mask_value(value)
    return event_dict


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default or str).decode()


def shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        mask_event,
    ]


def _drop(_logger: Any, _name: str, _event: MutableMapping[str, Any]) -> Any:
    raise structlog.DropEvent


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """No log output inside the block: for a command whose printed lines are its whole
    report (`check` names every failure itself)."""
    previous = structlog.get_config()
    structlog.configure(processors=[_drop])
    try:
        yield
    finally:
        structlog.configure(**previous)


def configure_logging(
    level: str = "INFO",
    *,
    as_json: bool | None = None,
    stream: TextIO | None = None,
    secrets: Iterable[str | None] = (),
) -> None:
    """Configure structlog for this process; `as_json=None` picks by whether stream is a TTY."""
    out = stream if stream is not None else sys.stderr
    for secret in secrets:
        register_secret(secret)
    if as_json is None:
        as_json = not out.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared_processors(), renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
