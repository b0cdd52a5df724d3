"""Which property, and which rooms, a sync trigger re-reads: named, known from the caller's
token, found from the categorias (a code several hotels share concerns each), or every
property."""

from __future__ import annotations

import pytest

from middleware.domain.mapping import Mapping, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.errors import PayloadError
from middleware.web.requests import SyncScope
from middleware.web.sync_targets import Resolved, Target, resolve


def hotel(property_id: str, name: str, *codes: str) -> PropertyMap:
    return PropertyMap(
        property_id=property_id,
        name=name,
        currency="BRL",
        timezone="America/Sao_Paulo",
        room_types=tuple(
            RoomTypeMap(
                room_code=code,
                room_type_id=f"rt-{code}-{property_id}",
                rate_plans=(
                    RatePlanMap(plan_code="padrao", rate_plan_id=f"rp-{code}-{property_id}"),
                ),
            )
            for code in codes
        ),
    )


TWO = Mapping((hotel("p1", "Duke Beach", "lvu", "ov"), hotel("p2", "Pousada", "std", "sup")))


def scope(codes: tuple[str, ...] | None = None, ref: str | None = None) -> SyncScope:
    return SyncScope(room_codes=codes, date_from=None, date_to=None, property_ref=ref)


@pytest.mark.parametrize(
    ("given", "caller", "expected"),
    [
        (
            scope(),
            None,
            Resolved(targets=(Target(property_id=None, room_codes=None),), unmapped=()),
        ),
        (
            scope(ref="p2"),
            None,
            Resolved(targets=(Target(property_id="p2", room_codes=None),), unmapped=()),
        ),
        (
            scope(ref="Pousada"),
            None,
            Resolved(targets=(Target(property_id="p2", room_codes=None),), unmapped=()),
        ),
        (
            scope(),
            "p1",
            Resolved(targets=(Target(property_id="p1", room_codes=None),), unmapped=()),
        ),
        (
            scope(("ov", "std"), ref="p1"),
            None,
            Resolved(
                targets=(Target(property_id="p1", room_codes=("ov", "std")),), unmapped=("std",)
            ),
        ),
        (
            scope(("sup", "ov", "zzz", "lvu")),
            None,
            Resolved(
                targets=(
                    Target(property_id="p1", room_codes=("ov", "lvu")),
                    Target(property_id="p2", room_codes=("sup",)),
                ),
                unmapped=("zzz",),
            ),
        ),
        (
            scope(("zzz",)),
            None,
            Resolved(targets=(Target(property_id=None, room_codes=("zzz",)),), unmapped=("zzz",)),
        ),
    ],
)
def test_a_scope_resolves_to_one_request_per_property(
    given: SyncScope, caller: str | None, expected: Resolved
) -> None:
    assert resolve(TWO, given, caller=caller) == expected


# A group: both hotels have "lvu" (and plano "padrao") in their own sistema-os.
GROUP = Mapping(
    (
        hotel("pa", "Hotel A", "lvu", "ov"),
        hotel("pb", "Hotel B", "lvu", "std"),
        hotel("pc", "Hotel C", "sup"),
    )
)


@pytest.mark.parametrize(
    ("given", "caller", "expected"),
    [
        (  # a shared code with no property concerns each hotel that maps it, no other
            scope(("lvu",)),
            None,
            Resolved(
                targets=(
                    Target(property_id="pa", room_codes=("lvu",)),
                    Target(property_id="pb", room_codes=("lvu",)),
                ),
                unmapped=(),
            ),
        ),
        (  # a code only one hotel maps concerns that one; a shared code each of its hotels
            scope(("std", "lvu", "zzz")),
            None,
            Resolved(
                targets=(
                    Target(property_id="pa", room_codes=("lvu",)),
                    Target(property_id="pb", room_codes=("std", "lvu")),
                ),
                unmapped=("zzz",),
            ),
        ),
        (  # hotel A's own token: A's "lvu" only; B's "std" is not A's
            scope(("lvu", "std")),
            "pa",
            Resolved(
                targets=(Target(property_id="pa", room_codes=("lvu", "std")),), unmapped=("std",)
            ),
        ),
        (  # "property" in the body: that hotel's "lvu" only
            scope(("lvu",), ref="Hotel B"),
            None,
            Resolved(targets=(Target(property_id="pb", room_codes=("lvu",)),), unmapped=()),
        ),
    ],
)
def test_a_categoria_several_hotels_share_resolves_within_the_property_asked(
    given: SyncScope, caller: str | None, expected: Resolved
) -> None:
    assert resolve(GROUP, given, caller=caller) == expected


def test_with_one_property_every_request_is_that_property_s() -> None:
    one = Mapping((TWO.properties[0],))
    assert resolve(one, scope(("lvu",))) == Resolved(
        targets=(Target(property_id="p1", room_codes=("lvu",)),), unmapped=()
    )


@pytest.mark.parametrize(
    ("given", "caller", "error"),
    [
        (scope(ref="nowhere"), None, "'property' 'nowhere' is not mapped"),
        (scope(ref="p2"), "p1", "'property' is not the property this token belongs to"),
    ],
)
def test_an_unknown_property_or_another_s_is_refused(
    given: SyncScope, caller: str | None, error: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        resolve(TWO, given, caller=caller)
    assert str(caught.value) == error
