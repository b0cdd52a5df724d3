"""The work a wake-up asks for (`store.wakeups`), run by the worker, and its result as JSON.

`process_bookings` runs one booking pass (up to `WORKER_BATCH_SIZE` due revisions of each
property; a property whose bookings are already being processed gets its pass once that work
ends, so every revision due when it was asked is processed), `poll_feed` reads the booking-
revision feed, `parity_check` reads Channex's ARI back for every live property now,
`read_catalog` reads and stores every property's room types and rate plans (`worker.catalog`).
Work about one thing (`run_about`): `ack_handled` acks at Channex a revision a person closed by
hand (`handling.ack_owed`), `read_back` reads one hotel's month back for the console's calendar
(`worker.read_back`). The result is what the admin route answered with before the web stopped
doing the work itself: `GET /admin/wakeups/{id}` shows it once the worker is done.
"""

from __future__ import annotations

from typing import Any

from middleware.ops.report import jsonable
from middleware.store.wakeups import Work
from middleware.worker import catalog, handling, read_back
from middleware.worker.assembly import WorkerRuntime
from middleware.worker.parity import PassResult


async def run(rt: WorkerRuntime, work: Work) -> dict[str, Any]:
    """Run `work` once; its result."""
    if work == "process_bookings":
        report = await rt.bookings.run_once(limit=rt.settings.worker_batch_size)
        return {"processed": jsonable(report)}
    if work == "poll_feed":
        return {"feed": jsonable(await rt.feed.run_once())}
    if work == "read_catalog":
        return {"catalogs": await catalog.refresh(rt.store, rt.channex, rt.mapping, rt.clock())}
    return {"passes": [_pass(r) for r in await rt.parity.run_once(force=True)]}


async def run_about(rt: WorkerRuntime, work: Work, subject: str) -> dict[str, Any]:
    """Run `work` once about `subject` (`wakeups.BY_SUBJECT`); its result."""
    if work == "ack_handled":
        try:
            closed = await handling.ack_owed(rt.store, rt.channex, subject, clock=rt.clock)
        except handling.NotClosableError as exc:
            return {"error": str(exc)}
        return {"handling": jsonable(closed.handling), "acked_now": closed.acked_now}
    return await read_back.run(rt, subject)


def _pass(result: PassResult) -> dict[str, Any]:
    return {
        "property_id": result.lane.property_id,
        "kind": result.lane.kind,
        "date_from": result.date_from.isoformat(),
        "date_to": result.date_to.isoformat(),
        "cells": result.cells,
        "drift": len(result.drift),
        "queued": result.queued,
    }
