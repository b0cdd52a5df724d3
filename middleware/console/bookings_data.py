"""The Bookings page's data: recent OTA bookings, each revision's timeline, the money and
payment summary, and the bodies sent to sistema-os.

A timeline is read from what the middleware already records: the webhooks stored
(`webhook_events`), the audited calls (the revision fetched and acked at Channex, the PMS
calls made between the two), and the first availability push after the ack. A revision closed
by hand shows who closed it, when, why and what Channex made of its ack (`revisions.handling`);
a parked one why it stopped, in hotel words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import orjson

from middleware.domain.attention import Attention
from middleware.domain.pms_booking import PmsBookingRequest
from middleware.domain.revision_facts import RevisionFacts
from middleware.ops.runtime import Runtime
from middleware.store.audit import CallRow
from middleware.store.outbox import PushRecord
from middleware.store.revisions import Handling

RECENT_BOOKINGS = 20
CALLS_PER_BOOKING = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    at: datetime
    key: str  # an i18n key: step_webhook, step_fetched, step_applied, step_acked, step_pushed
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionView:
    revision_id: str
    status: str
    revision_status: str | None
    reason: str | None
    words: Attention | None  # why a parked revision stopped, in hotel words
    handling: Handling | None  # who closed it by hand, when, why; its Channex ack
    facts: RevisionFacts | None
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomView:
    index: int
    pms_id: str | None
    active: bool
    request: PmsBookingRequest | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingView:
    booking_id: str
    facts: RevisionFacts | None  # of the latest fetched revision
    revisions: tuple[RevisionView, ...]
    rooms: tuple[RoomView, ...]
    pms_calls: tuple[CallRow, ...]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _about(call: CallRow, booking_id: str, pms_ids: list[str]) -> bool:
    """The call created this booking (its id is in the body) or changed one of its PMS
    bookings (`…/booking/<id>` or `…/booking/<id>/cancel`, not `…/booking/<id>9`)."""
    if booking_id in (call.request_body or ""):
        return True
    path = urlsplit(call.url).path
    return any(
        path.endswith(f"/booking/{pms_id}") or path.endswith(f"/booking/{pms_id}/cancel")
        for pms_id in pms_ids
    )


def _answer(call: CallRow) -> str:
    """`booking 123, apartment OV-203` from a PMS answer, when it says so."""
    try:
        doc = orjson.loads(call.response_body or "")
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(doc, dict):
        return ""
    said = [f"#{doc['id']}" if doc.get("id") is not None else "", str(doc.get("apartamento") or "")]
    return " ".join(part for part in said if part)


def _channex_steps(rid: str, calls: list[CallRow]) -> tuple[list[Step], datetime | None]:
    steps: list[Step] = []
    acked_at = None
    for call in calls:
        path = path_of(call.url)
        if f"/booking_revisions/{rid}" not in path:
            continue
        if path.endswith("/ack"):
            steps.append(Step(at=call.at, key="step_acked", detail=f"{call.status}"))
            if call.status == 200 and acked_at is None:
                acked_at = call.at
        elif call.method == "GET":
            steps.append(Step(at=call.at, key="step_fetched", detail=f"{call.status}"))
    return steps, acked_at


def _first_push(pushes: list[PushRecord], after: datetime) -> Step | None:
    later = [
        p
        for p in pushes
        if p.lane.kind == "availability"
        and p.status in ("sent", "partial")
        and p.claimed_at >= after
    ]
    if not later:
        return None
    push = min(later, key=lambda p: p.id)
    return Step(
        at=push.claimed_at, key="step_pushed", detail=f"push {push.id}: {push.values_count} values"
    )


async def booking_views(rt: Runtime) -> list[BookingView]:
    store = rt.store
    ids = await store.timeline.recent_booking_ids(limit=RECENT_BOOKINGS)
    lines = await store.timeline.revisions_of(ids)
    rids = [line.revision_id for line in lines]
    facts = await store.fetched_facts.load_many(rids)
    webhooks = await store.timeline.webhooks_of(rids)
    pushes_by_property: dict[str, list[PushRecord]] = {}
    views = []
    for booking_id in ids:
        own = [line for line in lines if line.booking_id == booking_id]
        record = await store.booking_map.load(booking_id)
        rooms = tuple(
            RoomView(index=i, pms_id=r.pms_id, active=r.active, request=r.request)
            for i, r in sorted((record.rooms if record else {}).items())
        )
        pms_ids = [r.pms_id for r in rooms if r.pms_id]
        pms_calls = [
            call
            for call in await store.audit.calls_mentioning(
                [booking_id, *(f"/booking/{pms_id}" for pms_id in pms_ids)],
                service="pms",
                limit=CALLS_PER_BOOKING,
            )
            if _about(call, booking_id, pms_ids)
        ]
        channex_calls = await store.audit.calls_mentioning(
            [line.revision_id for line in own], service="channex", limit=CALLS_PER_BOOKING
        )
        revision_views = []
        for line in own:
            steps = [
                Step(at=at, key="step_webhook", detail=event)
                for at, event in webhooks.get(line.revision_id, [])
            ]
            found, acked_at = _channex_steps(line.revision_id, channex_calls)
            steps.extend(found)
            fetched = [s.at for s in found if s.key == "step_fetched"]
            if fetched:
                until = acked_at or datetime.max.replace(tzinfo=fetched[0].tzinfo)
                steps.extend(
                    Step(
                        at=c.at,
                        key="step_applied",
                        detail=f"{c.method} {path_of(c.url)} → {c.status} {_answer(c)}".strip(),
                    )
                    for c in pms_calls
                    if fetched[0] <= c.at <= until
                )
            if acked_at is not None and line.property_id:
                if line.property_id not in pushes_by_property:
                    pushes_by_property[line.property_id] = await store.outbox.recent_pushes(
                        property_id=line.property_id, limit=50
                    )
                push = _first_push(pushes_by_property[line.property_id], acked_at)
                if push is not None:
                    steps.append(push)
            revision_views.append(
                RevisionView(
                    revision_id=line.revision_id,
                    status=line.status,
                    revision_status=line.revision_status,
                    reason=line.reason,
                    words=line.park.attention if line.park else None,
                    handling=(
                        await store.revisions.handling(line.revision_id)
                        if line.status == "handled"
                        else None
                    ),
                    facts=facts.get(line.revision_id),
                    steps=tuple(sorted(steps, key=lambda s: s.at)),
                )
            )
        latest = next(
            (facts[r] for r in reversed([x.revision_id for x in own]) if r in facts), None
        )
        views.append(
            BookingView(
                booking_id=booking_id,
                facts=latest,
                revisions=tuple(reversed(revision_views)),
                rooms=rooms,
                pms_calls=tuple(pms_calls),
            )
        )
    return views
