"""Use cases: tell people what happened (one email per fact), hand out their PDF tickets.

Sending and recording. A handler runs inside the consumer's transaction (inbox claim + effect,
committed before the ack). The email is sent, then its ``notification`` row is written in that
transaction, so:

- a redelivered message (same envelope id) is a duplicate in the inbox: no second email;
- an SMTP failure is recorded as ``failed`` in a transaction of its own (the handler's rolls
  back) and re-raised, so the runner retries with backoff and finally dead-letters it; a later
  success turns the row into ``sent``;
- no known address, or one that cannot be put on an envelope, is recorded ``failed`` at once
  and the message is done: no retry would help;
- a crash after the SMTP server accepted the email but before the commit redelivers the
  message and sends it once more (same Message-ID header, so clients can fold the two):
  at-least-once — an email may repeat in that narrow window, it is never lost.

The ticket PDF and its ``ticket_document`` row are committed in their own transaction before
the email goes out: a retry reuses the stored file (same sha256) instead of rendering again,
and the buyer can download the tickets even while email is failing. A cancellation (or the
refund of the payment the tickets stand on) voids them the same way, before its email: the
PDF is deleted and never rendered again (see :mod:`.tickets`).
"""

from notification_service.service.accounts import (
    send_password_reset,
    send_verification,
    tell_organizer_decision,
    welcome_user,
)
from notification_service.service.bookings import (
    send_tickets,
    tell_booking_cancelled,
    tell_booking_expired,
    tell_refunded,
)
from notification_service.service.queries import get_ticket_pdf, list_notifications

__all__ = [
    "get_ticket_pdf",
    "list_notifications",
    "send_password_reset",
    "send_tickets",
    "send_verification",
    "tell_booking_cancelled",
    "tell_booking_expired",
    "tell_organizer_decision",
    "tell_refunded",
    "welcome_user",
]
