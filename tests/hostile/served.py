"""The real middleware app on loopback, driven from synchronous hypothesis tests.

Hypothesis runs synchronous test functions, so the app lives in an `asyncio.Runner` that the
module-scoped fixture owns: the sistema-os emulator and the middleware (`create_app`, worker
off: nothing consumes what the routes store, so the store shows exactly what they wrote) are
served once per test module, and each example calls `served.post(...)`, which runs one request
on that loop. `snapshot()` reads whole tables so a test can check that old rows never change.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp

from middleware.clock import hotel_today
from middleware.config import load_settings
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.domain.mapping import PropertyMap, RatePlanMap, RoomTypeMap
from middleware.sandbox.pms import PmsEmulator
from middleware.serving import serve_app
from middleware.web.app import create_app
from middleware.web.context import WebContext
from tests.store_sql import sql

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
TIMEZONE = "America/Sao_Paulo"
ROOM_CODES = ("lvu", "dlvu", "dlvl", "lvl", "ov", "ovp")
WEBHOOK_SECRET = "hostile-webhook-secret-0123456789"
SECRET_HEADER = "X-Channex-Webhook-Secret"
ADMIN_TOKEN = "hostile-admin-token-abcdef"
PMS_WEBHOOK_TOKEN = "hostile-pms-token-987654"
UNREACHABLE = "http://127.0.0.1:9/api/v1"  # Channex is never called: the worker is off
# Primary keys, so rows can be matched before/after (webhook_events and sync_requests grow).
TABLE_KEYS = {
    "webhook_events": "id",
    "revisions": "revision_id",
    "notices": "id",
    "sync_requests": "id",
}

Rows = dict[str, dict[Any, dict[str, Any]]]


def duke_beach_mapping() -> ChannexMapping:
    rooms = tuple(
        RoomTypeMap(
            room_code=code,
            room_type_id=f"rt-{code}",
            rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}"),),
        )
        for code in ROOM_CODES
    )
    prop = PropertyMap(
        property_id="prop-1",
        name="Duke Beach",
        currency="BRL",
        timezone=TIMEZONE,
        room_types=rooms,
    )
    return ChannexMapping((prop,))


@dataclass(slots=True, kw_only=True)
class Served:
    runner: asyncio.Runner
    url: str
    http: aiohttp.ClientSession
    context: WebContext
    pms: PmsEmulator

    def post(
        self, path: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, str, dict[str, str]]:
        """(status, body text, headers) of one POST."""

        async def send() -> tuple[int, str, dict[str, str]]:
            async with self.http.post(self.url + path, data=body, headers=headers) as answer:
                text = (await answer.read()).decode("utf-8", "replace")
                return answer.status, text, dict(answer.headers)

        return self.runner.run(send())

    def snapshot(self) -> Rows:
        """Every row of the tables the routes write, keyed by primary key."""

        async def read() -> Rows:
            tables: Rows = {}
            for table, key in TABLE_KEYS.items():
                rows = await sql(self.context.runtime.store).fetchall(f"SELECT * FROM {table}")  # noqa: S608
                tables[table] = {row[key]: dict(row) for row in rows}
            return tables

        return self.runner.run(read())

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)


def fixed_clock() -> datetime:
    return NOW


def today() -> date:
    return hotel_today(TIMEZONE, NOW)


@contextlib.contextmanager
def serve(folder: Path, extra_env: Mapping[str, str] | None = None) -> Iterator[Served]:
    """The sistema-os emulator and the middleware web app, until the block ends."""
    with asyncio.Runner() as runner:
        stack = contextlib.AsyncExitStack()
        try:
            pms = PmsEmulator(hotel="duke_beach", today=today)
            pms_url = runner.run(stack.enter_async_context(serve_app(pms.app)))
            env = {
                "CHANNEX_BASE_URL": UNREACHABLE,
                "CHANNEX_API_KEY": "hostile-api-key",
                "CHANNEX_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "CHANNEX_WEBHOOK_SECRET_HEADER": SECRET_HEADER,
                "ADMIN_TOKEN": ADMIN_TOKEN,
                "PMS_WEBHOOK_TOKEN": PMS_WEBHOOK_TOKEN,
                "PMS_BASE_URL": pms_url,
                "DATABASE_PATH": str(folder / "middleware.db"),
                "PMS_POLL_INTERVAL": "0",
                "FEED_POLL_INTERVAL": "0",
                **(extra_env or {}),
            }
            settings = load_settings(env, env_file=None)
            app = create_app(
                settings, clock=fixed_clock, mapping=duke_beach_mapping(), run_worker=False
            )
            url = runner.run(stack.enter_async_context(serve_app(app)))
            http = runner.run(_session(stack))
            yield Served(runner=runner, url=url, http=http, context=app.state.ctx, pms=pms)
        finally:
            runner.run(stack.aclose())


async def _session(stack: contextlib.AsyncExitStack) -> aiohttp.ClientSession:
    """Made inside the loop: aiohttp wants a running one."""
    return await stack.enter_async_context(aiohttp.ClientSession())


def changed_rows(before: Rows, after: Rows) -> list[str]:
    """Rows that existed before and are different or gone now (must be empty)."""
    return [
        f"{table}[{key!r}]"
        for table, rows in before.items()
        for key, row in rows.items()
        if after[table].get(key) != row
    ]


def new_rows(before: Rows, after: Rows, table: str) -> list[dict[str, Any]]:
    return [row for key, row in after[table].items() if key not in before[table]]
