"""`POST /webhook/channex` under hostile bodies and headers, over loopback HTTP.

Every request gets exactly the answer an independent reading of the route's rules predicts
(413 too large, 401 bad secret or signature, 400 not a JSON object or bad/stale timestamp, else
200): never a 5xx. A 200 stores one event holding the body exactly as received and queues a
revision only for a new revision id that the body carries; a refusal stores nothing; no row
stored earlier ever changes. The app runs once for the module; examples accumulate in its store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from middleware.web.security import body_signature
from tests.hostile import served as sv
from tests.hostile import strategies as hs

CAP_BYTES = 24_000
WINDOW_S = 300
FUZZ = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EVENTS = [
    "booking_new",
    "booking",
    "booking_modification",
    "booking_cancellation",
    "non_acked_booking",
    "booking_unmapped_room",
    "test",
    "message",
]
TIMESTAMPS = [
    (sv.NOW - timedelta(seconds=5)).isoformat().replace("+00:00", "Z"),
    (sv.NOW - timedelta(seconds=WINDOW_S + 60)).isoformat(),
    (sv.NOW + timedelta(seconds=WINDOW_S + 60)).isoformat(),
    "2026-11-21T15:00:00",
    None,
    None,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sv.Served]:
    env = {
        "CHANNEX_WEBHOOK_MAX_BODY_BYTES": str(CAP_BYTES),
        "CHANNEX_WEBHOOK_REPLAY_WINDOW": str(WINDOW_S),
    }
    with sv.serve(tmp_path_factory.mktemp("webhook-channex"), env) as app:
        yield app


def event(name: str, timestamp: str | None, revision: int, booking: int) -> dict[str, Any]:
    """A booking webhook as Channex sends it with `send_data: true`."""
    return {
        "event": name,
        "property_id": "prop-1",
        "user_id": None,
        "timestamp": timestamp,
        "payload": {
            "booking_id": f"bk-{booking}",
            "revision_id": f"rev-{revision}",
            "property_id": "prop-1",
        },
    }


OVERSIZED = (b"x" * (CAP_BYTES + 1), b" " * CAP_BYTES)
# Few revision ids, so repeats (duplicates) happen.
EVENT_DOCS = st.builds(
    event,
    st.sampled_from(EVENTS),
    st.sampled_from(TIMESTAMPS),
    st.integers(0, 20),
    st.integers(0, 5),
)


def stable(rows: sv.Rows) -> sv.Rows:
    """The rows without what a later event may refresh by design: an open notice's `at` and
    `detail` (a repeated `non_acked_booking` refreshes its notice instead of adding one)."""
    notices = {
        key: {name: value for name, value in row.items() if name not in ("at", "detail")}
        for key, row in rows["notices"].items()
    }
    return {**rows, "notices": notices}


def expected_status(body: bytes, secret_ok: bool, signature_ok: bool) -> int:
    """The route's rules, read from the outside, in their order."""
    if len(body) > CAP_BYTES:
        return 413
    if not (secret_ok and signature_ok):
        return 401
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return 400
    if not isinstance(envelope, dict):
        return 400
    stamp = envelope.get("timestamp")
    if stamp is None:
        return 200
    if not isinstance(stamp, str):
        return 400
    try:
        moment = datetime.fromisoformat(stamp.strip())
    except ValueError:
        return 400
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=sv.NOW.tzinfo)
    return 200 if abs((sv.NOW - moment).total_seconds()) <= WINDOW_S else 400


def carried_revision_id(body: bytes) -> str | None:
    """The revision id a stored event must have: `payload.revision_id` (or the older key)."""
    envelope = orjson.loads(body)
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        return None
    for key in ("revision_id", "booking_revision_id"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@FUZZ
@given(
    body=hs.weighted((20, hs.bodies(EVENT_DOCS)), (1, st.sampled_from(OVERSIZED))),
    secret=st.sampled_from(["right"] * 12 + ["wrong", "missing", "almost"]),
    signature=st.sampled_from(["none"] * 12 + ["junk", "right"]),
)
def test_any_body_gets_a_clear_answer_and_only_good_ones_are_stored(
    served: sv.Served, body: bytes, secret: str, signature: str
) -> None:
    headers = {"Content-Type": "application/json"}
    if secret != "missing":
        headers[sv.SECRET_HEADER] = {
            "right": sv.WEBHOOK_SECRET,
            "almost": sv.WEBHOOK_SECRET[:-1],
        }.get(secret, secret)
    if signature == "right":
        headers["X-Channex-Signature"] = "sha256=" + body_signature(body, sv.WEBHOOK_SECRET)
    elif signature == "junk":
        headers["X-Channex-Signature"] = "sha256=00ff"
    before = stable(served.snapshot())

    status, text, _ = served.post("/webhook/channex", body, headers)

    after = stable(served.snapshot())
    assert status == expected_status(body, secret == "right", signature != "junk"), text
    assert sv.changed_rows(before, after) == []
    assert sv.WEBHOOK_SECRET not in text
    answer = orjson.loads(text)
    events = sv.new_rows(before, after, "webhook_events")
    queued = sv.new_rows(before, after, "revisions")
    if status != 200:
        assert isinstance(answer["error"], str) and answer["error"]
        assert (events, queued, sv.new_rows(before, after, "notices")) == ([], [], [])
        return
    [stored_event] = events
    assert stored_event["payload"] == body.decode("utf-8")
    assert answer == {"status": stored_event["status"]}
    revision_id = carried_revision_id(body)
    if stored_event["status"] == "queued":
        assert revision_id is not None and revision_id not in before["revisions"]
        assert [(row["revision_id"], row["status"]) for row in queued] == [(revision_id, "pending")]
    else:
        assert queued == []
    if stored_event["status"] == "duplicate":
        assert revision_id in before["revisions"]


def test_a_known_booking_event_queues_its_revision_once(served: sv.Served) -> None:
    """The control: a good event with a fresh id is queued; its replay is a duplicate."""
    body = orjson.dumps(event("booking_new", TIMESTAMPS[0], 1000, 1))
    headers = {sv.SECRET_HEADER: sv.WEBHOOK_SECRET, "Content-Type": "application/json"}
    first = served.post("/webhook/channex", body, headers)
    second = served.post("/webhook/channex", body, headers)
    assert (first[0], orjson.loads(first[1])) == (200, {"status": "queued"})
    assert (second[0], orjson.loads(second[1])) == (200, {"status": "duplicate"})
    assert served.snapshot()["revisions"]["rev-1000"]["status"] == "pending"


def test_stored_payload_survives_unicode_and_null_bytes(served: sv.Served) -> None:
    text = '{"event":"booking_new","payload":{"revision_id":"rév\\u0000🏨","booking_id":"b"}}'
    headers = {sv.SECRET_HEADER: sv.WEBHOOK_SECRET, "Content-Type": "application/json"}
    status, answer, _ = served.post("/webhook/channex", text.encode(), headers)
    assert (status, orjson.loads(answer)) == (200, {"status": "queued"})
    assert "rév\x00🏨" in served.snapshot()["revisions"]
