"""What the setup did (or, in a dry run, would do): one `Action` per entity, the ids that
changed since the last mapping file, and the lines the command prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.errors import MiddlewareError

Verb = Literal["create", "match", "update", "delete", "write", "keep", "backup"]
PAST = {"create": "created", "match": "matched", "update": "updated", "write": "written"}
PAST |= {"keep": "unchanged", "delete": "deleted", "backup": "backed up"}
CHANGES = frozenset({"create", "update", "delete"})


class SetupError(MiddlewareError):
    """Channex holds something the plan cannot be reconciled with (ambiguous titles, currency)."""


class BasePathError(SetupError):
    """The first call found no Channex API at the base URL (HTTP 404): a wrong path."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    verb: Verb
    kind: str  # "property" | "room type" | "rate plan" | "webhook" | "mapping file"
    name: str
    entity_id: str | None = None  # for "backup": where the copy went


@dataclass(frozen=True, slots=True, kw_only=True)
class IdChange:
    """Something the mapping (or the webhook) pointed at before and points elsewhere now."""

    kind: str  # "property" | "room type" | "rate plan" | "webhook url"
    name: str  # "lvu", "lvu/padrao", the property's title, the webhook id
    old: str
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupReport:
    actions: tuple[Action, ...]
    dry_run: bool
    mapping: ChannexMapping | None  # None when entities are still to be created (dry run)
    changes: tuple[IdChange, ...] = ()

    def count(self, verb: Verb, kind: str | None = None) -> int:
        return sum(1 for a in self.actions if a.verb == verb and kind in (None, a.kind))

    @property
    def up_to_date(self) -> bool:
        """Nothing to create, update or delete in Channex, and the mapping file current."""
        return not any(a.verb in CHANGES or a.verb == "write" for a in self.actions)

    def lines(self) -> list[str]:
        out = []
        for a in self.actions:
            done = f"would {a.verb}" if self.dry_run and a.verb != "match" else PAST[a.verb]
            if a.verb == "backup":
                out.append(f"{a.kind} {a.name}: {done} to {a.entity_id}")
                continue
            suffix = f" ({a.entity_id})" if a.entity_id else ""
            out.append(f"{a.kind} {a.name}: {done}{suffix}")
        verb = "would change" if self.dry_run else "changed"
        out.extend(f"{verb}: {c.kind} {c.name}: {c.old} → {c.new}" for c in self.changes)
        created, updated = self.count("create"), self.count("update")
        deleted = self.count("delete")
        gone = f", delete {deleted}" if deleted else ""
        if self.dry_run:
            out.append(
                f"dry run: would create {created}, update {updated}{gone}; nothing was changed"
            )
        elif self.up_to_date:
            out.append("up to date: nothing to create or update")
        else:
            gone = f", deleted {deleted}" if deleted else ""
            out.append(f"done: created {created}, updated {updated}{gone}")
        return out
