"""Several hotels on the emulators: one Channex, a sistema-os emulator per hotel.

Hotel `i` is Duke Beach cut down to some of its categorias, renamed `h<i>-<categoria>` and
titled "Hotel <i>". With `shared=True` every hotel keeps Duke Beach's own codes instead, as two
hotels of a group do in their own sistema-os (codes are unique per property, pms-contract §5.1).
`open_pms_hotels` serves every hotel's sistema-os emulator under one loopback server, hotel `i`
at `/h<i>` (a PMS vendor hosting many hotels at one address), so its base URL is `<root>/h<i>`.
`provision` creates the hotels in the emulated Channex with the setup engine and returns the
mapping, each property with its own `pms` block. `register_webhooks` points each property's
booking webhook at the middleware.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import duke_beach_plan
from middleware.channex.setup import EVENT_MASK, HotelPlan, run_setup
from middleware.domain.mapping import Mapping, PmsLink, PropertyMap
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app

DEFAULT_CODES = ("lvu", "ov")
TIMEZONE = "America/Sao_Paulo"


def code_of(index: int, categoria: str, *, shared: bool = False) -> str:
    """Hotel `index`'s code for Duke Beach's `categoria` (itself when codes are `shared`)."""
    return categoria if shared else f"h{index}-{categoria}"


def hotel_document(
    index: int, codes: Sequence[str] = DEFAULT_CODES, *, shared: bool = False
) -> dict[str, Any]:
    """Duke Beach's sistema-os data for hotel `index`: only `codes`, renamed unless `shared`."""
    text = resources.files("middleware.sandbox").joinpath("hotels/duke_beach.json").read_text()
    doc: dict[str, Any] = json.loads(text)
    doc["name"] = f"Hotel {index}"
    doc["room_types"] = [
        {**room, "categoria": code_of(index, room["categoria"], shared=shared)}
        for room in doc["room_types"]
        if room["categoria"] in codes
    ]
    rules = []
    for rule in doc["restrictions"]:
        wanted = rule["when"].get("categorias")
        if wanted is not None:
            kept = [code_of(index, c, shared=shared) for c in wanted if c in codes]
            if not kept:
                continue
            rule = {**rule, "when": {**rule["when"], "categorias": kept}}
        rules.append(rule)
    doc["restrictions"] = rules
    return doc


def hotel_plan(
    index: int, codes: Sequence[str] = DEFAULT_CODES, *, shared: bool = False
) -> HotelPlan:
    """What the setup engine creates in Channex for hotel `index`."""
    plan = duke_beach_plan(f"Hotel {index}")
    rooms = tuple(
        replace(room, code=code_of(index, room.code, shared=shared))
        for room in plan.rooms
        if room.code in codes
    )
    return replace(plan, rooms=rooms)


@dataclass(slots=True, kw_only=True)
class PmsHotels:
    root: str  # the server's address; hotel i lives at root + /h<i>
    emulators: list[PmsEmulator]

    def base_url(self, index: int) -> str:
        return f"{self.root}/h{index}"


@contextlib.asynccontextmanager
async def open_pms_hotels(
    count: int,
    workdir: Path,
    *,
    today: Callable[[], date],
    codes: Sequence[str] = DEFAULT_CODES,
    shared: bool = False,
) -> AsyncIterator[PmsHotels]:
    """Serve `count` sistema-os emulators (hotels 0 … count-1) under one server."""
    emulators = []
    for index in range(count):
        path = workdir / f"pms_hotel_{index}.json"
        path.write_text(json.dumps(hotel_document(index, codes, shared=shared)))
        emulators.append(PmsEmulator(hotel=path, today=today))
    app = Starlette(routes=[Mount(f"/h{i}", app=emu.app) for i, emu in enumerate(emulators)])
    async with serve_app(app) as root:
        hotels = PmsHotels(root=root, emulators=emulators)
        try:
            yield hotels
        finally:
            for emulator in emulators:
                emulator.middleware_url = None
                await emulator.drain_notifications()


async def provision(
    client: ChannexClient,
    workdir: Path,
    base_urls: Sequence[str],
    *,
    codes: Sequence[str] = DEFAULT_CODES,
    sync_days: int = 500,
    shared: bool = False,
) -> Mapping:
    """Create hotel i (one per base URL) in Channex; the mapping of all, each with its PMS."""
    properties: list[PropertyMap] = []
    for index, base_url in enumerate(base_urls):
        report = await run_setup(
            client,
            hotel_plan(index, codes, shared=shared),
            mapping_path=workdir / f"mapping_{index}.json",
            webhook_url=None,
            webhook_secret=None,
            secret_header="X-Channex-Webhook-Secret",
            dry_run=False,
            sync_days=sync_days,
        )
        if report.mapping is None:
            raise RuntimeError(f"the setup engine wrote no mapping for hotel {index}")
        [prop] = report.mapping.properties
        properties.append(replace(prop, pms=PmsLink(adapter="sistemaos", base_url=base_url)))
    return Mapping(tuple(properties))


async def register_webhooks(
    client: ChannexClient, mapping: Mapping, url: str, headers: dict[str, str]
) -> None:
    """One booking webhook per property, all pointing at the middleware's `url`."""
    for prop in mapping:
        await client.create_webhook(
            {
                "callback_url": url,
                "event_mask": EVENT_MASK,
                "property_id": prop.property_id,
                "is_active": True,
                "send_data": True,
                "headers": headers,
            }
        )
