"""One name per channel."""

from __future__ import annotations

import pytest

from middleware.domain.channels import channel_name


@pytest.mark.parametrize(
    ("ota_name", "channel"),
    [
        ("BookingCom", "Booking.com"),
        ("Booking.com", "Booking.com"),
        ("booking.com", "Booking.com"),
        ("A-Expedia", "Expedia"),
        ("Expedia", "Expedia"),
        ("Airbnb", "Airbnb"),
        ("AirBNB", "Airbnb"),
        ("Goibibo", "Goibibo"),
        ("MakeMyTrip", "MakeMyTrip"),
        ("Trip.com", "Trip.com"),
        ("Ctrip", "Trip.com"),
        ("HomeAway", "Vrbo"),
        ("Hostelworld", "Hostelworld"),
        ("Some New OTA", "Some New OTA"),  # unknown: passes through unchanged
        ("  Padded  ", "Padded"),
        (None, "Channex"),
        ("   ", "Channex"),
    ],
)
def test_channel_name(ota_name: str | None, channel: str) -> None:
    assert channel_name(ota_name) == channel
