"""Shared hypothesis strategies for the hostile-input tests.

- `hostile_scalars()`: the values that break parsers: huge and negative numbers, `"1e309"`,
  `"NaN"`, full-width digits, null bytes, right-to-left marks, lone surrogates, impossible and
  extreme dates, very long strings.
- `json_values()`: any JSON-shaped Python value (hostile scalars at the leaves).
- `mutated(doc)`: a deep copy of a valid document with one to a few nodes dropped, replaced,
  retyped, emptied or duplicated, anywhere in the tree.
- `json_bytes(value)`: a body as a hostile client would write it (ASCII-escaped or raw UTF-8,
  lone surrogates kept, big integers and non-finite floats written as Python's `json` does).

Every strategy is plain data: the tests run with `derandomize=True`, so a run is reproducible.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

LONG_TEXT = "x" * 20_000
HUGE_COPIES = 300
HUGE_COPY_BYTES = 64
HOSTILE_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "\x00",
    "rev\x00id",
    "\ud800",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "ção 🏨 ß ﬁ",
    "１２３",
    "١٢٣",
    "1e309",
    "-1e309",
    "1E+400",
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "-5",
    "-0",
    "0",
    "0.001",
    "1_000",
    "0x10",
    " 450.00 ",
    "450,00",
    "99999999999999999999999999999999",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "9999-12-31",
    "0001-01-01",
    "-2026-01-01",
    "+12026-01-01",
    "2026-1-1",
    "20261210",
    "2026-W50-1",
    "2026-12-10T25:00:00",
    "2026-11-21T14:03:12",
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00+23:59",
    "new",
    "cancelled",
    "CANCELLED",
    "booking_new",
    "lvu",
    "padrao",
)
HOSTILE_NUMBERS: tuple[int | float | Decimal, ...] = (
    0,
    -1,
    -5,
    1,
    2**31,
    2**63 - 1,
    -(2**63),
    2**64,
    10**30,
    -(10**30),
    10**400,
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


def _long_text(chars: int) -> str:
    """Built on demand, so no strategy's repr carries it."""
    return LONG_TEXT[:chars]


def hostile_scalars() -> st.SearchStrategy[Any]:
    """One hostile leaf: a listed string or number, or a random one of any kind."""
    return st.one_of(
        st.sampled_from(HOSTILE_STRINGS),
        st.sampled_from(HOSTILE_NUMBERS),
        st.sampled_from(HOSTILE_NUMBERS),
        st.sampled_from([2_000, len(LONG_TEXT)]).map(_long_text),
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=40),
    )


def json_values(*, max_leaves: int = 16) -> st.SearchStrategy[Any]:
    """Any JSON-shaped value: hostile scalars inside lists and string-keyed objects."""
    return st.recursive(
        hostile_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(KEYS)), children),
        ),
        max_leaves=max_leaves,
    )


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


OPERATIONS = (
    "drop",
    "hostile",
    "hostile",
    "number",
    "number",
    "replace",
    "retype",
    "empty",
    "null",
    "wrap",
    "duplicate",
    "huge",
)


@st.composite
def mutated(draw: st.DrawFn, doc: Any, *, max_mutations: int = 3) -> Any:
    """`doc` with 1..`max_mutations` nodes changed anywhere in the tree."""
    out = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_mutations))):
        nodes = list(paths(out))
        if not nodes:
            break
        path = draw(st.sampled_from(nodes))
        operation = draw(st.sampled_from(OPERATIONS))
        parent: Any = out
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        value = parent[key]
        if operation == "drop":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(json_values(max_leaves=4))
        elif operation == "hostile":
            parent[key] = draw(hostile_scalars())
        elif operation == "number":
            parent[key] = draw(st.sampled_from(HOSTILE_NUMBERS))
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


def bodies(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """Request bodies: mutated valid documents, random JSON, and bytes that are not JSON."""
    documents = st.one_of(valid, valid.flatmap(mutated), json_values())
    return st.one_of(
        st.builds(json_bytes, documents, ascii_only=st.booleans()),
        st.binary(max_size=200),
        st.sampled_from([b"", b"{", b"null", b"[]", b"{}", b'{"a":1}{"b":2}', b"\xff\xfe{}"]),
    )
