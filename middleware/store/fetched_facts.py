"""The hotel-words facts of each fetched booking revision (`domain.revision_facts`), as JSON.

Written by the booking processor when it fetches a revision, read by the console: a parked
revision is shown with its channel, code, guest and stay without calling Channex again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import orjson

from middleware.domain.revision_facts import RevisionFacts, RoomFacts


def to_json(facts: RevisionFacts) -> str:
    document: dict[str, Any] = {
        name: getattr(facts, name) for name in RevisionFacts.__dataclass_fields__
    }
    document["rooms"] = [
        {name: getattr(room, name) for name in RoomFacts.__dataclass_fields__}
        for room in facts.rooms
    ]
    return orjson.dumps(document, default=str).decode()


def from_json(text: str) -> RevisionFacts:
    raw: dict[str, Any] = orjson.loads(text)
    rooms = tuple(
        RoomFacts(
            **{
                **room,
                "checkin": date.fromisoformat(room["checkin"]),
                "checkout": date.fromisoformat(room["checkout"]),
            }
        )
        for room in raw.pop("rooms")
    )
    amount = raw.pop("amount")
    return RevisionFacts(
        **{
            **raw,
            "checkin": date.fromisoformat(raw["checkin"]),
            "checkout": date.fromisoformat(raw["checkout"]),
        },
        rooms=rooms,
        amount=None if amount is None else Decimal(amount),
    )


class FetchedFacts(Protocol):
    """The fetched facts operations a store backend provides."""

    async def save(self, revision_id: str, facts: RevisionFacts, now: datetime) -> None: ...

    async def load_many(self, revision_ids: Collection[str]) -> dict[str, RevisionFacts]:
        """The facts known for these revisions (a revision never fetched has none)."""
