"""Which properties, and which of their rooms, a sync trigger asks to re-read (pms-contract §5.1).

A trigger names a property (`property`: a Channex id or the mapping name), or is known to come
from one property's PMS (its own webhook token): its `categorias` are that property's own. Or
it names rooms and no property: categoria codes are unique per property only (two hotels may
both have "lvu"), so a code concerns every property that maps it — one property when only one
does. Or none of these: then every property is re-read. One hotel's change thus re-reads only
that hotel, and only the rooms it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from middleware.domain.mapping import Mapping, PropertyMap
from middleware.errors import PayloadError
from middleware.web.requests import SyncScope


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    property_id: str | None  # None: every property
    room_codes: tuple[str, ...] | None  # None: every room


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    targets: tuple[Target, ...]
    unmapped: tuple[str, ...]  # categorias no property (or not the property named) maps


def resolve(mapping: Mapping, scope: SyncScope, *, caller: str | None = None) -> Resolved:
    """The sync requests `scope` stands for. `caller`: the property whose own webhook token
    the request carried. Raises `PayloadError` for an unknown property, or one the caller's
    token does not belong to."""
    prop: PropertyMap | None = None
    if scope.property_ref is not None:
        prop = mapping.find(scope.property_ref)
        if prop is None:
            raise PayloadError(f"'property' {scope.property_ref[:80]!r} is not mapped")
    if caller is not None:
        if prop is not None and prop.property_id != caller:
            raise PayloadError("'property' is not the property this token belongs to")
        prop = mapping.property(caller)
    if prop is None and len(mapping.properties) == 1:
        prop = mapping.properties[0]
    codes = scope.room_codes
    if prop is not None:
        own = {room.room_code for room in prop.room_types}
        unmapped = tuple(sorted(set(codes or ()) - own))
        return Resolved(
            targets=(Target(property_id=prop.property_id, room_codes=codes),), unmapped=unmapped
        )
    if codes is None:
        return Resolved(targets=(Target(property_id=None, room_codes=None),), unmapped=())
    by_property: dict[str, list[str]] = {p.property_id: [] for p in mapping.properties}
    unmapped_codes: list[str] = []
    for code in dict.fromkeys(codes):
        having = mapping.properties_with(code)
        if not having:
            unmapped_codes.append(code)
        for owner in having:  # a code shared by several hotels concerns each of them
            by_property[owner.property_id].append(code)
    targets = tuple(
        Target(property_id=property_id, room_codes=tuple(own_codes))
        for property_id, own_codes in by_property.items()
        if own_codes
    )
    # Nothing mapped: kept as asked (it reads nothing), so the caller still gets a request id.
    return Resolved(
        targets=targets or (Target(property_id=None, room_codes=codes),),
        unmapped=tuple(sorted(set(unmapped_codes))),
    )
