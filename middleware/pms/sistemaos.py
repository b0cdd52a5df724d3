"""The sistema-os adapter: `PmsPort` over aiohttp (pms-contract §2).

This module and its `sistemaos_*` siblings are the only places that know sistema-os's URLs
and field names: `sistemaos_http` makes one call and translates failures, `sistemaos_ari`
reads the ARI document, this module maps bookings and orchestrates ARI reads.

ARI comes in two shapes. A *flat* PMS answers one value per categoria for the whole range, so
its ARI is read one day at a time, at most `flat_concurrency` calls in flight. The adapter
remembers the shape it last saw, so a flat PMS pays the wasted range call once, and a PMS
that starts answering per date is noticed on its next answer.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from middleware.calllog import CallSink
from middleware.domain.models import PmsAri
from middleware.domain.pms_booking import PmsBookingRef, PmsBookingRequest
from middleware.errors import PayloadError, UpstreamError
from middleware.pms import sistemaos_ari, sistemaos_booking, sistemaos_http

ARI_PATH = "/api/v1/channex/ari"
BOOKING_PATH = "/api/v1/channex/booking"

log = structlog.get_logger(__name__)


class SistemaOsAdapter:
    """The PMS port for sistema-os; one per process, sharing the process's `ClientSession`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        api_token: str | None = None,
        timeout_s: float = 15.0,
        flat_concurrency: int = 4,
        on_call: CallSink | None = None,
    ) -> None:
        if flat_concurrency < 1:
            raise ValueError(f"flat_concurrency must be >= 1, got {flat_concurrency}")
        self._http = sistemaos_http.SistemaOsHttp(
            session, base_url, api_token=api_token, timeout_s=timeout_s, on_call=on_call
        )
        self._day_slots = asyncio.Semaphore(flat_concurrency)
        self._shape: sistemaos_ari.AriShape | None = None

    @property
    def ari_shape(self) -> sistemaos_ari.AriShape | None:
        """The ARI shape the PMS last answered with; None until an answer showed it."""
        return self._shape

    # ----------------------------------------------------------------------- ARI

    async def read_ari(self, date_from: date, date_to: date) -> PmsAri:
        if date_from > date_to:
            raise ValueError(f"date_from {date_from} is after date_to {date_to}")
        if self._shape == "flat" and date_from != date_to:
            return await self._read_day_by_day(date_from, date_to)
        doc = await self._get_ari(date_from, date_to)
        if self._learn_shape(doc) == "flat" and date_from != date_to:
            log.info("pms_ari_flat_shape", date_from=str(date_from), date_to=str(date_to))
            return await self._read_day_by_day(date_from, date_to)
        return _parse(doc, date_from, date_to)

    async def ping(self) -> None:
        today = datetime.now(UTC).date()
        query = {"date_from": today.isoformat(), "date_to": today.isoformat()}
        text = await self._http.call("GET", ARI_PATH, query=query)
        try:
            doc = sistemaos_ari.load_ari_json(text)
        except PayloadError as exc:
            raise UpstreamError(sistemaos_http.SERVICE, "ARI answer is not JSON") from exc
        if not isinstance(doc, dict):
            raise UpstreamError(sistemaos_http.SERVICE, "ARI answer is not a JSON object")

    async def _read_day_by_day(self, date_from: date, date_to: date) -> PmsAri:
        days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
        failure: Exception | None = None
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._read_one_day(day)) for day in days]
        except ExceptionGroup as failed:
            failure = _first_failure(failed)
        if failure is not None:
            raise failure
        return sistemaos_ari.merge_aris([task.result() for task in tasks])

    async def _read_one_day(self, day: date) -> PmsAri:
        async with self._day_slots:
            doc = await self._get_ari(day, day)
        self._learn_shape(doc)
        return _parse(doc, day, day)

    async def _get_ari(self, date_from: date, date_to: date) -> Any:
        query = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
        return sistemaos_ari.load_ari_json(await self._http.call("GET", ARI_PATH, query=query))

    def _learn_shape(self, doc: Any) -> sistemaos_ari.AriShape | None:
        shape = sistemaos_ari.ari_shape(doc)
        if shape is not None:
            self._shape = shape
        return shape

    # ----------------------------------------------------------------------- bookings

    async def create_booking(self, request: PmsBookingRequest) -> PmsBookingRef:
        headers = {"Idempotency-Key": request.idempotency_key}
        text = await self._http.call(
            "POST", BOOKING_PATH, body=sistemaos_booking.booking_body(request), headers=headers
        )
        return sistemaos_booking.booking_ref(text)

    async def modify_booking(
        self, pms_id: str, request: PmsBookingRequest, changed: tuple[str, ...]
    ) -> PmsBookingRef:
        """PATCH the `changed` fields of `request` (§2.3)."""
        path = f"{BOOKING_PATH}/{quote(pms_id, safe='')}"
        body = sistemaos_booking.changes_body(request, changed)
        return sistemaos_booking.booking_ref(await self._http.call("PATCH", path, body=body))

    async def cancel_booking(
        self, pms_id: str, reason: str, *, fee: Decimal | None = None, currency: str | None = None
    ) -> PmsBookingRef:
        path = f"{BOOKING_PATH}/{quote(pms_id, safe='')}/cancel"
        body = sistemaos_booking.cancel_body(reason, fee, currency)
        return sistemaos_booking.booking_ref(await self._http.call("POST", path, body=body))


# --------------------------------------------------------------------------- helpers


def _parse(doc: Any, date_from: date, date_to: date) -> PmsAri:
    ari, problems = sistemaos_ari.read_ari_document(doc, date_from=date_from, date_to=date_to)
    for problem in problems:
        log.warning(
            "pms_ari_value_clamped",
            categoria=problem.room_code,
            date=None if problem.day is None else problem.day.isoformat(),
            field=problem.field,
            action=problem.action,
            problem=problem.message,
        )
    return ari


def _first_failure(group: ExceptionGroup[Exception]) -> Exception:
    """The error to raise for a failed day-by-day read: an upstream error first, if any."""
    leaves = list(group.exceptions)
    return next((exc for exc in leaves if isinstance(exc, UpstreamError)), leaves[0])
