"""Closing parked work by hand: the hotel dealt with the booking itself ("mark handled").

Two halves. `record_by_hand` records who, when and why (`revisions.mark_handled`) and leaves
the revision's ack at Channex owed; `ack_owed` acks it: a parked revision was never acked, and
until it is Channex keeps its 30-minute `non_acked_booking` alarm ringing. Whether Channex took
the ack is recorded with the handling; a failed ack is tried again by marking it handled again.
A revision Channex does not know (`unknown`) is closed without an ack.

The web process (`POST /admin/revisions/{id}/handled`, the console's Mark handled) records and
asks the worker for the ack (`store.wakeups` `ack_handled`): it makes no Channex call of its
own. `python -m middleware handled` is its own one-shot process, like the worker: it does both
halves at once (`close_by_hand`) so that its exit status says whether Channex took the ack.
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


ACK_ASKED = "asked of the worker"  # the detail of an ack owed while the worker is asked


async def record_by_hand(
    store: Store,
    revision_id: str,
    *,
    by: str,
    reason: str,
    channex_on: bool,
    clock: clocks.Clock = clocks.utc_now,
) -> revisions.Handling:
    """Mark the revision handled (who, when, why) and leave its ack at Channex owed
    (`pending`) for `ack_owed`: the web's half, which calls nobody. `channex_on=False` (the
    integration is off): the ack is recorded as not sent. A handled revision whose ack failed
    or was not sent owes it again (its who/why stay those first given); an `unknown` one owes
    none. Raises `NotClosableError` for anything else."""
    newly = await store.revisions.mark_handled(revision_id, by=by, reason=reason, at=clock())
    if newly:
        log.info("booking_revision_handled", revision_id=revision_id)
    done = await store.revisions.handling(revision_id)
    if done is None or (not newly and done.channex_ack not in RETRY_ACK):
        raise NotClosableError(f"revision {revision_id} is not parked")
    if done.channex_ack not in RETRY_ACK:
        return done
    if not channex_on:
        await _ack(store, None, revision_id, clock)
    else:
        await store.revisions.record_handled_ack(revision_id, "pending", ACK_ASKED, clock())
    return await _handling(store, revision_id)


async def ack_owed(
    store: Store, channex: Acker, revision_id: str, *, clock: clocks.Clock = clocks.utc_now
) -> Closed:
    """Ack a handled revision whose ack is owed (`pending`) at Channex and record how it went
    (a failure is recorded, and marking it handled again asks again); any other is left as
    it is. The worker's half (`store.wakeups` `ack_handled`)."""
    done = await _handling(store, revision_id)
    if done.channex_ack != "pending":
        return Closed(handling=done, acked_now=False)
    acked_now = await _ack(store, channex, revision_id, clock)
    return Closed(handling=await _handling(store, revision_id), acked_now=acked_now)


async def close_by_hand(
    store: Store,
    channex: Acker | None,
    revision_id: str,
    *,
    by: str,
    reason: str,
    clock: clocks.Clock = clocks.utc_now,
) -> Closed:
    """Both halves in one process (`python -m middleware handled`, its own process): mark
    the revision handled and ack it at Channex now (`channex=None`: the integration is off,
    the ack is recorded as not sent)."""
    done = await record_by_hand(
        store, revision_id, by=by, reason=reason, channex_on=channex is not None, clock=clock
    )
    if channex is None or done.channex_ack != "pending":
        return Closed(handling=done, acked_now=False)
    return await ack_owed(store, channex, revision_id, clock=clock)


async def _handling(store: Store, revision_id: str) -> revisions.Handling:
    done = await store.revisions.handling(revision_id)
    if done is None:
        raise NotClosableError(f"revision {revision_id} is not parked")
    return done


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
