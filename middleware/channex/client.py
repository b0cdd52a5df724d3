"""The Channex API (v1): ARI pushes and reads, booking revisions, plus the content calls.

`ChannexClient` is what the rest of the program holds. It turns Channex JSON into values once
(`PushResult`, `FeedPage`, `BookingRevision`, dicts of `date`/`Decimal`); the HTTP exchange and
error translation live in `channex/transport.py`, the content calls in `channex/content.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from middleware.channex import content, revision_parser, transport
from middleware.domain.models import Kind
from middleware.domain.revision import BookingRevision
from middleware.errors import PayloadError

FEED_ORDER = {"order[inserted_at]": "asc"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PushResult:
    task_ids: tuple[str, ...]
    warnings: tuple[dict[str, Any], ...]  # Channex meta.warnings entries, verbatim
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedPage:
    revisions: tuple[BookingRevision, ...]
    raw_ids: tuple[str, ...]  # ids even of revisions that failed to parse
    problems: tuple[tuple[str, str], ...]  # (revision id, parse error) for unparseable items
    page: int
    limit: int
    total: int


class ChannexClient(content.ContentCalls):
    """Construct with `(session, base_url, api_key, *, timeout_s=30.0, on_call=None)`."""

    # ------------------------------------------------------------------ ARI

    async def push(self, kind: Kind, values: list[dict[str, Any]]) -> PushResult:
        """POST /availability or /restrictions; warnings (dropped values) come back as data."""
        path = f"/{kind}"
        status, document = await self._exchange("POST", path, body={"values": values})
        data = document.get("data")
        items = data if isinstance(data, list) else []
        task_ids = tuple(
            item["id"]
            for item in items
            if isinstance(item, dict) and isinstance(item.get("id"), str)
        )
        meta = document.get("meta")
        raw_warnings = meta.get("warnings") if isinstance(meta, dict) else None
        warnings = tuple(
            w if isinstance(w, dict) else {"warning": w}
            for w in (raw_warnings if isinstance(raw_warnings, list) else [])
        )
        return PushResult(task_ids=task_ids, warnings=warnings, status=status)

    async def get_availability(
        self, property_id: str, date_from: date, date_to: date
    ) -> dict[str, dict[date, int]]:
        params = _ari_query(property_id, date_from, date_to)
        data = _data_object(
            await self._send("GET", "/availability", params=params), "/availability"
        )
        out: dict[str, dict[date, int]] = {}
        for room_type_id, days in data.items():
            out[room_type_id] = {
                day: _int_cell(value, "/availability")
                for day, value in _days(days, "/availability").items()
            }
        return out

    async def get_restrictions(
        self, property_id: str, date_from: date, date_to: date, fields: Sequence[str]
    ) -> dict[str, dict[date, dict[str, Any]]]:
        params = _ari_query(property_id, date_from, date_to)
        params["filter[restrictions]"] = ",".join(fields)
        data = _data_object(
            await self._send("GET", "/restrictions", params=params), "/restrictions"
        )
        out: dict[str, dict[date, dict[str, Any]]] = {}
        for rate_plan_id, days in data.items():
            out[rate_plan_id] = {
                day: _restriction_cell(cell) for day, cell in _days(days, "/restrictions").items()
            }
        return out

    # ------------------------------------------------------------------ bookings

    async def get_revision_raw(self, revision_id: str) -> dict[str, Any]:
        """The whole response document (`{"data": {...}}`), for storing verbatim."""
        return await self._send("GET", f"/booking_revisions/{transport.segment(revision_id)}")

    async def get_revision(self, revision_id: str) -> BookingRevision:
        return revision_parser.parse_revision(await self.get_revision_raw(revision_id))

    async def feed(self, *, property_id: str | None, page: int = 1, limit: int = 100) -> FeedPage:
        """One page of unacknowledged revisions, oldest first."""
        params = {**FEED_ORDER, "pagination[page]": str(page), "pagination[limit]": str(limit)}
        if property_id is not None:
            params["filter[property_id]"] = property_id
        path = "/booking_revisions/feed"
        document = await self._send("GET", path, params=params)
        items = content.data_list(document, path)
        parsed: list[BookingRevision] = []
        raw_ids: list[str] = []
        problems: list[tuple[str, str]] = []
        for item in items:
            item_id = _item_id(item)
            if item_id:
                raw_ids.append(item_id)
            try:
                parsed.append(revision_parser.parse_revision(item))
            except PayloadError as exc:
                problems.append((item_id, str(exc)))
        meta = document.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        return FeedPage(
            revisions=tuple(parsed),
            raw_ids=tuple(raw_ids),
            problems=tuple(problems),
            page=_meta_int(meta, "page", page),
            limit=_meta_int(meta, "limit", limit),
            total=_meta_int(meta, "total", len(items)),
        )

    async def ack(self, revision_id: str) -> None:
        await self._send("POST", f"/booking_revisions/{transport.segment(revision_id)}/ack")


# ---------------------------------------------------------------------- helpers


def _ari_query(property_id: str, date_from: date, date_to: date) -> dict[str, str]:
    return {
        "filter[property_id]": property_id,
        "filter[date][gte]": date_from.isoformat(),
        "filter[date][lte]": date_to.isoformat(),
    }


def _data_object(document: dict[str, Any], path: str) -> dict[str, Any]:
    data = document.get("data")
    if not isinstance(data, dict):
        raise PayloadError(f"channex GET {path}: 'data' must be an object keyed by id")
    return data


def _days(days: Any, path: str) -> dict[date, Any]:
    if not isinstance(days, dict):
        raise PayloadError(f"channex GET {path}: each entry must be an object keyed by date")
    try:
        return {date.fromisoformat(day): value for day, value in days.items()}
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"channex GET {path}: a key is not a YYYY-MM-DD date") from exc


def _int_cell(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"channex GET {path}: availability {value!r} is not an integer")
    return value


def _restriction_cell(cell: Any) -> dict[str, Any]:
    if not isinstance(cell, dict):
        raise PayloadError("channex GET /restrictions: each day must be an object")
    out = dict(cell)
    if out.get("rate") is not None:
        try:
            out["rate"] = Decimal(str(out["rate"]))
        except InvalidOperation as exc:
            raise PayloadError(f"channex GET /restrictions: rate {out['rate']!r} is bad") from exc
    return out


def _item_id(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    attributes = item.get("attributes")
    for candidate in (
        item.get("id"),
        attributes.get("id") if isinstance(attributes, dict) else None,
    ):
        if isinstance(candidate, str) and candidate:
            return candidate
    return ""


def _meta_int(meta: dict[str, Any], key: str, default: int) -> int:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default
