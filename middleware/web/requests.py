"""Parsing of the small JSON bodies our own routes accept (`/webhook/pms`, `/sync/*`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from middleware.domain.sync_scope import SCOPE_KEYS
from middleware.errors import PayloadError

MAX_BODY_BYTES = 64_000
MAX_CODES = 200
MAX_REF = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncScope:
    room_codes: tuple[str, ...] | None
    date_from: date | None
    date_to: date | None
    property_ref: str | None = None  # a Channex property id or a mapping name


def _date(doc: dict[str, Any], key: str) -> date | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"'{key}' must be a date string YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PayloadError(f"'{key}' is not a date (YYYY-MM-DD): {value[:40]!r}") from exc


def parse_scope(body: bytes, *, strict: bool = False) -> SyncScope:
    """`{"property": "...", "categorias": [...], "date_from": "...", "date_to": "..."}`, every
    key optional. `strict` (an operator's request): no other key. The PMS's change notice is
    not strict, so a key sistema-os adds does not lose the notice."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadError(f"body larger than {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return SyncScope(room_codes=None, date_from=None, date_to=None)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise PayloadError("body must be a JSON object")
    unknown = sorted(set(doc) - set(SCOPE_KEYS))
    if strict and unknown:
        raise PayloadError(f"unknown keys {unknown}; allowed: {sorted(SCOPE_KEYS)}")
    codes = doc.get("categorias")
    if codes is not None and (
        not isinstance(codes, list)
        or len(codes) > MAX_CODES
        or not all(isinstance(c, str) and c.strip() for c in codes)
    ):
        raise PayloadError("'categorias' must be a list of non-empty strings")
    ref = doc.get("property")
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or len(ref) > MAX_REF):
        raise PayloadError(f"'property' must be a non-empty string of at most {MAX_REF} chars")
    date_from, date_to = _date(doc, "date_from"), _date(doc, "date_to")
    if date_from and date_to and date_to < date_from:
        raise PayloadError("'date_to' is before 'date_from'")
    return SyncScope(
        room_codes=None if codes is None else tuple(c.strip() for c in codes),
        date_from=date_from,
        date_to=date_to,
        property_ref=None if ref is None else ref.strip(),
    )
