"""Use cases: tell people what happened (one email per fact), hand out their PDF tickets.

Handlers are database work only, in the consumer's transaction (inbox claim + effect,
committed before the ack), so several messages may share one transaction. An email is
queued there (``pending_email``) and sent after the commit by the mail sender
(:mod:`.mailing`), never inside a handler:

- a redelivered message (same envelope id) is a duplicate in the inbox: no second email;
- the consumer never waits for SMTP: an SMTP failure is recorded (``notification`` row
  ``failed`` with the error) and the email retried with backoff; a later success turns the row
  into ``sent``;
- no known address, or one that cannot be put on an envelope, is recorded ``failed`` at once:
  no retry would help;
- a crash after the SMTP server accepted an email but before the sender's commit sends it once
  more (same Message-ID header, so clients can fold the two): at-least-once — an email may
  repeat in that narrow window, it is never lost.

A booking's PDF is rendered and stored (``ticket_document``) in the same transaction as the
email that carries it: downloadable from the commit on, whatever SMTP does, and never rendered
again (retries attach the stored bytes). A cancellation (or the refund of the payment the
tickets stand on) voids them in its transaction: the PDF is deleted and never rendered again,
and an email still queued with it is dropped (see :mod:`.tickets`).
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
from notification_service.service.mailing import send_emails_when_woken, send_pending_emails
from notification_service.service.queries import get_ticket_pdf, list_notifications
from notification_service.service.waitlist import tell_waitlist_offer

__all__ = [
    "tell_waitlist_offer",
    "get_ticket_pdf",
    "list_notifications",
    "send_emails_when_woken",
    "send_password_reset",
    "send_pending_emails",
    "send_tickets",
    "send_verification",
    "tell_booking_cancelled",
    "tell_booking_expired",
    "tell_organizer_decision",
    "tell_refunded",
    "welcome_user",
]
