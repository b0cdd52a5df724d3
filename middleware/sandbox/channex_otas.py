"""The OTAs the Channex emulator sells for: their codes and the spellings Channex uses.

Channex does not normalise `ota_name`: one channel arrives as `BookingCom` or `Booking.com`,
Expedia as `A-Expedia` (contract §5.2a). `unique_id` and the webhooks' `ota_code` use the
OTA's code (`BDC-9996013801`); an unknown name gets `OTA`.
"""

from __future__ import annotations

OTA_CODES: dict[str, str] = {
    "BookingCom": "BDC",
    "Booking.com": "BDC",
    "Airbnb": "ABB",
    "A-Expedia": "EXP",
    "Expedia": "EXP",
    "Agoda": "AGO",
    "Goibibo": "GBB",
    "MakeMyTrip": "MMT",
    "Trip.com": "CTP",
    "Ctrip": "CTP",
    "Hostelworld": "HWL",
    "Vrbo": "VRB",
    "Google": "GHA",
}
UNKNOWN_CODE = "OTA"


def ota_code(ota_name: str) -> str:
    return OTA_CODES.get(ota_name, UNKNOWN_CODE)


def is_booking_com(ota_name: str) -> bool:
    """Booking.com under any of its spellings: its rooms carry an `ota_unique_id`."""
    return ota_code(ota_name) == "BDC"


def is_airbnb(ota_name: str) -> bool:
    """Airbnb collects the money itself: no guarantee, and a cancellation keeps a payout."""
    return ota_code(ota_name) == "ABB"
