"""Closing a parked revision by hand: recorded, acked at Channex, and the ack's fate kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from middleware.errors import PayloadError, RejectedUpstreamError, TransientUpstreamError
from middleware.store import revisions
from middleware.store.sqlite import revisions as sqlite_revisions
from middleware.store.sqlite.store import SqliteStore
from middleware.worker.handling import NotClosableError, check_words, close_by_hand

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


class Acks:
    """Records acks; queued exceptions are raised first."""

    def __init__(self, *failures: Exception) -> None:
        self.acked: list[str] = []
        self.failures = list(failures)

    async def ack(self, revision_id: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.acked.append(revision_id)


def clock() -> datetime:
    return T0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    async with database.db.transaction() as conn:
        for revision_id in ("parked", "pending"):
            await sqlite_revisions.enqueue(
                conn,
                revision_id=revision_id,
                booking_id="bk",
                property_id="p",
                source="webhook",
                now=T0,
            )
    await database.revisions.park("parked", "PMS has no free apartment", T0)
    yield database
    await database.close()


async def close(
    store: SqliteStore, acks: Acks | None, revision_id: str = "parked"
) -> tuple[str, bool]:
    closed = await close_by_hand(store, acks, revision_id, by="Ana", reason="room 12", clock=clock)
    return closed.handling.channex_ack, closed.acked_now


async def test_a_parked_revision_is_closed_and_acked_at_channex(store: SqliteStore) -> None:
    acks = Acks()
    assert await close(store, acks) == ("acked", True)
    assert acks.acked == ["parked"]
    done = await store.revisions.handling("parked")
    assert done == revisions.Handling(
        revision_id="parked",
        by="Ana",
        reason="room 12",
        at=T0,
        prior_status="parked",
        prior_reason="PMS has no free apartment",
        channex_ack="acked",
        ack_detail=None,
        ack_at=T0,
    )
    with pytest.raises(NotClosableError, match="revision parked is not parked"):
        await close(store, acks)  # done: nothing left to do
    assert acks.acked == ["parked"]


async def test_a_failed_ack_is_recorded_and_tried_again_by_a_second_call(
    store: SqliteStore,
) -> None:
    acks = Acks(TransientUpstreamError("channex", "timeout"))
    assert await close(store, acks) == ("failed", False)
    done = await store.revisions.handling("parked")
    assert done is not None
    assert done.ack_detail == "channex: timeout; run 'handled' again to retry the ack"
    assert await store.revisions.oldest_unacked() == T0  # "pending" only: handled is closed here
    row = await store.revisions.get("parked")
    assert row is not None and row.status == "handled"
    assert await close(store, acks) == ("acked", True)
    assert acks.acked == ["parked"]


async def test_an_ack_channex_answers_404_to_needs_no_retry(store: SqliteStore) -> None:
    acks = Acks(RejectedUpstreamError("channex", "Not Found", status=404))
    assert await close(store, acks) == ("not_needed", False)


async def test_with_the_integration_off_the_ack_is_not_sent_until_asked_again(
    store: SqliteStore,
) -> None:
    assert await close(store, None) == ("not_sent", False)
    acks = Acks()
    assert await close(store, acks) == ("acked", True)


async def test_an_unknown_revision_is_closed_without_an_ack(store: SqliteStore) -> None:
    await store.revisions.mark_unknown("pending", "Channex does not know it", T0)
    acks = Acks()
    assert await close(store, acks, "pending") == ("not_needed", False)
    assert acks.acked == []


async def test_a_revision_that_is_not_parked_is_refused(store: SqliteStore) -> None:
    for revision_id in ("pending", "never-seen"):
        with pytest.raises(NotClosableError, match=f"revision {revision_id} is not parked"):
            await close(store, Acks(), revision_id)


@pytest.mark.parametrize(
    ("by", "reason", "error"),
    [
        ("", "x", "'by' must be a name of 1 to 200 characters"),
        ("Ana", "  ", "'reason' must be text of 1 to 2000 characters"),
        (
            None,
            7,
            "'by' must be a name of 1 to 200 characters;"
            " 'reason' must be text of 1 to 2000 characters",
        ),
        ("A" * 201, "x", "'by' must be a name of 1 to 200 characters"),
    ],
)
def test_who_and_why_must_be_given(by: object, reason: object, error: str) -> None:
    with pytest.raises(PayloadError) as caught:
        check_words(by, reason)
    assert str(caught.value) == error


def test_who_and_why_are_trimmed() -> None:
    assert check_words(" Ana ", " moved to 12\n") == ("Ana", "moved to 12")
