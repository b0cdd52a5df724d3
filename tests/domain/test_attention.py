"""Park reasons in hotel words: every reason has a wording and a section in docs/attention.md."""

from __future__ import annotations

import ast
import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from middleware.domain.attention import (
    WORDING,
    Attention,
    BookingFacts,
    ParkNote,
    ParkReason,
    describe_park,
    headline,
    local_time,
    resolved_message,
)
from middleware.store import park_json

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "attention.md"
HEADING = re.compile(r"^## .*\(`([a-z_]+)`\)$", re.MULTILINE)
FACTS = BookingFacts(
    hotel="Duke Beach",
    ota="Booking.com",
    ota_code="BDC-9996013801",
    guest="Maria Silva",
    arrival=date(2026, 12, 10),
    departure=date(2026, 12, 13),
    room_types=("Ocean View", "Lateral Vista Urbana"),
)


def _reasons_used_in_the_code() -> set[str]:
    """Every `ParkReason.NAME` the package refers to."""
    used: set[str] = set()
    for path in (ROOT / "middleware").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "ParkReason"
            ):
                used.add(node.attr)
    return used


def test_every_park_reason_in_the_code_has_a_wording_and_a_docs_section() -> None:
    """A new reason without a wording or without a section in docs/attention.md fails here."""
    used = _reasons_used_in_the_code()
    assert used <= set(ParkReason.__members__)
    assert {"PMS_NO_VACANCY", "ROOM_TYPE_NOT_MAPPED", "RETRIES_EXHAUSTED"} <= used
    assert set(WORDING) == set(ParkReason)
    assert sorted(HEADING.findall(DOCS.read_text("utf-8"))) == sorted(r.value for r in ParkReason)


@pytest.mark.parametrize("reason", list(ParkReason))
def test_every_wording_fills_from_its_details(reason: ParkReason) -> None:
    """Each placeholder of a wording is a detail the code gives; no Python repr leaks."""
    fields = {
        name for part in WORDING[reason] for _, name, _, _ in string.Formatter().parse(part) if name
    }
    details = {name: "X" for name in fields} | ({"cause": "internal"} if "cause" in fields else {})
    words = describe_park(reason, details)
    text = f"{words.title} {words.explanation} {words.next_step}"
    assert "(not given)" not in text
    assert not re.search(r"\w+Error\b|\(\s*'|\{'", text)
    assert words.next_step.endswith((".", ")"))


@pytest.mark.parametrize(
    ("code", "details", "expected"),
    [
        (
            "pms_no_vacancy",
            {"pms_detail": "“no ov apartment is free”"},
            Attention(
                title="No free room in sistema-os",
                explanation="sistema-os has no free apartment of this room type for these"
                " nights (overbooking), so the booking could not be created. sistema-os said:"
                " “no ov apartment is free”",
                next_step="Free a room in sistema-os for these nights (move or cancel another"
                " booking), then replay the booking (python -m middleware replay REVISION_ID)."
                " If the guest cannot be hosted, arrange it with the OTA and mark it handled.",
            ),
        ),
        (
            "retries_exhausted",
            {"attempts": "20", "cause": "pms_unreachable"},
            Attention(
                title="Gave up after 20 attempts",
                explanation="The middleware tried 20 times and each time sistema-os could not"
                " be reached or answered with a server error.",
                next_step="Fix that (python -m middleware check shows what is down), then"
                " replay the booking (python -m middleware replay REVISION_ID).",
            ),
        ),
        (
            "no_such_code",
            {"text": "no free apartment"},
            Attention(
                title="Needs attention",
                explanation="no free apartment",
                next_step="Fix the cause the reason names, then replay the booking"
                " (python -m middleware replay REVISION_ID). Or enter the booking in sistema-os"
                " by hand and mark it handled.",
            ),
        ),
        (
            "revision_refused",
            {},
            Attention(
                title="Channex would not hand over the booking",
                explanation="Channex refused to send this booking revision (HTTP (not given)).",
                next_step="HTTP 401 or 403: check CHANNEX_API_KEY and that the key can see this"
                " property, then replay the booking (python -m middleware replay REVISION_ID)."
                " Any other refusal: open the booking in Channex and enter it in sistema-os by"
                " hand, then mark it handled.",
            ),
        ),
    ],
)
def test_describe_park(code: str, details: dict[str, str], expected: Attention) -> None:
    assert describe_park(code, details) == expected


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (
            FACTS,
            "Duke Beach · Booking.com BDC-9996013801 · Maria Silva · Thu 10 Dec 2026 → Sun 13 Dec"
            " 2026 · Ocean View, Lateral Vista Urbana",
        ),
        (BookingFacts(hotel="Duke Beach"), "Duke Beach"),
        (BookingFacts(ota_code="HM5MBZ1AVA", arrival=date(2026, 12, 10)), "HM5MBZ1AVA"),
        (BookingFacts(), "a booking"),
    ],
)
def test_headline_names_the_known_parts(facts: BookingFacts, expected: str) -> None:
    assert headline(facts) == expected


def test_local_time_and_resolved_message() -> None:
    moment = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    assert local_time(moment, "America/Sao_Paulo") == "2026-10-31 09:00 America/Sao_Paulo"
    assert local_time(moment, None) == "2026-10-31 12:00 UTC"
    assert resolved_message(BookingFacts(hotel="Duke Beach", guest="Ana")) == (
        "Resolved: Duke Beach · Ana is now in sistema-os and confirmed to Channex."
    )


def test_a_park_note_survives_the_store_and_plain_text_is_not_a_note() -> None:
    note = ParkNote(
        reason=ParkReason.PMS_REFUSED,
        text="PMS refused: bad plano",
        details={"pms_detail": "“bad plano”"},
        facts=FACTS,
    )
    assert park_json.decode(park_json.encode(note)) == note
    assert park_json.decode("PMS refused: bad plano") is None
    assert park_json.decode('{"not": "a note"}') is None
    assert park_json.decode(None) is None
    odd = park_json.decode('{"park": "gone_reason", "text": "t", "facts": {"arrival": "x"}}')
    assert odd == ParkNote(reason=ParkReason.LEGACY, text="t", details={}, facts=BookingFacts())
