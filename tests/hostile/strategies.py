"""Shared hypothesis strategies for the hostile-input tests.

- `hostile_scalars()`: the values that break parsers: huge and negative numbers, `"1e309"`,
  `"NaN"`, full-width digits, null bytes, right-to-left marks, lone surrogates, impossible and
  extreme dates, very long strings.
- `json_values()`: any JSON-shaped Python value (hostile scalars at the leaves).
- `mutated(doc)`: a deep copy of a valid document with one to a few nodes dropped, replaced,
  retyped, emptied, wrapped, duplicated or blown up, anywhere in the tree. The `similar`
  mutation swaps a leaf for a hostile value of the same kind (a date for an impossible or
  extreme date, an amount for `"1e309"` or `"-5"`, a count for a huge or negative one), which is
  what reaches past the first type check into the logic behind it.
- `json_bytes(value)` / `bodies(valid)`: request bodies as a hostile client writes them
  (ASCII-escaped or raw UTF-8, lone surrogates kept, big integers and non-finite floats as
  Python's `json` writes them, and bytes that are no JSON at all).

Strategies are plain data; the tests run them with `derandomize=True`, so runs reproduce.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

LONG_TEXT = "x" * 20_000
HUGE_COPIES = 300
HUGE_COPY_BYTES = 64

# Valid but extreme values first: hypothesis draws early entries of a list more often.
HOSTILE_DATES = (
    "9999-12-31",
    "0001-01-01",
    "2029-12-01",
    "2025-11-01",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-1-1",
    "20261210",
    "2026-W50-1",
    "-2026-01-01",
    "+12026-01-01",
    "0001-01-02",
    "1970-01-01",
    "2026-11-20",
    "2027-12-31",
    "9999-12-30",
    "2026-12-10T25:00:00",
)
HOSTILE_INSTANTS = (
    "2030-01-01T00:00:00",
    "9999-12-31T23:59:59.999999",
    "2026-11-21T14:03:12",
    "2026-11-21T14:03:12Z",
    "2026-11-21T14:03:12+25:00",
    "2026-11-21 14:03",
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+23:59",
    "yesterday",
)
HOSTILE_AMOUNTS = (
    "1e309",
    "-1e309",
    "1E+400",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "-5",
    "-0",
    "0",
    "-0.01",
    "0.001",
    "1_000",
    "0x10",
    " 450.00 ",
    "450,00",
    "１２３",
    "١٢٣",
    "99999999999999999999999999999999",
)
HOSTILE_TEXT = (
    "",
    " ",
    "\x00",
    "rev\x00id",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "ção 🏨 ß ﬁ",
    "new",
    "cancelled",
    "CANCELLED",
    "booking_new",
    "lvu",
    "padrao",
    "rt-ov",
    "prop-1",
)
HOSTILE_STRINGS = HOSTILE_TEXT + HOSTILE_DATES + HOSTILE_INSTANTS + HOSTILE_AMOUNTS
HOSTILE_INTS = (2**63 - 1, -1, 10**30, 0, 2**64, -5, 1, 2**31, -(2**63), -(10**30), 10**400)
HOSTILE_NUMBERS: tuple[int | float | Decimal, ...] = (
    *HOSTILE_INTS,
    0.5,
    -0.0,
    1e308,
    -1e308,
    5e-324,
    float("inf"),
    float("-inf"),
    float("nan"),
    Decimal("450.10"),
    Decimal("1E+309"),
    Decimal("-5"),
    Decimal("0.00001"),
)
# Keys that valid documents use, so random objects sometimes look almost right.
KEYS = (
    "data",
    "attributes",
    "id",
    "event",
    "payload",
    "revision_id",
    "booking_id",
    "property_id",
    "timestamp",
    "status",
    "rooms",
    "occupancy",
    "adults",
    "categoria",
    "categorias",
    "date_from",
    "date_to",
    "room_types",
    "days",
    "date",
    "available",
    "total",
    "rates",
    "rate",
    "plano",
)

# Lone surrogates: orjson refuses them, escaped or raw; the stdlib parser reads the escaped one.
SURROGATE_BODIES = (b'{"event": "\\ud800"}', '{"event": "\ud800"}'.encode("utf-8", "surrogatepass"))
NOT_JSON = (b"", b"{", b"null", b"[]", b"{}", b'{"a":1}{"b":2}', b"\xff\xfe{}", *SURROGATE_BODIES)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T.*")
_AMOUNT = re.compile(r"-?\d+\.\d+")


def _long_text(chars: int) -> str:
    """Built on demand, so no strategy's repr carries it."""
    return LONG_TEXT[:chars]


def hostile_scalars() -> st.SearchStrategy[Any]:
    """One hostile leaf: a listed string or number, or a random one of any kind."""
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.sampled_from(HOSTILE_NUMBERS),
        st.sampled_from([2_000, len(LONG_TEXT)]).map(_long_text),
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=40),
    )


def json_values(*, deep: bool = True) -> st.SearchStrategy[Any]:
    """Any JSON-shaped value: hostile scalars inside lists and string-keyed objects; nested
    to any depth, or (`deep=False`) one level."""
    scalars = hostile_scalars()
    keys = st.one_of(st.text(max_size=12), st.sampled_from(KEYS))
    if not deep:
        return st.one_of(
            scalars, st.lists(scalars, max_size=3), st.dictionaries(keys, scalars, max_size=3)
        )
    # A self-referencing `deferred`, not `recursive`: hypothesis reprs strategies while it
    # shrinks, and each level of `recursive` holds the one below twice (hundreds of kB, and a
    # warning); a deferred prints its own reference instead.
    tree: st.SearchStrategy[Any] = st.deferred(
        lambda: st.one_of(
            scalars,
            scalars,
            scalars,
            st.lists(tree, max_size=4),
            st.dictionaries(keys, tree, max_size=4),
        )
    )
    return tree


def similar(value: Any) -> st.SearchStrategy[Any]:
    """A hostile value of the same kind as `value` (a date for a date, and so on)."""
    if isinstance(value, bool):
        return st.sampled_from([not value, 0, 1, "true", "false", None])
    if isinstance(value, int | float | Decimal):
        return st.sampled_from(HOSTILE_NUMBERS + HOSTILE_AMOUNTS)
    if isinstance(value, str) and _DATE.fullmatch(value):
        return st.sampled_from(HOSTILE_DATES)
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        return st.sampled_from(HOSTILE_INSTANTS)
    if isinstance(value, str) and _AMOUNT.fullmatch(value):
        return st.sampled_from(HOSTILE_AMOUNTS + HOSTILE_NUMBERS)
    if isinstance(value, str):
        return st.one_of(st.sampled_from(HOSTILE_TEXT), st.sampled_from([2_000]).map(_long_text))
    return json_values(deep=False)


def paths(doc: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every node below the root, parents before children."""
    if isinstance(doc, dict):
        for key, child in doc.items():
            yield (*prefix, key)
            yield from paths(child, (*prefix, key))
    elif isinstance(doc, list):
        for index, child in enumerate(doc):
            yield (*prefix, index)
            yield from paths(child, (*prefix, index))


def _retype(value: Any) -> Any:
    """The same information in another JSON type."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return [value]
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    return {}


def _huge(value: Any) -> Any:
    """A long string, or many copies of a small value (bounded: mutations may nest)."""
    if isinstance(value, str):
        return LONG_TEXT
    small = len(json.dumps(value, default=str)) <= HUGE_COPY_BYTES
    return [value] * (HUGE_COPIES if small else 2)


# "similar" is weighted: it is the mutation that gets past type checks into the logic.
OPERATIONS = (
    *("similar",) * 6,
    "drop",
    "hostile",
    "replace",
    "retype",
    "empty",
    "null",
    "wrap",
    "duplicate",
    "huge",
)


def _at(doc: Any, path: Path) -> Any:
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw: st.DrawFn, doc: Any, *, max_mutations: int = 3) -> Any:
    """`doc` with 1..`max_mutations` nodes changed anywhere in the tree."""
    out = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_mutations))):
        nodes = list(paths(out))
        if not nodes:
            break
        leaves = [path for path in nodes if not isinstance(_at(out, path), dict | list)]
        # Three times in four a leaf: most of what a parser decides hangs on scalar values.
        use_leaf = draw(st.integers(0, 3)) > 0
        pool = leaves if leaves and use_leaf else nodes
        path = draw(st.sampled_from(pool))
        operation = draw(st.sampled_from(OPERATIONS))
        parent = _at(out, path[:-1])
        key = path[-1]
        value = parent[key]
        if operation == "drop":
            del parent[key]
        elif operation == "similar":
            parent[key] = draw(similar(value))
        elif operation == "hostile":
            parent[key] = draw(hostile_scalars())
        elif operation == "replace":
            parent[key] = draw(json_values(deep=False))
        elif operation == "retype":
            parent[key] = _retype(value)
        elif operation == "empty":
            parent[key] = type(value)() if isinstance(value, dict | list | str) else ""
        elif operation == "null":
            parent[key] = None
        elif operation == "wrap":
            parent[key] = {"value": value} if draw(st.booleans()) else [value]
        elif operation == "duplicate" and isinstance(parent, list):
            parent.insert(int(key), copy.deepcopy(value))
        else:  # "huge", or "duplicate" of an object member
            parent[key] = _huge(value)
    return out


def json_bytes(value: Any, *, ascii_only: bool) -> bytes:
    """`value` as a client would send it; not always valid JSON or valid UTF-8 (on purpose)."""
    text = json.dumps(value, ensure_ascii=ascii_only, default=str)
    return text.encode("utf-8", "surrogatepass")


def documents(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly mutated valid documents, sometimes valid ones or random JSON."""
    return weighted((4, valid.flatmap(mutated)), (1, valid), (1, json_values()))


def encoded(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """`documents(valid)` as JSON bytes, ASCII-escaped or raw UTF-8."""
    return st.builds(json_bytes, documents(valid), ascii_only=st.booleans())


def bodies(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Request bodies: `encoded(valid)`, and (one in ten) bytes that are no JSON at all."""
    junk = st.one_of(st.binary(max_size=200), st.sampled_from(NOT_JSON))
    return weighted((9, encoded(valid)), (1, junk))


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, in proportion to its weight (`one_of` drops repeated ones)."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)
