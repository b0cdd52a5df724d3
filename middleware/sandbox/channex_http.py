"""The Channex emulator's wire shapes: one call in, one reply out, JSON:API-like envelopes.

Route handlers take a `Call` and return a `Reply` (or raise `ApiError` carrying one); the
emulator turns replies into HTTP responses and records both sides.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

DEFAULT_PAGE_LIMIT = 10
MAX_PAGE_LIMIT = 100

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)  # path parameters
    query: dict[str, str] = field(default_factory=dict)  # last value wins per key
    body: Any = None  # parsed JSON, None when empty


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    status: int
    body: Any  # JSON-ready
    property_ids: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by handlers to answer with an error envelope."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"{reply.status}")
        self.reply = reply


def reply(
    data: Any = None,
    *,
    meta: JsonObject | None = None,
    status: int = 200,
    property_ids: tuple[str, ...] = (),
) -> Reply:
    body: JsonObject = {}
    if data is not None:
        body["data"] = data
    if meta is not None:
        body["meta"] = meta
    return Reply(status=status, body=body, property_ids=property_ids)


def success(property_ids: tuple[str, ...] = ()) -> Reply:
    return reply(meta={"message": "Success"}, property_ids=property_ids)


def error_reply(status: int, code: str, title: str, details: Any = None) -> Reply:
    errors: JsonObject = {"code": code, "title": title}
    if details is not None:
        errors["details"] = details
    return Reply(status=status, body={"errors": errors})


def bad_request(*details: str) -> ApiError:
    return ApiError(error_reply(400, "bad_request", "Bad Request", list(details)))


def not_found() -> ApiError:
    return ApiError(error_reply(404, "resource_not_found", "Resource Not Found"))


def validation_error(details: dict[str, list[str]]) -> ApiError:
    return ApiError(error_reply(422, "validation_error", "Validation Error", details))


UNAUTHORIZED = error_reply(401, "unauthorized", "Unauthorized")
TOO_MANY_REQUESTS = error_reply(429, "http_too_many_requests", "Too Many Requests")
INTERNAL_ERROR = error_reply(500, "internal_server_error", "Internal Server Error")
TOO_LARGE = error_reply(413, "request_entity_too_large", "Request Entity Too Large")


def resource(
    type_: str,
    attributes: JsonObject,
    relationships: dict[str, tuple[str, str | None]] | None = None,
) -> JsonObject:
    """One JSON:API object; `relationships` maps a name to (type, id)."""
    out: JsonObject = {"type": type_, "id": attributes["id"], "attributes": attributes}
    if relationships is not None:
        out["relationships"] = {
            name: {"data": None if rel_id is None else {"type": rel_type, "id": rel_id}}
            for name, (rel_type, rel_id) in relationships.items()
        }
    return out


def write_body(call: Call, key: str) -> JsonObject:
    """The attributes of a POST/PUT body `{key: {...}}`; 400 when absent or not an object."""
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise bad_request(f"{key} is required")
    attrs: JsonObject = body[key]
    return attrs


def paginate(call: Call, items: Sequence[Any]) -> tuple[list[Any], JsonObject]:
    """Slice `items` by `pagination[page]` (from 1) and `pagination[limit]` (max 100)."""
    page = query_int(call, "pagination[page]", 1)
    limit = min(query_int(call, "pagination[limit]", DEFAULT_PAGE_LIMIT), MAX_PAGE_LIMIT)
    start = (page - 1) * limit
    return list(items[start : start + limit]), {"page": page, "limit": limit, "total": len(items)}


def query_int(call: Call, key: str, default: int) -> int:
    raw = call.query.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise validation_error({key: ["is invalid"]})
    return value


def filter_values(call: Call, name: str) -> list[str] | None:
    """`filter[name]=a,b` → ["a", "b"]; None when the filter is absent."""
    raw = call.query.get(f"filter[{name}]")
    if raw is None:
        return None
    return [part for part in raw.split(",") if part]


def ordered(items: list[JsonObject], call: Call, default_field: str) -> list[JsonObject]:
    """Apply `order[field]=asc|desc` (one field); default ascending by `default_field`."""
    for key, direction in call.query.items():
        if key.startswith("order[") and key.endswith("]"):
            name = key[len("order[") : -1]
            reverse = direction.lower() == "desc"
            return sorted(items, key=lambda item: _sort_key(item.get(name)), reverse=reverse)
    return sorted(items, key=lambda item: _sort_key(item.get(default_field)))


def _sort_key(value: Any) -> tuple[int, str]:
    return (0, "") if value is None else (1, str(value))


async def read_body(request: Request, max_bytes: int) -> bytes | None:
    """The whole body, or None when it is over `max_bytes` (drained anyway, so the client
    gets to read the 413)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= max_bytes:
            chunks.append(chunk)
    return b"".join(chunks) if size <= max_bytes else None


def parse_json(raw: bytes) -> tuple[Any, bool]:
    """(parsed body or None, readable?) — an empty body is readable and None."""
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except (ValueError, UnicodeDecodeError):
        return None, False


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    method: str
    path: str  # Starlette path under the API base, e.g. "/properties/{id}"
    handler: Handler
