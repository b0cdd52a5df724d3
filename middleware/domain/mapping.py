"""The mapping's values: PMS room and plan codes ⇄ Channex ids, and the lookups between them.

Pure: built by `mapping_file.parse_mapping` from the file (`MAPPING_FILE`), read everywhere
else. Inside the program sistema-os's `categoria` / `plano` are `room_code` / `plan_code`.

Codes are unique per property, not across the deployment (pms-contract §5.1): two hotels of
a group both have a categoria "lvu" with a plano "padrao" in their own sistema-os. So a code
is looked up within a property (`PropertyMap.room`, `Mapping.by_room_code(property_id, code)`);
Channex ids stay unique across the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class RatePlanMap:
    plan_code: str
    rate_plan_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomTypeMap:
    room_code: str
    room_type_id: str
    rate_plans: tuple[RatePlanMap, ...]
    title: str = ""  # the room type's name people read (optional `title` in the file)

    def plan(self, plan_code: str) -> RatePlanMap | None:
        """This room type's rate plan of that plano, if mapped."""
        return next((plan for plan in self.rate_plans if plan.plan_code == plan_code), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class PmsLink:
    """A property's own PMS (pms-contract §5.1); secrets are named, never held here."""

    adapter: str
    base_url: str
    token_env: str | None = None  # the variable holding the bearer token for this PMS
    webhook_token_env: str | None = None  # the variable holding the token it sends us


@dataclass(frozen=True, slots=True, kw_only=True)
class PropertyMap:
    property_id: str
    name: str
    currency: str
    timezone: str
    room_types: tuple[RoomTypeMap, ...]
    pms: PmsLink | None = None  # None: the global PMS_BASE_URL / PMS_API_TOKEN

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def room(self, room_code: str) -> RoomTypeMap | None:
        """This property's room type of that categoria (codes are unique per property)."""
        return next((room for room in self.room_types if room.room_code == room_code), None)

    def room_codes(self) -> tuple[str, ...]:
        return tuple(room.room_code for room in self.room_types)


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomRef:
    """Where a Channex room type or rate plan lives, seen from the PMS."""

    property: PropertyMap
    room: RoomTypeMap
    plan: RatePlanMap | None = None


@dataclass(frozen=True, slots=True)
class Mapping:
    properties: tuple[PropertyMap, ...]
    _by_room_type: dict[str, RoomRef] = field(default_factory=dict, repr=False, compare=False)
    _by_rate_plan: dict[str, RoomRef] = field(default_factory=dict, repr=False, compare=False)
    _by_room_code: dict[tuple[str, str], RoomRef] = field(
        default_factory=dict, repr=False, compare=False
    )
    _by_id: dict[str, PropertyMap] = field(default_factory=dict, repr=False, compare=False)
    # categoria code -> the properties mapping it, in mapping order (read per PMS notice and
    # per ARI sync: with hundreds of hotels, a walk over every room each time showed in py-spy)
    _with_code: dict[str, list[PropertyMap]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for prop in self.properties:
            self._by_id.setdefault(prop.property_id, prop)
            for code in dict.fromkeys(room.room_code for room in prop.room_types):
                self._with_code.setdefault(code, []).append(prop)
            for room in prop.room_types:
                ref = RoomRef(property=prop, room=room)
                self._by_room_type[room.room_type_id] = ref
                self._by_room_code.setdefault((prop.property_id, room.room_code), ref)
                for plan in room.rate_plans:
                    self._by_rate_plan[plan.rate_plan_id] = RoomRef(
                        property=prop, room=room, plan=plan
                    )

    def property(self, property_id: str) -> PropertyMap | None:
        return self._by_id.get(property_id)

    def find(self, ref: str) -> PropertyMap | None:
        """A property by its Channex id or, failing that, its mapping `name`."""
        return self._by_id.get(ref) or next((p for p in self.properties if p.name == ref), None)

    def by_room_type(self, room_type_id: str) -> RoomRef | None:
        return self._by_room_type.get(room_type_id)

    def by_rate_plan(self, rate_plan_id: str) -> RoomRef | None:
        return self._by_rate_plan.get(rate_plan_id)

    def by_room_code(self, property_id: str, room_code: str) -> RoomRef | None:
        """The room type of categoria `room_code` in that property (codes are unique per
        property, not across the deployment: two hotels may both map "lvu")."""
        return self._by_room_code.get((property_id, room_code))

    def properties_with(self, room_code: str) -> tuple[PropertyMap, ...]:
        """The properties that map categoria `room_code` (in mapping order)."""
        return tuple(self._with_code.get(room_code, ()))

    def room_codes(self) -> tuple[str, ...]:
        """Every categoria some property maps, each once (first-seen order)."""
        return tuple(self._with_code)

    def __iter__(self) -> Iterator[PropertyMap]:
        return iter(self.properties)
