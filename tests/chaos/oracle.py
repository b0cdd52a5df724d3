"""A small world for testing the chaos oracle without the middleware: both emulators, Duke
Beach set up in the Channex emulator, and the PMS's ARI copied into it for a few days, so a
test can break one thing and see the oracle name it."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from middleware import clock as clocks
from middleware.channex.client import ChannexClient
from middleware.channex.hotel_plans import duke_beach_plan
from middleware.channex.setup import run_setup
from middleware.domain.mapping import Mapping
from middleware.sandbox.channex import ChannexEmulator
from middleware.sandbox.chaos_oracle import Evidence
from middleware.sandbox.chaos_snapshot import MiddlewareSnapshot
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app

API_KEY = "oracle-test-key"
DAYS = 3  # the horizon the oracle compares


@dataclass(slots=True, kw_only=True)
class World:
    channex: ChannexEmulator
    pms: PmsEmulator
    mapping: Mapping
    url: str  # the Channex emulator's API root
    session: aiohttp.ClientSession
    today: date

    @property
    def property_id(self) -> str:
        return self.mapping.properties[0].property_id

    def ids(self, categoria: str) -> tuple[str, str]:
        """(room type id, rate plan id) of a categoria."""
        ref = self.mapping.by_room_code(self.property_id, categoria)
        assert ref is not None
        return ref.room.room_type_id, ref.room.rate_plans[0].rate_plan_id

    async def post(self, path: str, values: list[dict[str, Any]]) -> int:
        headers = {"user-api-key": API_KEY}
        async with self.session.post(
            self.url + path, json={"values": values}, headers=headers
        ) as response:
            return response.status

    async def read_availability(self) -> int:
        """One read-back, as the middleware's reconciliation makes it; the status."""
        query = {
            "filter[property_id]": self.property_id,
            "filter[date][gte]": self.today.isoformat(),
            "filter[date][lte]": (self.today + timedelta(days=DAYS - 1)).isoformat(),
        }
        headers = {"user-api-key": API_KEY}
        async with self.session.get(
            self.url + "/availability", params=query, headers=headers
        ) as response:
            return response.status

    async def mirror_pms(self) -> None:
        """Copy the PMS's ARI of the horizon into Channex, as a perfect middleware would."""
        document = self.pms.ari(self.today, self.today + timedelta(days=DAYS - 1))
        availability, restrictions = [], []
        for room in document["room_types"]:
            room_type_id, rate_plan_id = self.ids(room["categoria"])
            for day in room["days"]:
                availability.append(
                    {
                        "property_id": self.property_id,
                        "room_type_id": room_type_id,
                        "date": day["date"],
                        "availability": max(0, day["available"]),
                    }
                )
                (rate,) = day["rates"]
                restrictions.append(
                    {
                        "property_id": self.property_id,
                        "rate_plan_id": rate_plan_id,
                        "date": day["date"],
                        **{k: v for k, v in rate.items() if k != "plano" and v is not None},
                    }
                )
        assert await self.post("/availability", availability) == 200
        assert await self.post("/restrictions", restrictions) == 200

    def evidence(
        self, snapshot: MiddlewareSnapshot, attention: frozenset[str] = frozenset()
    ) -> Evidence:
        return Evidence(
            channex=self.channex,
            pms=self.pms,
            mapping=self.mapping,
            snapshot=snapshot,
            attention=attention,
            today=self.today,
            horizon_days=DAYS,
            rate_limit=10,
        )


def snapshot(**changes: Any) -> MiddlewareSnapshot:
    """A quiet middleware database (nothing pending, nothing dead), with `changes`."""
    empty = MiddlewareSnapshot(
        revisions={},
        open_notice_refs=frozenset(),
        outbox_pending=0,
        dead_cells=(),
        sync_requests_open=0,
        pushes={},
    )
    return dataclasses.replace(empty, **changes)


@contextlib.asynccontextmanager
async def world(tmp_path: Path) -> AsyncIterator[World]:
    plan = duke_beach_plan()

    def today() -> date:
        return clocks.hotel_today(plan.timezone, clocks.utc_now())

    channex = ChannexEmulator(api_key=API_KEY, today=today)
    pms = PmsEmulator(hotel="duke_beach", today=today)
    async with aiohttp.ClientSession() as session, serve_app(channex.app) as base:
        report = await run_setup(
            ChannexClient(session, base + "/api/v1", API_KEY),
            plan,
            mapping_path=tmp_path / "mapping.json",
            webhook_url=None,
            webhook_secret=None,
            secret_header="X-Channex-Webhook-Secret",
            dry_run=False,
        )
        assert report.mapping is not None
        yield World(
            channex=channex,
            pms=pms,
            mapping=report.mapping,
            url=base + "/api/v1",
            session=session,
            today=today(),
        )
