"""`POST /webhook/pms`, `/sync/full`, `/sync/incremental` on the real app over loopback:
who may call them, what they refuse and why, and the durable request they leave behind."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from middleware.clock import utc_now
from middleware.config import load_settings
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.domain.mapping import PmsLink, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.serving import serve_app
from middleware.store import sync_requests
from middleware.store.sqlite.store import SqliteStore
from middleware.web.app import create_app
from middleware.web.context import WebContext

ADMIN = "admin-token-0123456789"
PMS_TOKEN = "pms-webhook-token-abcdef"
NOWHERE = "http://127.0.0.1:9"  # never called by these routes
NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)  # 09:00 on 31 Oct at the hotel
MAPPING = ChannexMapping(
    (
        PropertyMap(
            property_id="prop-1",
            name="Duke Beach",
            currency="BRL",
            timezone="America/Sao_Paulo",
            room_types=tuple(
                RoomTypeMap(
                    room_code=code,
                    room_type_id=f"rt-{code}",
                    rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}"),),
                )
                for code in ("lvu", "ov")
            ),
        ),
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Served:
    url: str
    context: WebContext
    session: aiohttp.ClientSession

    @property
    def store(self) -> SqliteStore:
        store = self.context.runtime.store
        assert isinstance(store, SqliteStore)
        return store

    async def post(
        self, path: str, body: bytes | None = None, token: str | None = None, scheme: str = "Bearer"
    ) -> tuple[int, Any, Mapping[str, str]]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"{scheme} {token}"
        async with self.session.post(self.url + path, data=body, headers=headers) as response:
            return response.status, await response.json(), response.headers


def fixed_now() -> datetime:
    return NOW


@contextlib.asynccontextmanager
async def serve(
    tmp_path: Path,
    mapping: ChannexMapping = MAPPING,
    *,
    clock: Callable[[], datetime] = utc_now,
    **env: str | None,
) -> AsyncIterator[Served]:
    """The real app (no in-process worker); `env` overrides, None removes a variable."""
    base: dict[str, str | None] = {
        "CHANNEX_API_KEY": "channex-key-0123456789",
        "CHANNEX_BASE_URL": NOWHERE + "/api/v1",
        "PMS_BASE_URL": NOWHERE,
        "DATABASE_PATH": str(tmp_path / "m.db"),
        "ADMIN_TOKEN": ADMIN,
    }
    merged = base | env
    settings = load_settings({k: v for k, v in merged.items() if v is not None}, env_file=None)
    app = create_app(settings, clock=clock, mapping=mapping, run_worker=False)
    async with aiohttp.ClientSession() as session, serve_app(app) as url:
        yield Served(url=url, context=app.state.ctx, session=session)


async def stored_requests(store: SqliteStore) -> list[tuple[Any, ...]]:
    rows = await store.db.fetchall(
        "SELECT id, source, full_sync, room_codes, date_from, date_to, status"
        " FROM sync_requests ORDER BY id"
    )
    return [tuple(row) for row in rows]


# --------------------------------------------------------------------------- /webhook/pms


async def test_pms_webhook_records_a_durable_request(tmp_path: Path) -> None:
    async with serve(tmp_path) as app:
        body = b'{"categorias": ["ov", "lvu"], "date_from": "2026-12-01", "date_to": "2026-12-03"}'
        status, answer, _ = await app.post("/webhook/pms", body)
        assert (status, answer) == (202, {"status": "accepted", "request_id": 1})
        empty_status, empty, _ = await app.post("/webhook/pms")
        assert (empty_status, empty) == (202, {"status": "accepted", "request_id": 2})
        assert await stored_requests(app.store) == [
            (1, "pms_webhook", 0, '["lvu","ov"]', "2026-12-01", "2026-12-03", "pending"),
            (2, "pms_webhook", 0, None, None, None, "pending"),
        ]
    async with serve(tmp_path) as app:  # a restart keeps it: durable
        assert len(await stored_requests(app.store)) == 2


async def test_pms_webhook_echoes_unmapped_categorias(tmp_path: Path) -> None:
    async with serve(tmp_path) as app:
        status, answer, _ = await app.post("/webhook/pms", b'{"categorias": ["zzz", "ov", "aaa"]}')
        assert (status, answer) == (
            202,
            {"status": "accepted", "request_id": 1, "unmapped_categorias": ["aaa", "zzz"]},
        )


@pytest.mark.parametrize(
    ("token", "scheme", "expected"),
    [
        (None, "Bearer", 401),
        ("wrong-token", "Bearer", 401),
        (PMS_TOKEN + "x", "Bearer", 401),
        (PMS_TOKEN, "Basic", 401),
        (PMS_TOKEN, "Bearer", 202),
        (PMS_TOKEN, "bearer", 202),
    ],
)
async def test_pms_webhook_token(
    tmp_path: Path, token: str | None, scheme: str, expected: int
) -> None:
    async with serve(tmp_path, PMS_WEBHOOK_TOKEN=PMS_TOKEN) as app:
        status, answer, _ = await app.post("/webhook/pms", b"{}", token=token, scheme=scheme)
        assert status == expected
        if expected == 401:
            assert answer == {"error": "invalid or missing bearer token"}
            assert await stored_requests(app.store) == []
        else:
            assert answer == {"status": "accepted", "request_id": 1}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"date_from": "2026-13-01"}', "'date_from' is not a date (YYYY-MM-DD): '2026-13-01'"),
        (b'{"date_to": "tomorrow"}', "'date_to' is not a date (YYYY-MM-DD): 'tomorrow'"),
        (b'{"date_from": 20261201}', "'date_from' must be a date string YYYY-MM-DD"),
        (
            b'{"date_from": "2026-12-05", "date_to": "2026-12-01"}',
            "'date_to' is before 'date_from'",
        ),
        (b'{"categorias": "lvu"}', "'categorias' must be a list of non-empty strings"),
        (b'{"categorias": ["lvu", 3]}', "'categorias' must be a list of non-empty strings"),
        (b'{"categorias": [" "]}', "'categorias' must be a list of non-empty strings"),
        (b'["lvu"]', "body must be a JSON object"),
    ],
)
async def test_invalid_bodies_are_refused_with_the_reason(
    tmp_path: Path, body: bytes, error: str
) -> None:
    async with serve(tmp_path) as app:
        for path in ("/webhook/pms", "/sync/incremental"):
            status, answer, _ = await app.post(path, body, token=ADMIN)
            assert (status, answer) == (422, {"error": error})
        assert await stored_requests(app.store) == []


async def test_a_body_that_is_not_json_is_refused(tmp_path: Path) -> None:
    async with serve(tmp_path) as app:
        status, answer, _ = await app.post("/webhook/pms", b"categorias=lvu")
        assert status == 422
        assert answer["error"].startswith("body is not valid JSON: ")
        status, answer, _ = await app.post("/webhook/pms", b"x" * 64_001)
        assert (status, answer) == (422, {"error": "body larger than 64000 bytes"})
        assert await stored_requests(app.store) == []


# --------------------------------------------------------------------------- /sync/*


@pytest.mark.parametrize("path", ["/sync/full", "/sync/incremental"])
async def test_sync_routes_are_off_without_an_admin_token(tmp_path: Path, path: str) -> None:
    async with serve(tmp_path, ADMIN_TOKEN=None) as app:
        for token in (None, "anything", ADMIN):
            status, answer, _ = await app.post(path, b"{}", token=token)
            assert (status, answer) == (
                403,
                {"error": "admin routes are disabled: set ADMIN_TOKEN to enable them"},
            )
        assert await stored_requests(app.store) == []


@pytest.mark.parametrize("path", ["/sync/full", "/sync/incremental"])
@pytest.mark.parametrize("token", [None, "wrong", ADMIN[:-1], PMS_TOKEN])
async def test_sync_routes_refuse_a_wrong_token(tmp_path: Path, path: str, token: str) -> None:
    async with serve(tmp_path, PMS_WEBHOOK_TOKEN=PMS_TOKEN) as app:
        status, answer, headers = await app.post(path, b"{}", token=token)
        assert (status, answer) == (
            401,
            {"error": "a valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required"},
        )
        assert headers["WWW-Authenticate"] == "Bearer"
        assert await stored_requests(app.store) == []


async def test_sync_full_records_a_full_request_and_goes_live(tmp_path: Path) -> None:
    async with serve(tmp_path) as app:
        await app.post("/sync/incremental", b"{}", token=ADMIN)
        assert await app.store.live.live_properties() == {}  # only a full sync goes live
        status, answer, _ = await app.post("/sync/full", b"", token=ADMIN)
        assert (status, answer) == (202, {"status": "accepted", "request_id": 2})
        assert await stored_requests(app.store) == [
            (1, "sync_incremental", 0, None, None, None, "pending"),
            (2, "sync_full", 1, None, None, None, "pending"),
        ]
        went = await app.store.live.live_properties()
        assert {p: r.by for p, r in went.items()} == {"prop-1": "POST /sync/full from 127.0.0.1"}


async def test_sync_incremental_records_its_scope(tmp_path: Path) -> None:
    async with serve(tmp_path, clock=fixed_now) as app:
        body = b'{"categorias": ["ov"], "date_from": "2027-01-02"}'
        status, answer, _ = await app.post("/sync/incremental", body, token=ADMIN)
        assert (status, answer) == (202, {"status": "accepted", "request_id": 1})
        assert await stored_requests(app.store) == [
            (1, "sync_incremental", 0, '["ov"]', "2027-01-02", None, "pending")
        ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b'{"categorias": ["ov", "lvuu"]}',
            "categorias not in the mapping: lvuu; mapped: lvu, ov",
        ),
        (
            b'{"categoria": ["ov"]}',
            "unknown keys ['categoria']; allowed: ['categorias', 'date_from', 'date_to',"
            " 'property']",
        ),
        (
            b'{"date_from": "2026-10-30"}',
            "date_from 2026-10-30 is in the past (today at the hotel is 2026-10-31)",
        ),
        (
            b'{"date_to": "2026-10-30"}',
            "date_to 2026-10-30 is in the past (today at the hotel is 2026-10-31)",
        ),
        (
            b'{"date_from": "2026-11-01", "date_to": "2028-03-14"}',
            "date_to 2028-03-14 is beyond the sync horizon (CHANNEX_SYNC_DAYS:"
            " last day 2028-03-13)",
        ),
        (
            b'{"date_from": "2028-03-14"}',
            "date_from 2028-03-14 is beyond the sync horizon (CHANNEX_SYNC_DAYS:"
            " last day 2028-03-13)",
        ),
    ],
)
async def test_sync_incremental_refuses_what_it_would_not_do(
    tmp_path: Path, body: bytes, error: str
) -> None:
    """A typo in a categoria or a key, a past date or one beyond the horizon is refused, not
    turned into a sync of everything over the whole horizon."""
    async with serve(tmp_path, clock=fixed_now) as app:
        status, answer, _ = await app.post("/sync/incremental", body, token=ADMIN)
        assert (status, answer) == (422, {"error": error})
        assert await stored_requests(app.store) == []


async def test_the_horizon_edges_are_accepted(tmp_path: Path) -> None:
    async with serve(tmp_path, clock=fixed_now) as app:
        body = b'{"date_from": "2026-10-31", "date_to": "2028-03-13"}'
        status, _, _ = await app.post("/sync/incremental", body, token=ADMIN)
        assert status == 202
        body = b'{"date_from": "2026-10-31", "x": 1}'
        status, _, _ = await app.post("/webhook/pms", body)  # sistema-os's notice: lenient
        assert status == 202


@pytest.mark.parametrize("path", ["/sync/full", "/sync/incremental"])
async def test_sync_routes_answer_503_while_channex_is_disabled(tmp_path: Path, path: str) -> None:
    async with serve(tmp_path, CHANNEX_ENABLED="false", CHANNEX_API_KEY=None) as app:
        status, answer, _ = await app.post(path, b"{}", token=ADMIN)
        assert (status, answer) == (503, {"error": "Channex integration is disabled"})
        wrong_status, _, _ = await app.post(path, b"{}", token="wrong")
        assert wrong_status == 401  # the token is checked first: nothing leaks to strangers
        assert await stored_requests(app.store) == []


async def test_request_dates_round_trip(tmp_path: Path) -> None:
    """What the route stored is what the worker will claim."""
    async with serve(tmp_path) as app:
        body = b'{"categorias": ["lvu"], "date_from": "2026-12-01", "date_to": "2026-12-31"}'
        await app.post("/webhook/pms", body)
        # a change notice waits PMS_READ_COALESCE for a booking's re-sync of the same nights
        after = app.context.runtime.clock() + timedelta(seconds=1)
        [claimed] = await app.store.sync_requests.claim_due(after, lease_s=60)
        assert claimed == sync_requests.SyncRequest(
            id=1,
            source="pms_webhook",
            property_id="prop-1",
            full_sync=False,
            room_codes=("lvu",),
            date_from=date(2026, 12, 1),
            date_to=date(2026, 12, 31),
            attempts=0,
        )


POUSADA = PropertyMap(
    property_id="prop-2",
    name="Pousada",
    currency="BRL",
    timezone="America/Sao_Paulo",
    room_types=(
        RoomTypeMap(
            room_code="std",
            room_type_id="rt-std",
            rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id="rp-std"),),
        ),
    ),
    pms=PmsLink(
        adapter="sistemaos", base_url=NOWHERE, webhook_token_env="PMS_WEBHOOK_TOKEN_POUSADA"
    ),
)
POUSADA_TOKEN = "pousada-own-webhook-token-42"


async def test_a_property_s_own_token_scopes_its_notice_to_it(tmp_path: Path) -> None:
    """Two hotels: the Pousada's PMS signs with its own token, so its notice re-reads the
    Pousada alone (and may not name another hotel); the global token's notice is split by
    the categorias' owners; no token at all is refused."""
    two = ChannexMapping((*MAPPING.properties, POUSADA))
    async with serve(
        tmp_path, two, PMS_WEBHOOK_TOKEN=PMS_TOKEN, PMS_WEBHOOK_TOKEN_POUSADA=POUSADA_TOKEN
    ) as app:
        own = await app.post("/webhook/pms", b'{"date_from": "2026-12-01"}', token=POUSADA_TOKEN)
        assert own[:2] == (202, {"status": "accepted", "request_id": 1})
        other = await app.post("/webhook/pms", b'{"property": "prop-1"}', token=POUSADA_TOKEN)
        assert other[:2] == (
            422,
            {"error": "'property' is not the property this token belongs to"},
        )
        split = await app.post("/webhook/pms", b'{"categorias": ["std", "ov"]}', token=PMS_TOKEN)
        assert split[:2] == (
            202,
            {"status": "accepted", "request_id": 2, "request_ids": [2, 3]},
        )
        named = await app.post("/webhook/pms", b'{"property": "Duke Beach"}', token=PMS_TOKEN)
        assert named[:2] == (202, {"status": "accepted", "request_id": 4})
        assert (await app.post("/webhook/pms", b"{}"))[0] == 401
        rows = await app.store.db.fetchall(
            "SELECT id, property_id, room_codes, date_from FROM sync_requests ORDER BY id"
        )
        assert [tuple(row) for row in rows] == [
            (1, "prop-2", None, "2026-12-01"),
            (2, "prop-1", '["ov"]', None),  # in mapping order
            (3, "prop-2", '["std"]', None),
            (4, "prop-1", None, None),
        ]
