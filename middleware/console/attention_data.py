"""The Attention page's data: what needs a person now, in hotel words.

Parked revisions with why they stopped and the next step (`domain.attention.describe_park`
over the park note; a row parked before notes existed reads as `legacy`, its plain reason the
explanation), their age and the time left before Channex's own non-ack alarm (30 minutes), and
the channel, reservation code, guest, stay and room types known from the fetched revision;
revisions closed by hand whose Channex ack failed (the alarm still rings); dead-lettered pushes
per lane; a stale worker; open Channex warnings and notices. Nothing of it: all flowing.

The park wording is English only (`domain.attention` has no translations): a Portuguese page
shows it as it is, marked `lang="en"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from middleware.console.catalog import Catalog
from middleware.domain.attention import Attention, ParkReason, describe_park
from middleware.domain.revision_facts import RevisionFacts
from middleware.ops.checks import Check
from middleware.ops.runtime import Runtime
from middleware.store import revisions
from middleware.store.notices import Notice
from middleware.store.revisions import Handling, RevisionRow

CHANNEX_ALARM_S = 30 * 60  # Channex alerts on a booking revision unacked this long
LIST_LIMIT = 100
# Notices shown elsewhere on the page: parked bookings (their own list) and dead letters.
SHOWN_ELSEWHERE = {*revisions.NOTICE_KINDS, "dead_letter"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Parked:
    revision_id: str
    booking_id: str | None
    hotel: str
    reason: str  # the technical text (for developers)
    words: Attention  # why it stopped and what to do, in hotel words
    received_at: datetime
    age_min: int
    alarm_in_min: int  # <= 0: Channex's alarm has gone off
    facts: RevisionFacts | None
    room_types: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class OwedAck:
    """A revision closed by hand whose ack Channex has not taken: Try the ack again."""

    revision_id: str
    booking_id: str | None
    hotel: str
    handling: Handling


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLane:
    property_id: str
    hotel: str
    kind: str
    dead: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AttentionPage:
    parked: tuple[Parked, ...]
    owed_acks: tuple[OwedAck, ...]
    dead: tuple[DeadLane, ...]
    worker: Check | None  # set only when the worker is stale
    notices: tuple[Notice, ...]

    @property
    def all_flowing(self) -> bool:
        return not (self.parked or self.owed_acks or self.dead or self.worker or self.notices)


def _hotel(rt: Runtime, property_id: str | None) -> str:
    prop = rt.mapping.property(property_id) if property_id else None
    return (prop.name or prop.property_id) if prop else (property_id or "?")


def park_words(row: RevisionRow) -> Attention:
    """Why the revision stopped and the next step; a legacy row's plain reason explains it."""
    if row.park is not None:
        return row.park.attention
    return describe_park(ParkReason.LEGACY, {"text": row.reason or ""})


async def _owed_acks(rt: Runtime) -> tuple[OwedAck, ...]:
    owed = []
    for revision_id in await rt.store.timeline.handled_owing_ack(limit=LIST_LIMIT):
        row = await rt.store.revisions.get(revision_id)
        done = await rt.store.revisions.handling(revision_id)
        if row is None or done is None:  # pragma: no cover - the ids were just read
            continue
        owed.append(
            OwedAck(
                revision_id=revision_id,
                booking_id=row.booking_id,
                hotel=_hotel(rt, row.property_id),
                handling=done,
            )
        )
    return tuple(owed)


async def attention_page(rt: Runtime, catalog: Catalog, worker: Check) -> AttentionPage:
    now = rt.clock()
    rows = await rt.store.revisions.list_by_status(["parked"], limit=LIST_LIMIT)
    facts = await rt.store.fetched_facts.load_many([r.revision_id for r in rows])
    parked = []
    for row in rows:
        known = facts.get(row.revision_id)
        age_s = (now - row.received_at).total_seconds()
        names = (
            tuple(
                [
                    await catalog.room_type_name(row.property_id, room.room_type_id)
                    for room in known.rooms
                ]
            )
            if known
            else ()
        )
        parked.append(
            Parked(
                revision_id=row.revision_id,
                booking_id=row.booking_id,
                hotel=_hotel(rt, row.property_id),
                reason=row.reason or "",
                words=park_words(row),
                received_at=row.received_at,
                age_min=int(age_s // 60),
                alarm_in_min=int((CHANNEX_ALARM_S - age_s) // 60),
                facts=known,
                room_types=names,
            )
        )
    dead = tuple(
        DeadLane(
            property_id=b.lane.property_id,
            hotel=_hotel(rt, b.lane.property_id),
            kind=b.lane.kind,
            dead=b.dead,
        )
        for b in await rt.store.outbox.backlog(now)
        if b.dead
    )
    shown = tuple(
        n
        for n in await rt.store.notices.open_notices(limit=LIST_LIMIT)
        if n.kind not in SHOWN_ELSEWHERE
    )
    return AttentionPage(
        parked=tuple(parked),
        owed_acks=await _owed_acks(rt),
        dead=dead,
        worker=None if worker.ok else worker,
        notices=shown,
    )
