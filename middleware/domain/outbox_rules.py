"""The outbox's coalescing rules: which value of a field wins, and what Channex already holds.

Pure decisions over plain values; a store backend reads a lane's outbox rows and acked values
in its write transaction, asks `plan_enqueue` or `plan_diff` what to write, and executes the
`WritePlan` as it stands.

Per field written (text: the canonical `models.value_to_text` of its value):
- no outbox row: inserted, unless it equals the acked value (change-then-revert sends nothing);
- a row in flight (carried by a claimed push): never deleted; a different value replaces it
  and takes it out of the push, so it goes again in a later one;
- a pending or dead row and the value equals the acked one: the row is deleted;
- a dead row: revived (pending, attempts 0) by a different value, or by a full sync;
- a pending row: a different value replaces it (last write wins, `enqueued_at` kept); the same
  value written by a full sync marks the row as part of one.
`keep_equal` (a full sync, a forced diff) sends values Channex already holds: nothing is
redundant then. `plan_diff` first keeps only the fields whose value differs from the effective
one — the row's value where a row exists (a dead row too, so a refused value is not resent
until it changes), else the acked one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from middleware.domain.models import CellKey, Cells, value_from_text, value_to_text

# A field of a cell as stored: (entity_id, day as YYYY-MM-DD, field name).
FieldKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    """A field's outbox row as the rules need it."""

    value: str
    in_flight: bool  # carried by a claimed push
    dead: bool  # dead-lettered
    full_sync: bool  # part of a full sync


@dataclass(frozen=True, slots=True, kw_only=True)
class WritePlan:
    """What to write, per field, in one transaction."""

    inserts: dict[FieldKey, str] = field(default_factory=dict)
    replaces: dict[FieldKey, str] = field(default_factory=dict)  # new value; out of any push
    revives: dict[FieldKey, str] = field(default_factory=dict)  # dead -> pending, attempts 0
    flags: tuple[FieldKey, ...] = ()  # same value, now part of a full sync
    deletes: tuple[FieldKey, ...] = ()

    @property
    def changed(self) -> int:
        """Rows inserted, changed or removed (a flag alone does not count)."""
        return len(self.inserts) + len(self.replaces) + len(self.revives) + len(self.deletes)


def field_texts(cells: Cells) -> dict[FieldKey, str]:
    """Every field of `cells` as its canonical text."""
    return {
        (key.entity_id, key.day.isoformat(), name): value_to_text(name, value)
        for key, fields in cells.items()
        for name, value in fields.items()
    }


def cells_from_texts(texts: Mapping[FieldKey, str]) -> Cells:
    """The cells that canonical texts stand for (the inverse of `field_texts`)."""
    cells: Cells = {}
    for (entity_id, day, name), text in texts.items():
        key = CellKey(entity_id, date.fromisoformat(day))
        cells.setdefault(key, {})[name] = value_from_text(name, text)
    return cells


def diff_texts(
    desired: Mapping[FieldKey, str], held: Mapping[FieldKey, str]
) -> dict[FieldKey, str]:
    """The fields of `desired` whose value differs from `held` (absent there counts as
    different). Fields absent from `desired` are never sent: the PMS does not manage them."""
    return {key: text for key, text in desired.items() if held.get(key) != text}


def diff_cells(desired: Cells, held: Cells) -> Cells:
    """`diff_texts` over cells: the fields of `desired` (as given) that `held` does not hold."""
    changed = diff_texts(field_texts(desired), field_texts(held))
    delta: Cells = {}
    for key, fields in desired.items():
        day = key.day.isoformat()
        kept = {name: v for name, v in fields.items() if (key.entity_id, day, name) in changed}
        if kept:
            delta[key] = kept
    return delta


def plan_writes(
    texts: Mapping[FieldKey, str],
    rows: Mapping[FieldKey, OutboxRow],
    acked: Mapping[FieldKey, str],
    *,
    full_sync: bool,
    keep_equal: bool,
) -> WritePlan:
    """Write `texts` over a lane's current `rows` and `acked` values by the module's rules."""
    inserts: dict[FieldKey, str] = {}
    replaces: dict[FieldKey, str] = {}
    revives: dict[FieldKey, str] = {}
    flags: list[FieldKey] = []
    deletes: list[FieldKey] = []
    for key, text in texts.items():
        row = rows.get(key)
        redundant = not keep_equal and text == acked.get(key)
        if row is None:
            if not redundant:
                inserts[key] = text
        elif row.in_flight:
            if text != row.value:
                replaces[key] = text
        elif redundant:
            deletes.append(key)
        elif row.dead:
            if keep_equal or text != row.value:
                revives[key] = text
        elif text != row.value:
            replaces[key] = text
        elif full_sync and not row.full_sync:
            flags.append(key)
    return WritePlan(
        inserts=inserts,
        replaces=replaces,
        revives=revives,
        flags=tuple(flags),
        deletes=tuple(deletes),
    )


def plan_enqueue(
    texts: Mapping[FieldKey, str],
    rows: Mapping[FieldKey, OutboxRow],
    acked: Mapping[FieldKey, str],
    *,
    full_sync: bool,
) -> WritePlan:
    """Changes made pending as given (`outbox.enqueue`): a full sync sends every value."""
    return plan_writes(texts, rows, acked, full_sync=full_sync, keep_equal=full_sync)


def plan_diff(
    texts: Mapping[FieldKey, str],
    rows: Mapping[FieldKey, OutboxRow],
    acked: Mapping[FieldKey, str],
    *,
    force: bool,
    full_sync: bool,
) -> WritePlan:
    """Desired state written where it differs from the effective one (`outbox.enqueue_diff`);
    `force` keeps every field."""
    if not force:
        effective = {**acked, **{key: row.value for key, row in rows.items()}}
        texts = diff_texts(texts, effective)
    return plan_writes(texts, rows, acked, full_sync=full_sync, keep_equal=force)


def within_days(texts: Mapping[FieldKey, str], day_from: date, day_to: date) -> dict[FieldKey, str]:
    """The fields whose day lies between the two days, inclusive."""
    first, last = day_from.isoformat(), day_to.isoformat()
    return {key: text for key, text in texts.items() if first <= key[1] <= last}
