"""Test harness for the Channex emulator: serve it on loopback and talk to it with aiohttp."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from middleware.sandbox.channex import ChannexEmulator
from middleware.serving import serve_app

KEY = "sandbox-key"


class Api:
    """A minimal raw client: every call returns (status, parsed JSON body)."""

    def __init__(self, session: aiohttp.ClientSession, root: str, key: str | None = KEY) -> None:
        self.session = session
        self.root = root  # http://127.0.0.1:PORT
        self.key = key

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        key: str | None = None,
        data: bytes | None = None,
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        use_key = key if key is not None else self.key
        if use_key:  # "" sends no key at all
            headers["user-api-key"] = use_key
        url = self.root + (path if path.startswith("/_control") else "/api/v1" + path)
        async with self.session.request(
            method,
            url,
            json=body if data is None else None,
            data=None if data is None else io.BytesIO(data),
            params=query,
            headers=headers,
        ) as response:
            text = await response.text()
            return response.status, (await response.json()) if text else None

    async def get(self, path: str, **query: str) -> tuple[int, Any]:
        return await self.call("GET", path, query=query)

    async def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        return await self.call("POST", path, body)

    async def created(self, path: str, key: str, attrs: dict[str, Any]) -> str:
        status, body = await self.post(path, {key: attrs})
        assert status == 201, body
        return str(body["data"]["id"])


@dataclass(frozen=True, slots=True, kw_only=True)
class Hotel:
    property_id: str
    twin: str  # room type ids
    double: str
    twin_bar: str  # rate plan ids
    twin_bb: str
    double_bar: str


async def make_hotel(api: Api, *, currency: str = "USD", **property_attrs: Any) -> Hotel:
    """The certification test property: two room types, BAR (100) and B&B (120) on each."""
    pid = await api.created(
        "/properties",
        "property",
        {"title": "Test Property - Sandbox", "currency": currency, **property_attrs},
    )
    rooms = {}
    for title in ("Twin Room", "Double Room"):
        rooms[title] = await api.created(
            "/room_types",
            "room_type",
            {
                "property_id": pid,
                "title": title,
                "count_of_rooms": 8,
                "occ_adults": 2,
                "occ_children": 0,
                "occ_infants": 0,
                "default_occupancy": 2,
            },
        )
    plans = {}
    for room_title, room_id in rooms.items():
        for plan_title, rate in (("Best Available Rate", 10000), ("Bed & Breakfast", 12000)):
            plans[(room_title, plan_title)] = await api.created(
                "/rate_plans",
                "rate_plan",
                {
                    "title": f"{plan_title} {room_title}",
                    "property_id": pid,
                    "room_type_id": room_id,
                    "options": [{"occupancy": 2, "is_primary": True, "rate": rate}],
                },
            )
    return Hotel(
        property_id=pid,
        twin=rooms["Twin Room"],
        double=rooms["Double Room"],
        twin_bar=plans[("Twin Room", "Best Available Rate")],
        twin_bb=plans[("Twin Room", "Bed & Breakfast")],
        double_bar=plans[("Double Room", "Best Available Rate")],
    )


@dataclass
class Receiver:
    """Records every POST; answers the scripted statuses per path, then 200."""

    root: str = ""
    got: list[dict[str, Any]] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)

    async def hook(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.got.append(
            {
                "name": name,
                "headers": dict(request.headers),
                "query": dict(request.query_params),
                "json": await request.json(),
            }
        )
        statuses = self.script.get(name) or [200]
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return PlainTextResponse(f"ok {name}", status_code=status)

    def events(self, name: str) -> list[str]:
        return [g["json"]["event"] for g in self.got if g["name"] == name]


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = Starlette(routes=[Route("/{name}", rec.hook, methods=["POST"])])
    async with serve_app(app) as root:
        rec.root = root
        yield rec


async def hook(api: Api, rec: Receiver, name: str, pid: str | None, **attrs: Any) -> str:
    body = {"callback_url": f"{rec.root}/{name}", "property_id": pid, **attrs}
    return await api.created("/webhooks", "webhook", body)


def stay(h: Hotel, room_type_id: str | None = None) -> dict[str, Any]:
    room: dict[str, str | None] = {
        "room_type_id": room_type_id or h.twin,
        "rate_plan_id": h.twin_bar,
        "checkin_date": "2026-11-21",
        "checkout_date": "2026-11-22",
    }
    if room_type_id == "unmapped":
        room.update(room_type_id=None, rate_plan_id=None)
    return {"property_id": h.property_id, "rooms": [room]}


@contextlib.asynccontextmanager
async def running(emulator: ChannexEmulator) -> AsyncIterator[Api]:
    async with serve_app(emulator.app) as root, aiohttp.ClientSession() as session:
        yield Api(session, root)
