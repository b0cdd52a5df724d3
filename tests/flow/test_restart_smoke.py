"""The harness's restart keeps the port, the database and the flow working."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.flow.harness import start_system
from tests.kit.backends import Backend


async def test_a_change_made_across_a_restart_reaches_channex(
    tmp_path: Path, backend: Backend
) -> None:
    async with start_system(tmp_path, backend, hotel="certification") as system:
        await system.full_sync()
        system.channex.reset_requests()
        url_before = system.url
        await system.restart()
        assert system.url == url_before
        day = date(2026, 11, 23)
        system.pms.set_rate("twin", "bb", day, day, Decimal("151.50"))
        await system.settle()
        assert system.posts("restrictions") == [
            {
                "values": [
                    {
                        "property_id": system.property_id,
                        "rate_plan_id": system.rate_plan_id("twin", "bb"),
                        "date": "2026-11-23",
                        "rate": 15150,
                    }
                ]
            }
        ]
