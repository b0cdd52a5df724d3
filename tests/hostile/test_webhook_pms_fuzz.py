"""`POST /webhook/pms` under hostile bodies and tokens, over loopback HTTP.

Each request gets exactly the answer an independent reading of the scope rules predicts: 401
without the PMS token, 422 for a body that is not a scope (not a JSON object, `categorias` not
a list of at most 200 non-blank strings, a date that is not a date, `date_to` before
`date_from`, over 64 kB), else 202 with one new sync request holding exactly that scope. Never
a 5xx; a refusal stores nothing; no row stored earlier changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import served as sv
from tests.hostile import strategies as hs

MAX_BODY_BYTES = 64_000
MAX_CODES = 200
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SCOPE_DATES = [
    "2026-12-01",
    "2026-12-31",
    "2027-03-01",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "-2026-01-01",
    "2026-1-1",
    "20261201",
    "2026-W49-1",
    "2026-12-01T10:00:00",
    "",
]
CODES = [*sv.ROOM_CODES, " lvu ", "xx", "LVU", "", " ", "\x00", "ção 🏨"]
SCOPES = st.fixed_dictionaries(
    {},
    optional={
        "categorias": st.lists(st.sampled_from(CODES), max_size=6),
        "date_from": st.sampled_from(SCOPE_DATES),
        "date_to": st.sampled_from(SCOPE_DATES),
    },
)
OVERSIZED = orjson.dumps({"categorias": ["lvu"] * 13_000})


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    room_codes: list[str] | None
    date_from: str | None
    date_to: str | None


def _date(value: Any) -> tuple[bool, str | None]:
    """(valid, ISO text) of a scope date field."""
    if value is None:
        return True, None
    if not isinstance(value, str):
        return False, None
    try:
        return True, date.fromisoformat(value).isoformat()
    except ValueError:
        return False, None


def expected_scope(body: bytes) -> Scope | None:
    """The scope a body asks for, or None when it must be refused (422)."""
    if len(body) > MAX_BODY_BYTES:
        return None
    if not body.strip():
        return Scope(room_codes=None, date_from=None, date_to=None)
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    codes = doc.get("categorias")
    if codes is not None:
        if not isinstance(codes, list) or len(codes) > MAX_CODES:
            return None
        if not all(isinstance(code, str) and code.strip() for code in codes):
            return None
        codes = sorted(code.strip() for code in codes)
    (from_ok, date_from), (to_ok, date_to) = _date(doc.get("date_from")), _date(doc.get("date_to"))
    if not (from_ok and to_ok):
        return None
    if date_from and date_to and date_to < date_from:
        return None
    return Scope(room_codes=codes, date_from=date_from, date_to=date_to)


def check_answer(
    served: sv.Served,
    path: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allowed: bool,
    source: str,
    full: bool = False,
    predict: Callable[[bytes], Scope | None] | None = None,
) -> int:
    """POST, then check the status, the answer and the store against `predict` (default
    `expected_scope`)."""
    predict = predict or expected_scope
    before = served.snapshot()
    status, text, _ = served.post(path, body, headers)
    after = served.snapshot()
    assert sv.changed_rows(before, after) == []
    for secret in (sv.ADMIN_TOKEN, sv.PMS_WEBHOOK_TOKEN, sv.WEBHOOK_SECRET):
        assert secret not in text
    answer = orjson.loads(text)
    added = sv.new_rows(before, after, "sync_requests")
    scope = Scope(room_codes=None, date_from=None, date_to=None) if full else predict(body)
    expected_status = 401 if not allowed else 422 if scope is None else 202
    assert status == expected_status, text
    if status != 202:
        assert isinstance(answer["error"], str) and answer["error"]
        assert added == []
        return status
    assert scope is not None
    [row] = added
    codes = scope.room_codes
    stored = {
        "source": source,
        "full_sync": int(full),
        "room_codes": None if codes is None else orjson.dumps(codes).decode(),
        "date_from": scope.date_from,
        "date_to": scope.date_to,
        "status": "pending",
    }
    assert {name: row[name] for name in stored} == stored
    unmapped = sorted(set(codes or ()) - set(sv.ROOM_CODES))
    expected = {"status": "accepted", "request_id": row["id"]}
    assert answer == ({**expected, "unmapped_categorias": unmapped} if unmapped else expected)
    return status


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sv.Served]:
    with sv.serve(tmp_path_factory.mktemp("webhook-pms")) as app:
        yield app


@FUZZ
@given(
    body=hs.weighted((30, hs.bodies(SCOPES)), (1, st.just(OVERSIZED)), (1, st.just(b" \n"))),
    token=st.sampled_from([sv.PMS_WEBHOOK_TOKEN] * 10 + [None, "nope", sv.ADMIN_TOKEN]),
)
def test_any_body_gets_202_with_its_scope_or_a_clear_4xx(
    served: sv.Served, body: bytes, token: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    allowed = token == sv.PMS_WEBHOOK_TOKEN
    check_answer(served, "/webhook/pms", body, headers, allowed=allowed, source="pms_webhook")


@pytest.mark.parametrize(
    ("doc", "status"),
    [
        ({"date_from": "2026-02-30"}, 422),
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, 202),
        ({"date_from": "0001-01-01"}, 202),
        ({"date_to": "2026-12-01", "date_from": "2026-12-02"}, 422),
        ({"categorias": "lvu"}, 422),
        ({"categorias": [1, 2]}, 422),
        ({"categorias": ["lvu"] * (MAX_CODES + 1)}, 422),
        ({"categorias": [" ov ", "xx"]}, 202),
        ({"date_from": 20261201}, 422),
        ([], 422),
    ],
)
def test_named_scopes(served: sv.Served, doc: Any, status: int) -> None:
    headers = {"Authorization": f"Bearer {sv.PMS_WEBHOOK_TOKEN}"}
    body = orjson.dumps(doc)
    answered = check_answer(
        served, "/webhook/pms", body, headers, allowed=True, source="pms_webhook"
    )
    assert answered == status
