"""Closing parked work by hand: the hotel dealt with the booking itself ("mark handled").

`close_by_hand` records who, when and why (`revisions.mark_handled`), then acks the revision at
Channex: a parked revision was never acked, and until it is Channex keeps its 30-minute
`non_acked_booking` alarm ringing. Whether Channex took the ack is recorded with the handling;
a failed ack is tried again by running the same command again. A revision Channex does not
know (`unknown`) is closed without an ack. Used by `POST /admin/revisions/{id}/handled` and
`python -m middleware handled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import structlog

from middleware import clock as clocks
from middleware.errors import MiddlewareError, PayloadError, RejectedUpstreamError
from middleware.store import revisions
from middleware.store.port import Store

log = structlog.get_logger(__name__)

MAX_BY_CHARS = 200
MAX_REASON_CHARS = 2000


class Acker(Protocol):
    async def ack(self, revision_id: str) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Closed:
    handling: revisions.Handling
    acked_now: bool  # this call's ack reached Channex


class NotClosableError(MiddlewareError):
    """The revision is not parked (nor unknown, nor handled with its ack still owed)."""


def check_words(by: object, reason: object) -> tuple[str, str]:
    """`by` and `reason` as a person gave them: non-empty text of a sane length."""
    problems = []
    if not (isinstance(by, str) and 0 < len(by.strip()) <= MAX_BY_CHARS):
        problems.append(f"'by' must be a name of 1 to {MAX_BY_CHARS} characters")
    if not (isinstance(reason, str) and 0 < len(reason.strip()) <= MAX_REASON_CHARS):
        problems.append(f"'reason' must be text of 1 to {MAX_REASON_CHARS} characters")
    if problems:
        raise PayloadError("; ".join(problems))
    return str(by).strip(), str(reason).strip()


RETRY_ACK = ("pending", "failed", "not_sent")  # the ack states a call (again) acks from


async def close_by_hand(
    store: Store,
    channex: Acker | None,
    revision_id: str,
    *,
    by: str,
    reason: str,
    clock: clocks.Clock = clocks.utc_now,
) -> Closed:
    """Mark the revision handled and ack it at Channex (`channex=None`: the integration is off,
    the ack is recorded as not sent). A handled revision whose ack failed or was not sent gets
    the ack again (its who/why stay those first given)."""
    newly = await store.revisions.mark_handled(revision_id, by=by, reason=reason, at=clock())
    if newly:
        log.info("booking_revision_handled", revision_id=revision_id)
    done = await store.revisions.handling(revision_id)
    if done is None or (not newly and done.channex_ack not in RETRY_ACK):
        raise NotClosableError(f"revision {revision_id} is not parked")
    if done.channex_ack not in RETRY_ACK:
        return Closed(handling=done, acked_now=False)
    acked_now = await _ack(store, channex, revision_id, clock)
    done = await store.revisions.handling(revision_id)
    if done is None:  # pragma: no cover - the row was just read
        raise NotClosableError(f"revision {revision_id} is not parked")
    return Closed(handling=done, acked_now=acked_now)


async def _ack(store: Store, channex: Acker | None, revision_id: str, clock: clocks.Clock) -> bool:
    if channex is None:
        detail = "Channex integration is disabled: not acked there"
        await store.revisions.record_handled_ack(revision_id, "not_sent", detail, clock())
        return False
    try:
        await channex.ack(revision_id)
    except RejectedUpstreamError as exc:
        if exc.status == 404:
            detail = "Channex does not know this revision: nothing to ack"
            await store.revisions.record_handled_ack(revision_id, "not_needed", detail, clock())
            return False
        return await _failed(store, revision_id, str(exc), clock)
    except MiddlewareError as exc:
        return await _failed(store, revision_id, str(exc), clock)
    await store.revisions.record_handled_ack(revision_id, "acked", None, clock())
    return True


async def _failed(store: Store, revision_id: str, error: str, clock: clocks.Clock) -> bool:
    log.warning("booking_revision_handled_ack_failed", revision_id=revision_id, error=error)
    detail = f"{error}; run 'handled' again to retry the ack"
    await store.revisions.record_handled_ack(revision_id, "failed", detail, clock())
    return False
