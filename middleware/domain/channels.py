"""One name per sales channel: Channex spells one OTA several ways (`BookingCom`,
`Booking.com`; `A-Expedia`), and the hotel should see one. Unknown names pass through."""

from __future__ import annotations

import re

DEFAULT_CHANNEL = "Channex"

# Key: the name lower-cased with everything but letters and digits removed.
CHANNEL_NAMES: dict[str, str] = {
    "bookingcom": "Booking.com",
    "booking": "Booking.com",
    "airbnb": "Airbnb",
    "expedia": "Expedia",
    "aexpedia": "Expedia",
    "hotelscom": "Hotels.com",
    "agoda": "Agoda",
    "tripcom": "Trip.com",
    "ctrip": "Trip.com",
    "goibibo": "Goibibo",
    "makemytrip": "MakeMyTrip",
    "hostelworld": "Hostelworld",
    "google": "Google",
    "googlehotelads": "Google",
    "vrbo": "Vrbo",
    "homeaway": "Vrbo",
    "despegar": "Despegar",
    "decolar": "Decolar",
    "hrs": "HRS",
    "traveloka": "Traveloka",
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def channel_name(ota_name: str | None) -> str:
    """The channel's one name; `Channex` when the revision names none."""
    if ota_name is None or not ota_name.strip():
        return DEFAULT_CHANNEL
    key = _NOT_ALNUM.sub("", ota_name.lower())
    return CHANNEL_NAMES.get(key, ota_name.strip())
