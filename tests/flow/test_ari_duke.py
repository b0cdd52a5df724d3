"""Duke Beach goes live: a full sync of 500 days is one `/availability` and one `/restrictions`
call that together cover every cell of the six room types and six rate plans, equal to
sistema-os, far smaller than one value per cell, and audited with Channex's task ids."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

from middleware.store import outbox
from tests.flow.harness import System, start_system
from tests.flow.oracle import RESTRICTION_FIELDS, assert_channex_matches_pms

DAYS = 500
ROOM_TYPES = 6
WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
SCOPE_KEYS = frozenset(
    {"property_id", "room_type_id", "rate_plan_id", "date", "date_from", "date_to", "days"}
)

Field = tuple[str, date, str]  # (room type or rate plan id, day, field)


def covered(values: list[dict[str, Any]], entity_key: str) -> set[Field]:
    """Every (entity, day, field) the values set, honouring ranges and the weekday filter."""
    out: set[Field] = set()
    for value in values:
        if "date" in value:
            days = [date.fromisoformat(value["date"])]
        else:
            first = date.fromisoformat(value["date_from"])
            last = date.fromisoformat(value["date_to"])
            days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        allowed = set(value.get("days", WEEKDAYS))
        names = [name for name in value if name not in SCOPE_KEYS]
        out |= {
            (value[entity_key], day, name)
            for day in days
            if WEEKDAYS[day.weekday()] in allowed
            for name in names
        }
    return out


def pms_runs(system: System, first: date, last: date) -> int:
    """Maximal runs of consecutive days with identical values, per room type (availability)
    and per plan (rate and restrictions): what plain range compression would send."""
    runs = 0
    for room in system.pms.ari(first, last)["room_types"]:
        series = [[day["available"]] + day["rates"] for day in room["days"]]
        for column in zip(*series, strict=True):
            runs += 1 + sum(a != b for a, b in pairwise(column))
    return runs


async def test_duke_beach_full_sync_of_500_days(tmp_path: Path) -> None:
    async with start_system(tmp_path) as system:
        await system.full_sync()
        today = system.today()
        horizon = [today + timedelta(days=n) for n in range(DAYS)]

        # Exactly one call per endpoint, both accepted, availability first.
        ari_calls = [
            r
            for r in system.channex.requests
            if r.method == "POST" and r.path in ("/api/v1/availability", "/api/v1/restrictions")
        ]
        assert [(r.path, r.status) for r in ari_calls] == [
            ("/api/v1/availability", 200),
            ("/api/v1/restrictions", 200),
        ]
        (avail_body,) = system.posts("availability")
        (restr_body,) = system.posts("restrictions")

        # Every cell of every room type and plan is covered, on every day of the horizon.
        rooms = system.mapping.properties[0].room_types
        room_types = {r.room_type_id for r in rooms}
        plans = {p.rate_plan_id for r in rooms for p in r.rate_plans}
        assert (len(room_types), len(plans)) == (ROOM_TYPES, ROOM_TYPES)
        assert covered(avail_body["values"], "room_type_id") == {
            (rt, day, "availability") for rt in room_types for day in horizon
        }
        assert covered(restr_body["values"], "rate_plan_id") == {
            (plan, day, name)
            for plan in plans
            for day in horizon
            for name in ("rate", *RESTRICTION_FIELDS)
        }
        assert {v["property_id"] for v in avail_body["values"] + restr_body["values"]} == {
            system.property_id
        }
        # ... and what Channex now holds is sistema-os, cell by cell.
        await assert_channex_matches_pms(system, days=DAYS)

        # Far below naive: one value per cell would be 6 x 500 + 6 x 500 = 6,000 values. The
        # encoder must beat a third of that, and must not do worse than plain range
        # compression (one value per run of identical days per room type / plan).
        cells = (len(room_types) + len(plans)) * DAYS
        values = len(avail_body["values"]) + len(restr_body["values"])
        runs = pms_runs(system, horizon[0], horizon[-1])
        print(
            f"\nDuke full sync: {values} values ({len(avail_body['values'])} availability,"
            f" {len(restr_body['values'])} restrictions) for {cells} cells;"
            f" {runs} runs of identical days;"
            f" {len(orjson.dumps(avail_body))} + {len(orjson.dumps(restr_body))} bytes"
        )
        assert values < cells / 3
        assert values <= runs
        # No booking yet: each room type's availability is one range over the horizon.
        assert len(avail_body["values"]) == ROOM_TYPES

        # The audit rows: one per lane, with Channex's task ids and the payload's sha256.
        pushes: dict[str, outbox.PushRecord] = {
            p.lane.kind: p
            for p in await system.context.runtime.store.outbox.recent_pushes(
                property_id=system.property_id
            )
        }
        assert set(pushes) == {"availability", "restrictions"}
        for kind, body in (("availability", avail_body), ("restrictions", restr_body)):
            push = pushes[kind]
            (task_id,) = push.task_ids
            assert system.channex.state.tasks[task_id] == {"kind": kind, "values": body["values"]}
            assert (
                push.status,
                push.full_sync,
                push.calls,
                push.values_count,
                push.bytes_sent,
                push.payload_sha256,
                push.warnings,
                push.error,
            ) == (
                "sent",
                True,
                1,
                len(body["values"]),
                len(orjson.dumps(body)),
                hashlib.sha256(orjson.dumps(body["values"])).hexdigest(),
                (),
                None,
            )
