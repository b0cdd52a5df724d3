"""The setup's mapping file: what it said before, the ids that moved, a backup, the write.

The file may hold several hotels; the setup replaces only its own entry (same property id or
name). The file it overwrites is first copied to `<name>.bak-<UTC time>` beside it, so a run
against the wrong account or property never loses the only copy of a working mapping.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from middleware.channex.setup_report import IdChange, Verb
from middleware.domain.mapping import Mapping as ChannexMapping
from middleware.domain.mapping import PropertyMap
from middleware.errors import MiddlewareError
from middleware.mapping_file import load_mapping, mapping_document, parse_mapping, write_mapping

BACKUP_STAMP = "%Y%m%dT%H%M%SZ"

Note = Callable[[Verb, str, str, str | None], None]


def current_properties(path: Path) -> tuple[PropertyMap, ...]:
    """The hotels of the mapping file now (none when it is missing or unreadable)."""
    if not path.exists():
        return ()
    try:
        return load_mapping(path).properties
    except MiddlewareError:
        return ()


def previous_entry(path: Path, title: str) -> PropertyMap | None:
    """This hotel's entry in the current file, by name (the plan's title)."""
    return next((p for p in current_properties(path) if p.name == title), None)


def id_changes(old: PropertyMap | None, new: PropertyMap) -> list[IdChange]:
    """Every Channex id the new entry gives differently from the old one."""
    if old is None:
        return []
    changes = []
    if old.property_id != new.property_id:
        changes.append(
            IdChange(kind="property", name=new.name, old=old.property_id, new=new.property_id)
        )
    rooms = {r.room_code: r for r in old.room_types}
    for room in new.room_types:
        before = rooms.get(room.room_code)
        if before is None:
            continue
        if before.room_type_id != room.room_type_id:
            changes.append(
                IdChange(
                    kind="room type",
                    name=room.room_code,
                    old=before.room_type_id,
                    new=room.room_type_id,
                )
            )
        plans = {p.plan_code: p.rate_plan_id for p in before.rate_plans}
        for plan in room.rate_plans:
            was = plans.get(plan.plan_code)
            if was is not None and was != plan.rate_plan_id:
                changes.append(
                    IdChange(
                        kind="rate plan",
                        name=f"{room.room_code}/{plan.plan_code}",
                        old=was,
                        new=plan.rate_plan_id,
                    )
                )
    return changes


def backup_path(path: Path, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime(BACKUP_STAMP)
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
    return candidate


def write(
    path: Path, own: PropertyMap, *, dry_run: bool, now: datetime, note: Note
) -> ChannexMapping:
    """Replace this hotel's entry (same id or name) in the file, keeping other properties;
    back the old file up first."""
    current: Any = None
    if path.exists():
        try:
            current = orjson.loads(path.read_bytes())
        except (orjson.JSONDecodeError, OSError):
            current = None  # unreadable: replaced by this hotel's mapping (after a backup)
    others = tuple(
        p
        for p in current_properties(path)
        if p.property_id != own.property_id and p.name != own.name
    )
    merged = parse_mapping(mapping_document(ChannexMapping((*others, own))))
    if mapping_document(merged) == current:
        note("keep", "mapping file", str(path), None)
        return merged
    if path.exists():
        copy = backup_path(path, now)
        if not dry_run:
            shutil.copy2(path, copy)
        note("backup", "mapping file", str(path), str(copy))
    if not dry_run:
        write_mapping(path, merged)
    note("write", "mapping file", str(path), None)
    return merged
