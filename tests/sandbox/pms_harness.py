"""Test harness for the sistema-os emulator: serve it on loopback, call it, receive its webhooks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app

API = "/api/v1/channex"


class Client:
    """A raw client: every call returns (status, parsed JSON body or None)."""

    def __init__(self, session: aiohttp.ClientSession, root: str) -> None:
        self.session = session
        self.root = root

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> tuple[int, Any]:
        async with self.session.request(
            method,
            self.root + path,
            json=body,
            params=query,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
        ) as response:
            text = await response.text()
            try:
                parsed = await response.json(content_type=None) if text else None
            except ValueError:
                parsed = text
            return response.status, parsed

    async def ari(self, date_from: str, date_to: str, **kw: Any) -> tuple[int, Any]:
        query = {"date_from": date_from, "date_to": date_to}
        return await self.call("GET", API + "/ari", query=query, **kw)


@contextlib.asynccontextmanager
async def running(emulator: PmsEmulator) -> AsyncIterator[Client]:
    async with serve_app(emulator.app) as root, aiohttp.ClientSession() as session:
        yield Client(session, root)


@dataclass
class Receiver:
    """Stands in for the middleware's `POST /webhook/pms`: records body and Authorization."""

    calls: list[tuple[Any, str | None]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def webhook(request: Request) -> JSONResponse:
            self.calls.append((await request.json(), request.headers.get("authorization")))
            return JSONResponse({"accepted": True}, status_code=202)

        return Starlette(routes=[Route("/webhook/pms", webhook, methods=["POST"])])


def booking_body(**overrides: Any) -> dict[str, Any]:
    """A create body per pms-contract §2.2."""
    body: dict[str, Any] = {
        "categoria": "ov",
        "data_checkin": "2026-12-10",
        "data_checkout": "2026-12-13",
        "hospede_nome": "Maria Silva",
        "hospede_email": "maria@example.com",
        "hospede_telefone": "+55 11 99999-0000",
        "adultos": 2,
        "criancas": 1,
        "valor_total": "1350.00",
        "moeda": "BRL",
        "canal": "Booking.com",
        "codigo_ota": "BDC-9996013801",
        "channex_booking_id": "0f1e2d3c-0000-4000-8000-000000000001",
        "channex_revision_id": "0f1e2d3c-0000-4000-8000-0000000000aa",
        "quarto_indice": 0,
        "observacoes": "late arrival",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
