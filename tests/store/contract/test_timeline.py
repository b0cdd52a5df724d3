"""The console's reads: a parked revision's line carries its park note's text and note, the
revisions closed by hand whose Channex ack is owed, and the live fingerprint following a
handling's ack (and nothing of `kv`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from middleware.domain.attention import BookingFacts, ParkNote, ParkReason
from middleware.store.port import Store
from middleware.store.revisions import AckState

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


NOTE = ParkNote(
    reason=ParkReason.PMS_NO_VACANCY,
    text="PMS has no free apartment",
    details={"pms_detail": "no twin free"},
    facts=BookingFacts(hotel="Duke Beach", guest="Ana Lima"),
)


async def parked(store: Store, revision_id: str, note: ParkNote | None = None) -> None:
    await store.revisions.enqueue_many([(revision_id, "bk", "p")], T0, source="webhook")
    await store.revisions.park(revision_id, "plain words", T0, note=note)


async def test_a_parked_line_reads_its_note_and_a_legacy_one_its_text(store: Store) -> None:
    await parked(store, "r-note", NOTE)
    await parked(store, "r-legacy")
    lines = {line.revision_id: line for line in await store.timeline.revisions_of(["bk"])}
    assert (lines["r-note"].reason, lines["r-note"].park) == ("PMS has no free apartment", NOTE)
    assert (lines["r-legacy"].reason, lines["r-legacy"].park) == ("plain words", None)


async def test_handled_owing_ack_lists_failed_and_unsent_acks_oldest_first(
    store: Store,
) -> None:
    acks: list[tuple[str, AckState | None]] = [
        ("r-failed", "failed"),
        ("r-acked", "acked"),
        ("r-pending", None),
        ("r-off", "not_sent"),
    ]
    for n, (revision_id, ack) in enumerate(acks):
        await parked(store, revision_id)
        at = T0 + timedelta(minutes=n)
        assert await store.revisions.mark_handled(revision_id, by="Ana", reason="by hand", at=at)
        if ack is not None:
            await store.revisions.record_handled_ack(revision_id, ack, None, at)
    await parked(store, "r-parked")
    assert await store.timeline.handled_owing_ack() == ["r-failed", "r-pending"]


async def test_the_fingerprint_follows_a_handled_ack_and_ignores_kv(store: Store) -> None:
    await parked(store, "r1")
    assert await store.revisions.mark_handled("r1", by="Ana", reason="by hand", at=T0)
    before = await store.timeline.fingerprint()
    await store.audit.set_value("console_handled:r1", "{}", T0 + timedelta(minutes=1))
    assert await store.timeline.fingerprint() == before
    await store.revisions.record_handled_ack("r1", "acked", None, T0 + timedelta(minutes=1))
    assert await store.timeline.fingerprint() != before
