"""Channex's webhook event names (contract §6.3): the one place each is spelled.

The web intake (`store.inbox`), the metrics labels, the problem watch and the Channex emulator
all name events through here. `TEST` is what Channex's "test webhook" button sends.
"""

from __future__ import annotations

ARI = "ari"
BOOKING = "booking"  # any revision
BOOKING_NEW = "booking_new"
BOOKING_MODIFICATION = "booking_modification"
BOOKING_CANCELLATION = "booking_cancellation"
BOOKING_UNMAPPED_ROOM = "booking_unmapped_room"
BOOKING_UNMAPPED_RATE = "booking_unmapped_rate"
NON_ACKED_BOOKING = "non_acked_booking"
MESSAGE = "message"
SYNC_ERROR = "sync_error"
SYNC_WARNING = "sync_warning"
RATE_ERROR = "rate_error"
RESERVATION_REQUEST = "reservation_request"
ALTERATION_REQUEST = "alteration_request"
ACCEPTED_RESERVATION = "accepted_reservation"
DECLINED_RESERVATION = "declined_reservation"
INQUIRY = "inquiry"
REVIEW = "review"
UPDATED_REVIEW = "updated_review"
NEW_CHANNEL = "new_channel"
UPDATED_CHANNEL = "updated_channel"
DISCONNECT_CHANNEL = "disconnect_channel"
DISCONNECT_LISTING = "disconnect_listing"
ACTIVATE_CHANNEL = "activate_channel"
DEACTIVATE_CHANNEL = "deactivate_channel"
CHANNEL_REMOVAL_WARNING = "channel_removal_warning"
PROPERTY_REMOVAL_WARNING = "property_removal_warning"
MESSAGE_THREAD_BOOKING_ASSIGNED = "message_thread_booking_assigned"
TEST = "test"  # the test delivery; no subscription names it

# A booking revision to fetch: the generic event and the three specific ones (contract §6.3:
# which one arrives depends on the subscription, so all four are accepted).
BOOKING_EVENTS = frozenset({BOOKING, BOOKING_NEW, BOOKING_MODIFICATION, BOOKING_CANCELLATION})
# Channex telling us a channel refused or lost what it sent, or a removal coming: each becomes
# a notice and an alert with its reasons (`store.inbox`), and the setup script subscribes to it.
CHANNEL_PROBLEMS = (
    SYNC_ERROR,
    SYNC_WARNING,
    RATE_ERROR,
    DISCONNECT_CHANNEL,
    DISCONNECT_LISTING,
    CHANNEL_REMOVAL_WARNING,
    PROPERTY_REMOVAL_WARNING,
)
# Every event a webhook may subscribe to (its `event_mask`).
SUBSCRIBABLE = frozenset(
    {
        ARI,
        *BOOKING_EVENTS,
        BOOKING_UNMAPPED_ROOM,
        BOOKING_UNMAPPED_RATE,
        NON_ACKED_BOOKING,
        MESSAGE,
        SYNC_ERROR,
        SYNC_WARNING,
        RATE_ERROR,
        RESERVATION_REQUEST,
        ALTERATION_REQUEST,
        ACCEPTED_RESERVATION,
        DECLINED_RESERVATION,
        INQUIRY,
        REVIEW,
        UPDATED_REVIEW,
        NEW_CHANNEL,
        UPDATED_CHANNEL,
        DISCONNECT_CHANNEL,
        DISCONNECT_LISTING,
        ACTIVATE_CHANNEL,
        DEACTIVATE_CHANNEL,
        CHANNEL_REMOVAL_WARNING,
        PROPERTY_REMOVAL_WARNING,
        MESSAGE_THREAD_BOOKING_ASSIGNED,
    }
)
