"""Mapped categorias sistema-os did not serve in its last ARI answer.

The ARI sync records, after each PMS read, which mapped categorias the answer lacked: nothing
is pushed for them, so Channex keeps whatever it had. Each one is an open notice (ref = the
categoria) until a later answer serves it again; `/health`'s `pms` check reads the record.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

NOTICE = "pms_categoria_not_served"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unserved:
    at: datetime  # when the PMS answer was read
    categorias: tuple[str, ...]


class PmsRooms(Protocol):
    """The pms rooms operations a store backend provides."""

    async def record(
        self,
        categorias: Sequence[str],
        now: datetime,
        *,
        covered: Collection[str] | None = None,
        mapped: Collection[str] | None = None,
    ) -> None:
        """The mapped categorias the answer read at `now` lacked (maybe none), with their notices.
        `covered`: the categorias that read asked for (None: every one); a read of one hotel, or of
        some rooms, says nothing of the others, which keep what an earlier read found — while
        they are still `mapped` (None: all are)."""

    async def last(self) -> Unserved | None:
        """What the last PMS read found; None before the first."""
