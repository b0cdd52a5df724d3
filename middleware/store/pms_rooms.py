"""Mapped categorias sistema-os did not serve in its last ARI answer, per property.

The ARI sync records, after each PMS read of a property, which of that property's mapped
categorias the answer lacked: nothing is pushed for them, so Channex keeps whatever it had.
Categoria codes are unique per property only (two hotels may both map "ov"), so the record and
its notices are keyed by property: one hotel's read never clears or flips another's finding.
Each one is an open notice (ref = `property_id/categoria`) until a later answer of that
property serves it again; `/health`'s `pms` check reads the record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

NOTICE = "pms_categoria_not_served"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unserved:
    property_id: str
    at: datetime  # when the property's last PMS answer was read
    categorias: tuple[str, ...]


def notice_ref(property_id: str, categoria: str) -> str:
    return f"{property_id}/{categoria}"


def unserved_detail(property_id: str, categoria: str) -> str:
    """The notice's words for one mapped categoria sistema-os did not serve."""
    return (
        f"sistema-os does not serve the mapped categoria {categoria!r} of property"
        f" {property_id} (not in its ARI answer): nothing is pushed to Channex for it; add it"
        " in sistema-os or remove it from the mapping file"
    )


class PmsRooms(Protocol):
    """The pms rooms operations a store backend provides."""

    async def record(
        self,
        property_id: str,
        categorias: Sequence[str],
        now: datetime,
        *,
        covered: Collection[str] | None = None,
        mapped: Collection[tuple[str, str]] | None = None,
    ) -> None:
        """The mapped categorias of `property_id` the answer read at `now` lacked (maybe none),
        with their notices. `covered`: the property's categorias that read asked for (None:
        every one); a read of some rooms says nothing of the others, which keep what an earlier
        read found. Other properties keep theirs — while they are still `mapped` ((property id,
        categoria) pairs; None: all are)."""

    async def found(self) -> list[Unserved]:
        """What the last PMS read of each property found (by property id); empty before any."""

    async def last(self, property_id: str) -> Unserved | None:
        """What the last PMS read of `property_id` found; None before the first."""
