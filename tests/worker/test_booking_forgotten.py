"""A revision of a booking already forgotten (`store.retention`) parks, never reaching the PMS
and never acked, however it arrives: a late modification or cancellation, or the old revision
delivered again. Closing it by hand acks it, as for any parked booking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from middleware.console.attention_data import park_words
from middleware.domain import retention as forgetting
from middleware.domain.attention import ParkReason
from middleware.ops.attention_report import attention_item
from middleware.store.sqlite.store import SqliteStore
from middleware.worker import handling
from tests.worker.test_booking_sync import (
    CANCELLED,
    MODIFIED,
    NEW,
    Harness,
    make_mapping,
    outcome,
)

KEEP_DAYS = 90
AFTER_RETENTION_S = 200 * 86400  # the stay (10-13 Dec 2026) is long over


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    store = await SqliteStore.open(tmp_path / "m.db")
    yield Harness(store)
    await store.close()


async def _forgotten(h: Harness) -> None:
    """NEW applied and acked, then forgotten once its stay is long over."""
    await h.deliver(NEW)
    assert await h.run() == [outcome("rev-1", "acked", created=1)]
    h.advance(AFTER_RETENTION_S)
    cut = forgetting.cutoffs(h.now, KEEP_DAYS)
    assert (await h.store.retention.forget_finished(cut, h.now)).forgotten == 1


def _park_text(revision_id: str, seen: str) -> str:
    return (
        "booking bk-1 was forgotten on 2027-06-09 (departure 2026-12-13, last revision seen"
        f" rev-1); this revision {seen}: not applied"
    )


async def test_a_late_modification_parks_and_the_pms_is_not_called(h: Harness) -> None:
    await _forgotten(h)
    await h.deliver(MODIFIED)

    assert await h.run() == [
        outcome("rev-2", "parked", "modified", reason=_park_text("rev-2", "is new"))
    ]
    assert h.pms.calls == [("create", "bk-1:0")]  # the first booking's create only
    assert h.channex.acks == ["rev-1"]
    row = await h.store.revisions.get("rev-2")
    assert row is not None and row.park is not None
    assert (row.status, row.park.reason) == ("parked", ParkReason.BOOKING_FORGOTTEN)
    (notice,) = await h.store.notices.open_notices()
    assert (notice.kind, notice.ref) == ("booking_needs_attention", "rev-2")
    item = attention_item(row, make_mapping())  # what /status and the CLI show
    assert (item["reason_code"], item["title"], item["ota_code"], item["departure"]) == (
        "booking_forgotten",
        "A change for a booking already forgotten",
        "BDC-9996013801",
        "2026-12-13",
    )
    words = park_words(row)  # what the console's Attention page shows
    assert (words.title, words.next_step) == (item["title"], item["next_step"])
    assert "ended 2026-12-13" in words.explanation
    assert h.alerts[-1][0] == "booking_needs_attention"


async def test_a_late_cancellation_parks_and_cancels_nothing(h: Harness) -> None:
    await _forgotten(h)
    await h.deliver(CANCELLED)

    assert [o.result for o in await h.run()] == ["parked"]
    assert h.pms.calls == [("create", "bk-1:0")]
    assert h.pms.bookings["101"].status == "CONFIRMADA"
    assert h.channex.acks == ["rev-1"]


async def test_the_old_webhook_delivered_again_parks_instead_of_creating(h: Harness) -> None:
    """Its dedup key went with the booking: it is queued again, and must not be applied."""
    await _forgotten(h)
    assert await h.deliver(NEW) is True  # known no more

    assert await h.run() == [
        outcome("rev-1", "parked", reason=_park_text("rev-1", "was seen before it"))
    ]
    assert h.pms.calls == [("create", "bk-1:0")]
    assert h.channex.acks == ["rev-1"]


async def test_replay_parks_it_again_and_marking_it_handled_acks_it(h: Harness) -> None:
    await _forgotten(h)
    await h.deliver(MODIFIED)
    await h.run()

    assert await h.store.revisions.replay("rev-2", h.now)
    assert [o.result for o in await h.run()] == ["parked"]
    closed = await handling.close_by_hand(
        h.store,
        h.channex,
        "rev-2",
        by="Ana",
        reason="changed in sistema-os by hand",
        clock=lambda: h.now,
    )

    assert closed.acked_now
    assert h.pms.calls == [("create", "bk-1:0")]
    assert h.channex.acks == ["rev-1", "rev-2"]
    assert await h.store.notices.open_notices() == []
    h.advance((KEEP_DAYS + 1) * 86400)  # finished again: forgotten again, one tombstone
    cut = forgetting.cutoffs(h.now, KEEP_DAYS)
    assert (await h.store.retention.forget_finished(cut, h.now)).forgotten == 1
    gone = await h.store.retention.tombstone("bk-1")
    assert gone is not None and gone.last_revision_id == "rev-2"
    assert await h.store.retention.forgotten_count() == 1
