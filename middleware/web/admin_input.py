"""What the admin routes accept: list filters in the query string and small JSON bodies.

Like the manual routes (`manual_body`), a bad value is refused with one clear message (the
route answers 422) instead of being ignored or replaced by a default: an unknown key, a key
given twice, a value outside its choices, a limit that is not a whole number from 1 to
`MAX_LIMIT`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from middleware.errors import PayloadError

MAX_BODY_BYTES = 16_000
MAX_LIMIT = 100
DEFAULT_LIMIT = 50
LIMIT = "limit"

# A filter's allowed values; None: any non-empty text.
Choices = Sequence[str] | None


def filters(
    items: Sequence[tuple[str, str]], spec: Mapping[str, Choices]
) -> tuple[dict[str, str], int]:
    """(the filters given, each checked against `spec`; the `limit`). `limit` is always
    allowed; an empty value counts as not given."""
    allowed = sorted({*spec, LIMIT})
    seen: dict[str, str] = {}
    for key, value in items:
        if key not in allowed:
            raise PayloadError(f"unknown query parameter {key!r}; allowed: {', '.join(allowed)}")
        if key in seen:
            raise PayloadError(f"query parameter {key!r} is given twice")
        seen[key] = value
    limit = _limit(seen.pop(LIMIT, ""))
    chosen = {key: value for key, value in seen.items() if value != ""}
    for key, value in chosen.items():
        choices = spec[key]
        if choices is not None and value not in choices:
            raise PayloadError(f"{key} must be one of {', '.join(choices)}; got {value[:40]!r}")
    return chosen, limit


def _limit(text: str) -> int:
    if text == "":
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_LIMIT):
        raise PayloadError(f"limit must be a whole number from 1 to {MAX_LIMIT}; got {text[:40]!r}")
    return int(text)


def json_object(raw: bytes, *, keys: Sequence[str], required: bool = False) -> dict[str, Any]:
    """The body as a JSON object with no key outside `keys` (an empty body is `{}` unless
    `required`)."""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadError(f"body larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        if required:
            raise PayloadError(f"body must be a JSON object with {', '.join(keys)}")
        return {}
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PayloadError("body must be JSON") from exc
    if not isinstance(doc, dict):
        raise PayloadError("body must be a JSON object")
    unknown = sorted(set(doc) - set(keys))
    if unknown:
        raise PayloadError(f"unknown keys {unknown}; allowed: {sorted(keys)}")
    return doc
