"""The sistema-os adapter: wire format, ARI shapes, error translation, call records."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import aiohttp
import orjson
import pytest
from aioresponses import CallbackResult, aioresponses
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from structlog.testing import capture_logs
from yarl import URL

from middleware.calllog import CallRecord
from middleware.domain.models import PlanDay, PmsAri, RoomAri, RoomDay
from middleware.domain.pms_booking import Payment, PmsBookingRef, PmsBookingRequest
from middleware.domain.revision import NightPrice, Person, Service, Tax
from middleware.errors import (
    ConflictUpstreamError,
    PayloadError,
    RejectedUpstreamError,
    TransientUpstreamError,
    UpstreamError,
)
from middleware.pms.port import PmsPort
from middleware.pms.sistemaos import SistemaOsAdapter
from middleware.serving import serve_app
from tests.aiohttp_compat import CompatResponse

BASE = "http://127.0.0.1:8000"
ARI_URL = f"{BASE}/api/v1/channex/ari"
ARI_PATTERN = re.compile(r"^http://127\.0\.0\.1:8000/api/v1/channex/ari\?.*$")
BOOKING_URL = f"{BASE}/api/v1/channex/booking"
TOKEN = "tok-0123456789-secret"
D1, D2, D3 = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)

REQUEST = PmsBookingRequest(
    room_code="ov",
    checkin=date(2026, 12, 10),
    checkout=date(2026, 12, 13),
    guest_name="Maria Silva",
    guest_email="maria@example.com",
    guest_phone="+55 11 99999-0000",
    adults=2,
    children=1,
    total=Decimal("1350"),
    currency="BRL",
    channel="Booking.com",
    ota_code="BDC-9996013801",
    channex_booking_id="7c504651-9b33-48bc-9896-892c351f3736",
    channex_revision_id="0b1e0c5a-51e1-4c11-8d0a-4b5d7c1e2f3a",
    room_index=0,
    notes="late arrival",
)


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[aioresponses]:
    monkeypatch.setattr("aioresponses.core.ClientResponse", CompatResponse)
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


class Calls:
    """A `CallSink` that keeps every record."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []

    async def __call__(self, record: CallRecord) -> None:
        self.records.append(record)

    def timeless(self) -> list[CallRecord]:
        return [replace(record, duration_ms=0) for record in self.records]


def _adapter(
    session: aiohttp.ClientSession, calls: Calls | None = None, **kwargs: Any
) -> SistemaOsAdapter:
    return SistemaOsAdapter(session, BASE + "/", api_token=TOKEN, on_call=calls, **kwargs)


def _ari_url(date_from: date, date_to: date) -> str:
    return f"{ARI_URL}?date_from={date_from}&date_to={date_to}"


def _sent(mock: aioresponses, method: str, url: str) -> list[dict[str, Any]]:
    return [call.kwargs for call in mock.requests[(method, URL(url))]]


def _flat_doc(available: int, rate: str = "450.00") -> dict[str, Any]:
    return {
        "room_types": [
            {
                "categoria": "lvu",
                "total": 11,
                "available": available,
                "rate": rate,
                "currency": "BRL",
            }
        ]
    }


def _flat_room(*days: tuple[date, int]) -> RoomAri:
    plans = (PlanDay(plan_code="padrao", rate=Decimal("450.00")),)
    return RoomAri(
        room_code="lvu",
        total=11,
        days=tuple(RoomDay(day=day, available=n, plans=plans) for day, n in days),
    )


PER_DATE_DOC = {
    "currency": "BRL",
    "room_types": [
        {
            "categoria": "lvu",
            "total": 11,
            "days": [
                {
                    "date": "2026-12-01",
                    "available": 9,
                    "rates": [
                        {"plano": "padrao", "rate": "450.00", "min_stay_arrival": 2},
                        {"plano": "promo", "rate": "399.90"},
                    ],
                },
                {"date": "2026-12-02", "available": 8, "rate": "470.00"},
            ],
        }
    ],
}


def test_the_adapter_satisfies_the_port(session: aiohttp.ClientSession) -> None:
    port: PmsPort = SistemaOsAdapter(session, BASE)
    assert isinstance(port, SistemaOsAdapter)


# --------------------------------------------------------------------------- ARI


async def test_per_date_ari_is_one_call_with_query_and_bearer(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(_ari_url(D1, D3), payload=PER_DATE_DOC)
    adapter = _adapter(session)
    ari = await adapter.read_ari(D1, D3)
    padrao = PlanDay(plan_code="padrao", rate=Decimal("450.00"), min_stay_arrival=2)
    promo = PlanDay(plan_code="promo", rate=Decimal("399.90"))
    bare = PlanDay(plan_code="padrao", rate=Decimal("470.00"))
    days = (
        RoomDay(day=D1, available=9, plans=(padrao, promo)),
        RoomDay(day=D2, available=8, plans=(bare,)),
    )
    assert ari == PmsAri(currency="BRL", rooms=(RoomAri(room_code="lvu", total=11, days=days),))
    [sent] = _sent(mocked, "GET", _ari_url(D1, D3))
    assert sent["headers"] == {"Accept": "application/json", "Authorization": f"Bearer {TOKEN}"}
    assert sent["data"] is None
    assert adapter.ari_shape == "per_date"


async def test_no_token_sends_no_authorization(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(_ari_url(D1, D1), payload=PER_DATE_DOC)
    await SistemaOsAdapter(session, BASE).read_ari(D1, D1)
    [sent] = _sent(mocked, "GET", _ari_url(D1, D1))
    assert sent["headers"] == {"Accept": "application/json"}


async def test_flat_ari_is_reread_day_by_day_and_the_shape_is_remembered(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    calls = Calls()
    adapter = _adapter(session, calls)
    mocked.get(_ari_url(D1, D3), payload=_flat_doc(1))
    for day, available in ((D1, 9), (D2, 8), (D3, 7)):
        mocked.get(_ari_url(day, day), payload=_flat_doc(available), repeat=True)

    first = await adapter.read_ari(D1, D3)
    expected = PmsAri(currency="BRL", rooms=(_flat_room((D1, 9), (D2, 8), (D3, 7)),))
    assert first == expected
    assert adapter.ari_shape == "flat"
    assert sorted(record.url for record in calls.records) == sorted(
        [_ari_url(D1, D3), _ari_url(D1, D1), _ari_url(D2, D2), _ari_url(D3, D3)]
    )

    calls.records.clear()
    assert await adapter.read_ari(D1, D3) == expected
    assert sorted(record.url for record in calls.records) == [
        _ari_url(D1, D1),
        _ari_url(D2, D2),
        _ari_url(D3, D3),
    ]


async def test_a_flat_pms_that_starts_answering_per_date_is_noticed(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    adapter = _adapter(session)
    mocked.get(_ari_url(D1, D1), payload=_flat_doc(9))
    await adapter.read_ari(D1, D1)
    shapes = [adapter.ari_shape]
    one_day = {"room_types": [{"categoria": "lvu", "total": 11, "days": []}]}
    mocked.get(_ari_url(D1, D1), payload=one_day)
    mocked.get(_ari_url(D2, D2), payload=one_day)
    await adapter.read_ari(D1, D2)  # remembered flat: read day by day, answers are per date
    shapes.append(adapter.ari_shape)
    assert shapes == ["flat", "per_date"]
    mocked.get(_ari_url(D1, D2), payload=PER_DATE_DOC)
    ari = await adapter.read_ari(D1, D2)
    assert [room_day.available for room_day in ari.rooms[0].days] == [9, 8]


class InFlight:
    """An aioresponses callback that counts concurrent requests.

    Requests are held until `limit` are in flight together, then each lets every other ready
    request start before it answers, so an unbounded client would show more than `limit`.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.now = 0
        self.max = 0
        self.days: list[str] = []
        self.full = asyncio.Event()

    async def respond(self, url: URL, **kwargs: Any) -> CallbackResult:
        self.now += 1
        self.max = max(self.max, self.now)
        self.days.append(url.query["date_from"])
        if self.now >= self.limit:
            self.full.set()
        await self.full.wait()
        for _ in range(10):
            await asyncio.sleep(0)  # a yield, not a wait: lets queued requests start
        self.now -= 1
        day = date.fromisoformat(url.query["date_from"])
        return CallbackResult(body=orjson.dumps(_flat_doc(day.day)))


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_day_by_day_reads_are_bounded_by_flat_concurrency(
    session: aiohttp.ClientSession, mocked: aioresponses, concurrency: int
) -> None:
    """Ten days, at most `flat_concurrency` requests in flight; every day read once."""
    adapter = _adapter(session, flat_concurrency=concurrency)
    mocked.get(_ari_url(D1, D1), payload=_flat_doc(1))
    await adapter.read_ari(D1, D1)  # learns "flat"
    in_flight = InFlight(concurrency)
    mocked.get(ARI_PATTERN, callback=in_flight.respond, repeat=True)
    last = date(2026, 12, 10)
    ari = await adapter.read_ari(D1, last)
    assert in_flight.max == concurrency
    assert sorted(in_flight.days) == [f"2026-12-{n:02d}" for n in range(1, 11)]
    assert ari.rooms == (_flat_room(*((date(2026, 12, n), n) for n in range(1, 11))),)


async def test_a_failed_day_raises_the_upstream_error_itself(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    adapter = _adapter(session)
    mocked.get(_ari_url(D1, D2), payload=_flat_doc(1))
    mocked.get(_ari_url(D1, D1), payload=_flat_doc(1))
    mocked.get(_ari_url(D2, D2), status=503, payload={"detail": "down"})
    with pytest.raises(TransientUpstreamError) as caught:
        await adapter.read_ari(D1, D2)
    assert (caught.value.status, str(caught.value)) == (
        503,
        "pms: GET /api/v1/channex/ari: down (HTTP 503)",
    )


async def test_clamped_values_are_logged_with_categoria_and_date(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(_ari_url(D1, D1), payload=_flat_doc(15, rate="abc"))
    with capture_logs() as logged:
        ari = await _adapter(session).read_ari(D1, D1)
    assert ari.rooms == (
        RoomAri(
            room_code="lvu",
            total=11,
            days=(RoomDay(day=D1, available=11, plans=(PlanDay(plan_code="padrao"),)),),
        ),
    )
    assert [entry for entry in logged if entry["event"] == "pms_ari_value_clamped"] == [
        {
            "event": "pms_ari_value_clamped",
            "log_level": "warning",
            "categoria": "lvu",
            "date": "2026-12-01",
            "field": "available",
            "action": "clamped",
            "problem": "lvu 2026-12-01: available 15 outside [0, 11], clamped to 11",
        },
        {
            "event": "pms_ari_value_clamped",
            "log_level": "warning",
            "categoria": "lvu",
            "date": "2026-12-01",
            "field": "rate",
            "action": "dropped",
            "problem": (
                "lvu 2026-12-01: rate 'abc' is not a positive decimal, dropped from plano padrao"
            ),
        },
    ]


async def test_json_number_rate_stays_exact_over_the_wire(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    body = '{"room_types": [{"categoria": "lvu", "total": 11, "available": 3, "rate": 450.5}]}'
    mocked.get(_ari_url(D1, D1), body=body)
    ari = await _adapter(session).read_ari(D1, D1)
    rate = ari.rooms[0].days[0].plans[0].rate
    assert (rate, str(rate)) == (Decimal("450.5"), "450.5")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<html>oops</html>", "PMS ARI: body is not JSON"),
        ('{"room_types": [{"total": 1}]}', "PMS ARI: room_types[0].categoria is missing"),
        ('["x"]', "PMS ARI: the document is a list, expected an object"),
    ],
)
async def test_unreadable_ari_is_a_payload_error(
    session: aiohttp.ClientSession, mocked: aioresponses, body: str, message: str
) -> None:
    mocked.get(_ari_url(D1, D1), body=body)
    with pytest.raises(PayloadError, match=re.escape(message)):
        await _adapter(session).read_ari(D1, D1)


async def test_ping_reads_one_day_of_ari(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.get(ARI_PATTERN, payload={"room_types": []})
    calls = Calls()
    await _adapter(session, calls).ping()
    [record] = calls.records
    query = URL(record.url).query
    assert (record.method, URL(record.url).path, query["date_from"]) == (
        "GET",
        "/api/v1/channex/ari",
        query["date_to"],
    )


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (503, "{}", TransientUpstreamError),
        (401, "{}", RejectedUpstreamError),
        (200, "[", UpstreamError),
    ],
)
async def test_ping_failures_are_upstream_errors(
    session: aiohttp.ClientSession,
    mocked: aioresponses,
    status: int,
    body: str,
    error: type[UpstreamError],
) -> None:
    mocked.get(ARI_PATTERN, status=status, body=body)
    with pytest.raises(error):
        await _adapter(session).ping()


# --------------------------------------------------------------------------- bookings


async def test_create_booking_pins_the_wire_format(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.post(
        BOOKING_URL,
        status=201,
        payload={"id": 123, "apartamento": "OV-203", "status": "CONFIRMADA"},
    )
    ref = await _adapter(session).create_booking(REQUEST)
    assert ref == PmsBookingRef(pms_id="123", unit="OV-203", status="CONFIRMADA")
    [sent] = _sent(mocked, "POST", BOOKING_URL)
    assert sent["headers"] == {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {TOKEN}",
        "Idempotency-Key": "7c504651-9b33-48bc-9896-892c351f3736:0",
    }
    assert orjson.loads(sent["data"]) == {
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
        "channex_booking_id": "7c504651-9b33-48bc-9896-892c351f3736",
        "channex_revision_id": "0b1e0c5a-51e1-4c11-8d0a-4b5d7c1e2f3a",
        "quarto_indice": 0,
        "observacoes": "late arrival",
        "bebes": 0,
        "quartos_na_reserva": 1,
    }


FULL_REQUEST = replace(
    REQUEST,
    plan_code="padrao",
    infants=1,
    child_ages=(7,),
    arrival_hour="15:00",
    booker=Person(
        name="João Souza",
        email="joao@example.com",
        phone="+55 21 98888-0000",
        country="BR",
        language="pt",
    ),
    nights=tuple(
        NightPrice(night=date(2026, 12, day), price=Decimal("450")) for day in (10, 11, 12)
    ),
    services=(Service(name="Breakfast", kind="meal", quantity=2, total=Decimal("40")),),
    taxes=(Tax(name="City tax", total=Decimal("7.56"), inclusive=False),),
    withheld_taxes=(Tax(name="VAT", total=Decimal("12"), inclusive=True),),
    commission=Decimal("202.5"),
    payment=Payment(
        collector="ota",
        kind="card",
        virtual_card=True,
        card_brand="MC",
        instructions="Collect payment from Expedia (virtual card)",
    ),
    booking_total=Decimal("2740"),
    rooms_in_booking=2,
    booking_room_id="room-uuid",
    ota_unique_id="49",
)


async def test_create_booking_sends_the_whole_booking(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    """Contract §2.2 to the byte: every field, money as strings in the currency's decimals,
    booleans as JSON booleans, the Channex room ids kept out."""
    mocked.post(BOOKING_URL, status=201, payload={"id": 1, "apartamento": "A", "status": "X"})
    await _adapter(session).create_booking(FULL_REQUEST)
    [sent] = _sent(mocked, "POST", BOOKING_URL)
    assert sent["data"] == orjson.dumps(
        {
            "categoria": "ov",
            "plano": "padrao",
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
            "channex_booking_id": "7c504651-9b33-48bc-9896-892c351f3736",
            "channex_revision_id": "0b1e0c5a-51e1-4c11-8d0a-4b5d7c1e2f3a",
            "quarto_indice": 0,
            "observacoes": "late arrival",
            "bebes": 1,
            "idades_criancas": [7],
            "hora_chegada": "15:00",
            "reservado_por": {
                "nome": "João Souza",
                "email": "joao@example.com",
                "telefone": "+55 21 98888-0000",
                "pais": "BR",
                "idioma": "pt",
                "empresa": None,
            },
            "diarias": [
                {"data": "2026-12-10", "valor": "450.00"},
                {"data": "2026-12-11", "valor": "450.00"},
                {"data": "2026-12-12", "valor": "450.00"},
            ],
            "servicos": [
                {"nome": "Breakfast", "tipo": "meal", "quantidade": 2, "valor_total": "40.00"}
            ],
            "impostos": [{"nome": "City tax", "valor": "7.56", "incluso": False}],
            "impostos_retidos_ota": [{"nome": "VAT", "valor": "12.00"}],
            "comissao_ota": "202.50",
            "pagamento": {
                "cobranca": "ota",
                "tipo": "cartao",
                "cartao_virtual": True,
                "bandeira": "MC",
                "instrucoes": "Collect payment from Expedia (virtual card)",
            },
            "valor_total_reserva": "2740.00",
            "quartos_na_reserva": 2,
        }
    )


@pytest.mark.parametrize(
    ("currency", "amount", "text"),
    [("BRL", "1350", "1350.00"), ("KWD", "123.45", "123.450"), ("JPY", "15000", "15000")],
)
async def test_money_keeps_the_currency_decimals(
    session: aiohttp.ClientSession, mocked: aioresponses, currency: str, amount: str, text: str
) -> None:
    mocked.post(BOOKING_URL, status=201, payload={"id": 1, "apartamento": "A", "status": "X"})
    await _adapter(session).create_booking(
        replace(REQUEST, currency=currency, total=Decimal(amount), booking_total=Decimal(amount))
    )
    body = orjson.loads(_sent(mocked, "POST", BOOKING_URL)[0]["data"])
    assert (body["valor_total"], body["valor_total_reserva"], body["moeda"]) == (
        text,
        text,
        currency,
    )


async def test_create_booking_leaves_out_fields_without_a_value(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.post(BOOKING_URL, status=201, payload={"id": "9", "apartamento": None, "status": "X"})
    bare = replace(
        REQUEST,
        guest_email=None,
        guest_phone=None,
        ota_code=None,
        notes=None,
        total=Decimal("99.995"),
    )
    ref = await _adapter(session).create_booking(bare)
    assert ref == PmsBookingRef(pms_id="9", unit=None, status="X")
    body = orjson.loads(_sent(mocked, "POST", BOOKING_URL)[0]["data"])
    assert sorted(body) == sorted(
        [
            "categoria",
            "data_checkin",
            "data_checkout",
            "hospede_nome",
            "adultos",
            "criancas",
            "valor_total",
            "moeda",
            "canal",
            "channex_booking_id",
            "channex_revision_id",
            "quarto_indice",
            "bebes",
            "quartos_na_reserva",
        ]
    )
    assert body["valor_total"] == "100.00"


async def test_modify_booking_patches_only_the_changed_fields(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    url = f"{BOOKING_URL}/123"
    mocked.patch(url, payload={"id": 123, "apartamento": "OV-204", "status": "CONFIRMADA"})
    request = replace(
        REQUEST, checkout=date(2026, 12, 14), adults=3, total=Decimal("1800.5"), children=5
    )
    adapter = _adapter(session)
    ref = await adapter.modify_booking("123", request, ("checkout", "adults", "total"))
    assert ref == PmsBookingRef(pms_id="123", unit="OV-204", status="CONFIRMADA")
    [sent] = _sent(mocked, "PATCH", url)
    assert sent["data"] == orjson.dumps(
        {
            "data_checkout": "2026-12-14",
            "adultos": 3,
            "valor_total": "1800.50",
            "channex_revision_id": REQUEST.channex_revision_id,
        }
    )
    assert "Idempotency-Key" not in sent["headers"]


async def test_cancel_booking_posts_the_reason(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    url = f"{BOOKING_URL}/123/cancel"
    mocked.post(url, payload={"id": 123, "apartamento": "OV-203", "status": "CANCELADA"})
    ref = await _adapter(session).cancel_booking("123", "cancelled at Booking.com")
    assert ref == PmsBookingRef(pms_id="123", unit="OV-203", status="CANCELADA")
    [sent] = _sent(mocked, "POST", url)
    assert orjson.loads(sent["data"]) == {"motivo": "cancelled at Booking.com"}


async def test_cancel_booking_carries_what_is_still_due(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    """`multa` in the currency's own decimals (KWD has three), with its currency."""
    url = f"{BOOKING_URL}/123/cancel"
    mocked.post(url, payload={"id": 123, "apartamento": "OV-203", "status": "CANCELADA"})
    await _adapter(session).cancel_booking(
        "123", "cancelled at Booking.com", fee=Decimal("76.5"), currency="KWD"
    )
    [sent] = _sent(mocked, "POST", url)
    assert sent["data"] == orjson.dumps(
        {"motivo": "cancelled at Booking.com", "multa": "76.500", "moeda": "KWD"}
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("ok", "PMS booking answer is not JSON"),
        ('{"apartamento": "A", "status": "X"}', "PMS booking answer: id is missing"),
        ('{"id": 1}', "PMS booking answer: status is missing"),
        ('{"id": true, "status": "X"}', "PMS booking answer: id is missing"),
    ],
)
async def test_unreadable_booking_answer_is_a_payload_error(
    session: aiohttp.ClientSession, mocked: aioresponses, body: str, message: str
) -> None:
    mocked.post(BOOKING_URL, status=201, body=body)
    with pytest.raises(PayloadError, match=re.escape(message)):
        await _adapter(session).create_booking(REQUEST)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            409,
            '{"detail": "no free apartment of ov"}',
            ConflictUpstreamError,
            "pms: POST /api/v1/channex/booking: no free apartment of ov (HTTP 409)",
        ),
        (
            422,
            '{"detail": [{"loc": ["body", "adultos"], "msg": "field required"}]}',
            RejectedUpstreamError,
            'pms: POST /api/v1/channex/booking: [{"loc":["body","adultos"],"msg":"field required"}]'
            " (HTTP 422)",
        ),
        (
            404,
            "not here",
            RejectedUpstreamError,
            "pms: POST /api/v1/channex/booking: not here (HTTP 404)",
        ),
        (
            500,
            "",
            TransientUpstreamError,
            "pms: POST /api/v1/channex/booking: (empty body) (HTTP 500)",
        ),
        (
            503,
            '{"detail": "maintenance"}',
            TransientUpstreamError,
            "pms: POST /api/v1/channex/booking: maintenance (HTTP 503)",
        ),
    ],
)
async def test_http_status_maps_to_the_error_type(
    session: aiohttp.ClientSession,
    mocked: aioresponses,
    status: int,
    body: str,
    error: type[UpstreamError],
    message: str,
) -> None:
    mocked.post(BOOKING_URL, status=status, body=body)
    with pytest.raises(UpstreamError) as caught:
        await _adapter(session).create_booking(REQUEST)
    assert type(caught.value) is error
    assert (str(caught.value), caught.value.service, caught.value.status, caught.value.body) == (
        message,
        "pms",
        status,
        body,
    )


async def test_429_is_transient_with_retry_after(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    mocked.post(BOOKING_URL, status=429, body="{}", headers={"Retry-After": "7"})
    with pytest.raises(TransientUpstreamError) as caught:
        await _adapter(session).create_booking(REQUEST)
    assert (caught.value.rate_limited, caught.value.retry_after_s) == (True, 7.0)


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        (TimeoutError(), "pms: POST /api/v1/channex/booking: timed out"),
        (
            aiohttp.ClientConnectionError("refused"),
            "pms: POST /api/v1/channex/booking: ClientConnectionError: refused",
        ),
    ],
)
async def test_timeout_and_connection_failures_are_transient_and_chained(
    session: aiohttp.ClientSession, mocked: aioresponses, exception: Exception, message: str
) -> None:
    calls = Calls()
    mocked.post(BOOKING_URL, exception=exception)
    with pytest.raises(TransientUpstreamError) as caught:
        await _adapter(session, calls).create_booking(REQUEST)
    assert (str(caught.value), caught.value.status) == (message, None)
    assert caught.value.__cause__ is exception
    [record] = calls.records
    assert (record.status, record.response_body, record.error) == (
        None,
        None,
        message.removeprefix("pms: POST /api/v1/channex/booking: "),
    )


async def test_one_call_record_per_call_and_the_token_is_nowhere(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    calls = Calls()
    echo = orjson.dumps({"detail": f"bad header Bearer {TOKEN}"}).decode()
    mocked.post(BOOKING_URL, status=500, body=echo)
    mocked.post(f"{BOOKING_URL}/5/cancel", payload={"id": 5, "status": "CANCELADA"})
    adapter = _adapter(session, calls)
    with pytest.raises(TransientUpstreamError) as caught:
        await adapter.create_booking(REQUEST)
    await adapter.cancel_booking("5", "guest asked")
    assert calls.timeless() == [
        CallRecord(
            service="pms",
            method="POST",
            url=BOOKING_URL,
            status=500,
            duration_ms=0,
            request_body=orjson.dumps(
                {
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
                    "channex_booking_id": "7c504651-9b33-48bc-9896-892c351f3736",
                    "channex_revision_id": "0b1e0c5a-51e1-4c11-8d0a-4b5d7c1e2f3a",
                    "quarto_indice": 0,
                    "observacoes": "late arrival",
                    "bebes": 0,
                    "quartos_na_reserva": 1,
                }
            ).decode(),
            response_body='{"detail":"bad header Bearer ***"}',
            error="HTTP 500",
        ),
        CallRecord(
            service="pms",
            method="POST",
            url=f"{BOOKING_URL}/5/cancel",
            status=200,
            duration_ms=0,
            request_body='{"motivo":"guest asked"}',
            response_body='{"id": 5, "status": "CANCELADA"}',
            error=None,
        ),
    ]
    assert TOKEN not in str(caught.value)
    assert TOKEN not in (caught.value.body or "")
    assert all(TOKEN not in repr(record) for record in calls.records)


async def test_long_bodies_are_cut_in_the_call_record(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    calls = Calls()
    mocked.post(f"{BOOKING_URL}/5/cancel", payload={"id": 5, "status": "C", "pad": "x" * 10_000})
    await _adapter(session, calls).cancel_booking("5", "r" * 10_000)
    [record] = calls.records
    assert (len(record.request_body or ""), len(record.response_body or "")) == (4097, 4097)
    assert (record.request_body or "").endswith("…")


async def test_a_failing_sink_does_not_hide_the_answer(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    async def broken(record: CallRecord) -> None:
        raise RuntimeError("database is locked")

    mocked.post(f"{BOOKING_URL}/5/cancel", payload={"id": 5, "status": "CANCELADA"})
    adapter = SistemaOsAdapter(session, BASE, on_call=broken)
    with capture_logs() as logged:
        ref = await adapter.cancel_booking("5", "r")
    assert ref == PmsBookingRef(pms_id="5", unit=None, status="CANCELADA")
    assert [entry["event"] for entry in logged] == ["pms_call_record_failed"]


# --------------------------------------------------------------------------- real wire


async def test_real_wire_headers_and_body_over_loopback(session: aiohttp.ClientSession) -> None:
    """What actually reaches a server: JSON content type, bearer, idempotency key, body."""
    seen: list[tuple[dict[str, str], bytes]] = []

    async def create(request: Request) -> JSONResponse:
        seen.append((dict(request.headers), await request.body()))
        return JSONResponse({"id": 77, "apartamento": "OV-201", "status": "CONFIRMADA"}, 201)

    app = Starlette(routes=[Route("/api/v1/channex/booking", create, methods=["POST"])])
    async with serve_app(app) as base_url:
        adapter = SistemaOsAdapter(session, base_url, api_token=TOKEN)
        ref = await adapter.create_booking(REQUEST)
    assert ref == PmsBookingRef(pms_id="77", unit="OV-201", status="CONFIRMADA")
    [(headers, body)] = seen
    assert (
        headers["content-type"],
        headers["authorization"],
        headers["idempotency-key"],
        headers["accept"],
    ) == (
        "application/json",
        f"Bearer {TOKEN}",
        "7c504651-9b33-48bc-9896-892c351f3736:0",
        "application/json",
    )
    assert b'"valor_total":"1350.00"' in body
    assert orjson.loads(body)["quarto_indice"] == 0
