"""The start-up look at the Channex property settings parity relies on: a wrong setting is
logged, noted and alerted with the fix; right settings resolve an earlier notice; Channex
not answering leaves everything as it was (the worker tries again)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.errors import TransientUpstreamError
from middleware.store.sqlite.store import SqliteStore
from middleware.worker.property_check import verify_property_settings

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
RIGHT = {
    "state_length": 500,
    "min_stay_type": "both",
    "allow_availability_autoupdate_on_modification": False,
    "allow_availability_autoupdate_on_cancellation": False,
}


def prop(property_id: str) -> PropertyMap:
    room = RoomTypeMap(
        room_code="ov",
        room_type_id=f"rt-{property_id}",
        rate_plans=(RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{property_id}"),),
    )
    return PropertyMap(
        property_id=property_id,
        name=property_id,
        currency="BRL",
        timezone="America/Sao_Paulo",
        room_types=(room,),
    )


MAPPING = Mapping((prop("p1"), prop("p2")))


class Channex:
    def __init__(self, settings: dict[str, dict[str, Any]], *, down: bool = False) -> None:
        self.settings = settings
        self.down = down

    async def get_property(self, property_id: str) -> dict[str, Any]:
        if self.down:
            raise TransientUpstreamError("channex", "GET /properties: timed out")
        return {"id": property_id, "attributes": {"settings": self.settings[property_id]}}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    database = await SqliteStore.open(tmp_path / "m.db")
    yield database
    await database.close()


async def open_notices(store: SqliteStore) -> list[tuple[str, str | None, str | None, str]]:
    return [(n.kind, n.property_id, n.ref, n.detail) for n in await store.notices.open_notices()]


async def test_a_wrong_setting_is_logged_noted_and_alerted_and_right_ones_resolve_it(
    store: SqliteStore,
) -> None:
    sent: list[tuple[str, str]] = []

    async def alert(kind: str, text: str) -> None:
        sent.append((kind, text))

    wrong = {
        **RIGHT,
        "min_stay_type": "arrival",
        "allow_availability_autoupdate_on_cancellation": None,
    }
    channex = Channex({"p1": RIGHT, "p2": wrong})
    with capture_logs() as logs:
        found = await verify_property_settings(
            store, channex, MAPPING, 500, clock=lambda: T0, alert=alert
        )
    problems = [
        "min_stay_type is 'arrival', the mapping sends both min_stay_arrival and min_stay_through",
        "allow_availability_autoupdate_on_cancellation is on",
    ]
    assert found == {"p1": [], "p2": problems}
    detail = "property p2: " + "; ".join(problems) + "; run scripts/setup_channex_duke.py to fix"
    assert sent == [("channex_settings", detail)]
    assert await open_notices(store) == [("channex_settings", "p2", "p2:settings", detail)]
    assert [(e["event"], e["property_id"]) for e in logs] == [
        ("channex_settings_ok", "p1"),
        ("channex_settings_wrong", "p2"),
    ]

    channex.settings["p2"] = RIGHT  # the setup script ran
    found = await verify_property_settings(
        store, channex, MAPPING, 500, clock=lambda: T0, alert=alert
    )
    assert found == {"p1": [], "p2": []}
    assert (await open_notices(store), len(sent)) == ([], 1)


async def test_channex_not_answering_changes_nothing(store: SqliteStore) -> None:
    await store.notices.add("channex_settings", "earlier", T0, property_id="p1", ref="p1:settings")
    channex = Channex({}, down=True)
    with capture_logs() as logs:
        assert (
            await verify_property_settings(store, channex, MAPPING, 500, clock=lambda: T0) is None
        )
    assert [e["event"] for e in logs] == ["channex_settings_unread"]
    assert await open_notices(store) == [("channex_settings", "p1", "p1:settings", "earlier")]
