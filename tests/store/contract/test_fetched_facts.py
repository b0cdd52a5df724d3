"""The hotel-words facts of a fetched revision survive the store whole."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

from middleware.domain.revision_facts import RevisionFacts, RoomFacts
from middleware.store.port import Store

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
FACTS = RevisionFacts(
    status="new",
    ota="Booking.com",
    reservation_code="9996013801",
    guest="Ana Lima",
    checkin=date(2026, 12, 10),
    checkout=date(2026, 12, 13),
    rooms=(
        RoomFacts(
            room_type_id=None,
            checkin=date(2026, 12, 10),
            checkout=date(2026, 12, 13),
            adults=2,
            children=1,
            cancelled=False,
        ),
    ),
    amount=Decimal("1307.50"),
    currency="BRL",
    payment_collect="ota",
    payment_type="credit_card",
    card_brand="MC",
    virtual_card=True,
)


async def test_saved_facts_load_back_equal_and_a_second_save_replaces(store: Store) -> None:
    await store.fetched_facts.save("rev-1", FACTS, NOW)
    assert await store.fetched_facts.load_many(["rev-1", "rev-2"]) == {"rev-1": FACTS}
    changed = dataclasses.replace(FACTS, amount=None, guest="")
    await store.fetched_facts.save("rev-1", changed, NOW)
    assert await store.fetched_facts.load_many(["rev-1"]) == {"rev-1": changed}
    assert await store.fetched_facts.load_many([]) == {}
