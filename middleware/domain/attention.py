"""A booking that needs attention, in hotel words: why it stopped and what to do next.

Pure: a park reason code with its details becomes an `Attention` (a title, a plain sentence
and the next step); a booking's `BookingFacts` (hotel, OTA and its reservation code, guest,
dates, room types) become one headline. The booking processor, `/status`, the CLI, alerts and
the console all speak through here, and docs/attention.md has one section per `ParkReason`
(a test keeps them in step).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from middleware.domain.channels import channel_name
from middleware.domain.revision import BookingRevision


class ParkReason(StrEnum):
    """Why a booking revision was parked: every park names one of these."""

    PMS_NO_VACANCY = "pms_no_vacancy"
    PMS_REFUSED = "pms_refused"
    ROOM_TYPE_NOT_MAPPED = "room_type_not_mapped"
    ROOM_UNMAPPED_AT_OTA = "room_unmapped_at_ota"
    CURRENCY_MISSING = "currency_missing"
    STAY_IMPLAUSIBLE = "stay_implausible"
    ROOM_BACK_AFTER_CANCEL = "room_back_after_cancel"
    REVISION_REFUSED = "revision_refused"
    REVISION_UNREADABLE = "revision_unreadable"
    REVISION_MISMATCH = "revision_mismatch"
    REVISION_FROM_FUTURE = "revision_from_future"
    ACK_REFUSED = "ack_refused"
    RETRIES_EXHAUSTED = "retries_exhausted"
    BOOKING_FORGOTTEN = "booking_forgotten"
    LEGACY = "legacy"  # parked by a version that stored only a text


@dataclass(frozen=True, slots=True, kw_only=True)
class Attention:
    title: str
    explanation: str
    next_step: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingFacts:
    """What a person recognises a booking by. Any part may be unknown (None / empty)."""

    hotel: str | None = None
    ota: str | None = None  # the channel's one name: Booking.com, Airbnb…
    ota_code: str | None = None  # the reservation code staff quote to the OTA
    guest: str | None = None
    arrival: date | None = None
    departure: date | None = None
    room_types: tuple[str, ...] = ()  # titles (or categorias when no title is mapped)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkNote:
    """What is kept of a park: the reason code, the technical text (for logs and
    developers), the details its wording needs, and the booking's facts."""

    reason: ParkReason
    text: str
    details: Mapping[str, str]
    facts: BookingFacts

    @property
    def attention(self) -> Attention:
        return describe_park(self.reason, {"text": self.text, **self.details})


# What the retry ladder was doing when it gave up (`details["cause"]` of RETRIES_EXHAUSTED).
CAUSES = {
    "pms_unreachable": "sistema-os could not be reached or answered with a server error",
    "pms_unreadable": "sistema-os answered something the middleware could not read",
    "channex_unreachable": "Channex could not be reached to fetch the booking",
    "ack_unreachable": "Channex could not be reached to confirm the booking was received",
    "internal": "the middleware hit an internal error (the logs name it)",
}

_REPLAY = "then replay the booking (python -m middleware replay REVISION_ID)."
_BY_HAND = "enter the booking in sistema-os by hand and mark it handled"

WORDING: dict[ParkReason, tuple[str, str, str]] = {
    ParkReason.PMS_NO_VACANCY: (
        "No free room in sistema-os",
        "sistema-os has no free apartment of this room type for these nights (overbooking),"
        " so the booking could not be created. sistema-os said: {pms_detail}",
        "Free a room in sistema-os for these nights (move or cancel another booking), "
        + _REPLAY
        + " If the guest cannot be hosted, arrange it with the OTA and mark it handled.",
    ),
    ParkReason.PMS_REFUSED: (
        "sistema-os refused the booking",
        "sistema-os answered that it cannot accept this booking as sent. It said: {pms_detail}",
        "Fix what sistema-os names (a categoria or plano it does not know, a closed room"
        " type…), " + _REPLAY + " If it cannot be fixed, " + _BY_HAND + ".",
    ),
    ParkReason.ROOM_TYPE_NOT_MAPPED: (
        "Room type not in the mapping",
        "The booking is for a Channex room type ({room_type_id}) that the mapping file does"
        " not link to any sistema-os categoria.",
        "Add that room type to the mapping file (docs/pms.md, adding a room type), reload"
        " the mapping or restart, check with python -m middleware check, " + _REPLAY,
    ),
    ParkReason.ROOM_UNMAPPED_AT_OTA: (
        "Room not mapped at the OTA",
        "The OTA sold a room that is not connected to any Channex room type, so Channex sent"
        " the booking without one. Replaying cannot help: this version of the booking will"
        " never name a room type.",
        "Map the OTA's room to its room type in Channex (the channel's mapping page) so the"
        " next bookings arrive whole; for this one, " + _BY_HAND + ".",
    ),
    ParkReason.CURRENCY_MISSING: (
        "No currency",
        "Neither the booking nor the hotel's entry in the mapping file has a currency, so"
        " its amounts cannot be read.",
        "Set the hotel's currency in the mapping file, reload the mapping or restart, " + _REPLAY,
    ),
    ParkReason.STAY_IMPLAUSIBLE: (
        "Dates no real booking has",
        "The stay is not one a real booking has ({problem}); it is usually a test or a"
        " broken message.",
        "Check the reservation at the OTA. If it is real, "
        + _BY_HAND
        + "; if not, mark it handled saying so.",
    ),
    ParkReason.ROOM_BACK_AFTER_CANCEL: (
        "A cancelled room came back",
        "A room of this booking was cancelled in sistema-os (booking {pms_id}) and the OTA's"
        " latest version has it again. A cancelled sistema-os booking is never reopened"
        " on its own.",
        "Reopen or re-create that room's booking in sistema-os by hand, then mark it handled.",
    ),
    ParkReason.REVISION_REFUSED: (
        "Channex would not hand over the booking",
        "Channex refused to send this booking revision (HTTP {status}).",
        "HTTP 401 or 403: check CHANNEX_API_KEY and that the key can see this property, "
        + _REPLAY
        + " Any other refusal: open the booking in Channex and enter it in sistema-os by hand,"
        " then mark it handled.",
    ),
    ParkReason.REVISION_UNREADABLE: (
        "Booking message unreadable",
        "Channex sent this booking revision in a form the middleware cannot read ({problem}).",
        "Open the booking in Channex, " + _BY_HAND + ", and report the revision id.",
    ),
    ParkReason.REVISION_MISMATCH: (
        "Channex answered another booking",
        "Asked for this booking revision, Channex sent a different one.",
        "Replay once; if it happens again, " + _BY_HAND + " and report it to Channex.",
    ),
    ParkReason.REVISION_FROM_FUTURE: (
        "Booking dated in the future",
        "Channex dated this revision {problem}, more than a day ahead of this server's"
        " clock; applying it would make every later change to the booking look old.",
        "Check the server's clock (timedatectl). If it was wrong, fix it and replay; if it"
        " is right, " + _BY_HAND + " and report it to Channex.",
    ),
    ParkReason.ACK_REFUSED: (
        "Channex refused the receipt",
        "The booking is in sistema-os, but Channex refused to record that it was received"
        " (HTTP {status}).",
        "Check CHANNEX_API_KEY, "
        + _REPLAY
        + " Only the receipt is sent again: sistema-os is not called twice.",
    ),
    ParkReason.RETRIES_EXHAUSTED: (
        "Gave up after {attempts} attempts",
        "The middleware tried {attempts} times and each time {cause}.",
        "Fix that (python -m middleware check shows what is down), " + _REPLAY,
    ),
    ParkReason.BOOKING_FORGOTTEN: (
        "A change for a booking already forgotten",
        "Channex sent a change for a booking whose stay ended {departure}. The middleware"
        " had already removed its records on {forgotten_at} (finished bookings are forgotten"
        " BOOKING_RETENTION_DAYS after departure), so it cannot tell what sistema-os holds for"
        " it, and applying the change could create the booking in sistema-os again. It was not"
        " applied.",
        "Look the booking up in sistema-os and at the OTA; if something really must change,"
        " change it in sistema-os by hand, then mark it handled. Replaying cannot help: it"
        " parks again.",
    ),
    ParkReason.LEGACY: (
        "Needs attention",
        "{text}",
        "Fix the cause the reason names, " + _REPLAY + " Or " + _BY_HAND + ".",
    ),
}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "(not given)"


def _fill(template: str, details: Mapping[str, str]) -> str:
    values = _Blank(details)
    if "cause" in details:
        values["cause"] = CAUSES.get(details["cause"], details["cause"])
    return string.Formatter().vformat(template, (), values)


def describe_park(reason_code: str, details: Mapping[str, str]) -> Attention:
    """The plain words for a park: an unknown code reads as LEGACY (its `text` detail)."""
    try:
        reason = ParkReason(reason_code)
    except ValueError:
        reason = ParkReason.LEGACY
    title, explanation, next_step = WORDING[reason]
    return Attention(
        title=_fill(title, details),
        explanation=_fill(explanation, details),
        next_step=_fill(next_step, details),
    )


def format_day(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def headline(facts: BookingFacts) -> str:
    """`Duke Beach · Booking.com BDC-123 · Maria Silva · Thu 10 Dec 2026 → Sun 13 Dec 2026 ·
    Ocean View` — the known parts only."""
    ota = " ".join(part for part in (facts.ota, facts.ota_code) if part)
    stay = ""
    if facts.arrival and facts.departure:
        stay = f"{format_day(facts.arrival)} → {format_day(facts.departure)}"
    rooms = ", ".join(facts.room_types)
    parts = (facts.hotel, ota, facts.guest, stay, rooms)
    return " · ".join(part for part in parts if part) or "a booking"


def local_time(moment: datetime, timezone: str | None) -> str:
    """`2026-10-31 09:00 America/Sao_Paulo` (UTC when the hotel is unknown)."""
    zone = timezone or "UTC"
    return f"{moment.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} {zone}"


def resolved_message(facts: BookingFacts) -> str:
    return f"Resolved: {headline(facts)} is now in sistema-os and confirmed to Channex."


def alert_text(facts: BookingFacts, attention: Attention) -> str:
    return (
        f"{headline(facts)} — {attention.title}. {attention.explanation}"
        f" Next step: {attention.next_step}"
    )


def booking_facts(
    revision: BookingRevision, *, hotel: str | None, room_title: Callable[[str], str | None]
) -> BookingFacts:
    """The facts of a fetched revision; `room_title` names a mapped Channex room type."""
    guest = next((r.guest_name for r in revision.rooms if r.guest_name), None)
    titles: list[str] = []
    for room in revision.rooms:
        title = room.room_type_id and room_title(room.room_type_id)
        if title and title not in titles:
            titles.append(title)
    return BookingFacts(
        hotel=hotel,
        ota=channel_name(revision.ota_name),
        ota_code=revision.unique_id or revision.ota_reservation_code,
        guest=guest or revision.customer.name or None,
        arrival=revision.arrival_date,
        departure=revision.departure_date,
        room_types=tuple(titles),
    )


def facts_json(facts: BookingFacts) -> dict[str, Any]:
    """A booking's facts as JSON values (dates ISO-8601): what a park note keeps and what the
    reports show."""
    return {
        "hotel": facts.hotel,
        "ota": facts.ota,
        "ota_code": facts.ota_code,
        "guest": facts.guest,
        "arrival": facts.arrival.isoformat() if facts.arrival else None,
        "departure": facts.departure.isoformat() if facts.departure else None,
        "room_types": list(facts.room_types),
    }
