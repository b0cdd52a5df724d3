"""A manual test push when hotels share categoria codes: the room is the named property's, a
code only one hotel maps needs no name, and a shared one is never guessed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from middleware.config import load_settings
from middleware.domain.mapping import Mapping
from middleware.domain.models import Kind
from middleware.errors import PayloadError
from middleware.web.manual_body import parse_manual_push
from tests.web.test_sync_scope import hotel

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
SETTINGS = load_settings({"CHANNEX_API_KEY": "k-123456"}, env_file=None)


GROUP = Mapping((hotel("pa", "Hotel A", "lvu", "ov"), hotel("pb", "Hotel B", "lvu", "std")))


@pytest.mark.parametrize(
    ("body", "kind", "where"),
    [
        (b'{"categoria": "lvu", "property": "pb"}', "availability", ("pb", "rt-lvu-pb")),
        (b'{"categoria": "lvu", "property": "Hotel A"}', "restrictions", ("pa", "rp-lvu-pa")),
        (b'{"categoria": "std"}', "availability", ("pb", "rt-std-pb")),  # B's only
        (b'{"categoria": "ov", "plano": "padrao"}', "restrictions", ("pa", "rp-ov-pa")),
    ],
)
def test_the_room_pushed_is_the_property_s_own(
    body: bytes, kind: Kind, where: tuple[str, str]
) -> None:
    push = parse_manual_push(body, kind, GROUP, SETTINGS, NOW)
    assert (push.lane.property_id, push.entity_id) == where
    assert push.value["property_id"] == where[0]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            b'{"categoria": "lvu"}',
            "categoria 'lvu' is mapped in Hotel A, Hotel B: name one with 'property'",
        ),
        (
            b'{"categoria": "std", "property": "pa"}',
            "categoria 'std' is not mapped; mapped: lvu, ov",
        ),
        (b'{"categoria": "lvu", "property": "nowhere"}', "'property' 'nowhere' is not mapped"),
        (b'{"property": 7}', "'property' must be a string (a Channex property id or mapping name)"),
    ],
)
def test_a_shared_code_without_a_property_or_another_hotel_s_code_is_refused(
    body: bytes, error: str
) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_manual_push(body, "availability", GROUP, SETTINGS, NOW)
    assert str(caught.value) == error
