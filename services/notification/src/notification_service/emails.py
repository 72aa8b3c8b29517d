"""What each email says (pure): a subject, a text body and the same as simple escaped HTML."""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime

from notification_service.domain import clean_text, format_money, format_when


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    text: str
    html: str


def _compose(subject: str, greeting: str, paragraphs: list[str]) -> Email:
    """Plain-text paragraphs; the HTML version escapes every one of them."""
    lines = [f"Hello {greeting},", *paragraphs, "— Ticketing"]
    text = "\n\n".join(lines) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    page = f'<!doctype html><html><body style="font-family:sans-serif">{body}</body></html>'
    return Email(subject=clean_text(subject, limit=200), text=text, html=page)


def welcome(*, greeting: str, verification_token: str | None, base_url: str) -> Email:
    paragraphs = ["Welcome to Ticketing — your account is ready."]
    if verification_token:
        paragraphs += _verify_steps(verification_token, base_url)
    return _compose("Welcome to Ticketing", greeting, paragraphs)


def verification(
    *, greeting: str, verification_token: str, expires_at: datetime, base_url: str
) -> Email:
    return _compose(
        "Confirm your email address",
        greeting,
        [
            *_verify_steps(verification_token, base_url),
            f"The token is valid until {format_when(expires_at)}.",
            "If you did not ask for this, ignore this email.",
        ],
    )


def _verify_steps(token: str, base_url: str) -> list[str]:
    return [
        "Please confirm your email address with this verification token:",
        clean_text(token, limit=2000),
        f'Submit it at {base_url}/api/auth/verify-email (POST {{"token": "…"}}).',
    ]


def booking_confirmed(
    *,
    greeting: str,
    title: str,
    starts_at: datetime,
    location: str,
    booking_id: uuid.UUID,
    tickets: int,
    amount: int,
    currency: str,
    base_url: str,
) -> Email:
    show = clean_text(title, limit=120)
    noun = "ticket" if tickets == 1 else "tickets"
    return _compose(
        f"Your {noun} for {show}",
        greeting,
        [
            f"Your booking {booking_id} is confirmed: {tickets} {noun} for {show}.",
            f"When: {format_when(starts_at)}",
            f"Where: {clean_text(location)}",
            f"Paid: {format_money(amount, currency)}",
            "Your tickets are attached as a PDF; show the QR code at the entrance.",
            f"You can download them again at {base_url}/api/notifications/tickets/{booking_id}/pdf",
        ],
    )


# Why booking cancelled, in words (booking's reason codes); unknown codes are shown as given.
_CANCEL_REASONS = {
    "cancelled_by_user": "at your request",
    "cancelled_by_admin": "by an administrator",
    "event_cancelled": "because the event was cancelled",
    "paid_after_expiry": (
        "because your payment arrived after the booking had expired and its seats were no "
        "longer available"
    ),
    "paid_after_cancel": "because your payment arrived after the booking had been cancelled",
    "payment_refunded": "because its payment was refunded",
}
_PAYMENT_FAILURES = {
    "card_declined": "the card was declined",
    "insufficient_funds": "the card has insufficient funds",
    "processing_error": "the card processor had an error",
    "invalid_number": "the card number is not valid",
}


def cancellation_reason(reason: str) -> str:
    """``"payment_failed: card_declined"`` → ``"because the payment failed (the card was …)"``."""
    code = clean_text(reason, limit=200)
    if code in _CANCEL_REASONS:
        return _CANCEL_REASONS[code]
    head, _, detail = code.partition(":")
    if head == "payment_failed":
        detail = detail.strip()
        why = _PAYMENT_FAILURES.get(detail, detail)
        return f"because the payment failed ({why})" if why else "because the payment failed"
    return f"({code})" if code else ""


def booking_cancelled(
    *, greeting: str, booking_id: uuid.UUID, reason: str, was_confirmed: bool, was_paid: bool
) -> Email:
    why = cancellation_reason(reason)
    paragraphs = [f"Your booking {booking_id} has been cancelled {why}".rstrip() + "."]
    if was_confirmed:
        paragraphs.append("Its tickets are no longer valid.")
    if clean_text(reason) == "payment_refunded":
        paragraphs.append("Your payment has been refunded.")
    elif was_paid or was_confirmed:
        paragraphs.append("Your payment will be refunded; you will get an email when it is.")
    return _compose(f"Booking {booking_id} cancelled", greeting, paragraphs)


def booking_expired(*, greeting: str, booking_id: uuid.UUID) -> Email:
    return _compose(
        f"Booking {booking_id} expired",
        greeting,
        [
            f"Your booking {booking_id} was not paid in time and has expired.",
            "The seats were released; you have not been charged.",
        ],
    )


def waitlist_offer(
    *,
    greeting: str,
    title: str,
    starts_at: datetime,
    places: int,
    tier: str,
    hold_id: str,
    expires_at: datetime,
    base_url: str,
) -> Email:
    return _compose(
        f"Places for {clean_text(title)} are held for you",
        greeting,
        [
            f"Places came back for {clean_text(title)} ({format_when(starts_at)}), and you were "
            f"next on the waiting list: {places} place(s) of {clean_text(tier)} are held for you "
            f"until {format_when(expires_at)}.",
            f"Book them before then: POST {base_url}/api/bookings with "
            f'{{"hold_id": "{hold_id}"}}. After that they go to the next in line.',
        ],
    )


def refund(*, greeting: str, booking_id: uuid.UUID, amount: int, currency: str) -> Email:
    return _compose(
        f"Refund for booking {booking_id}",
        greeting,
        [f"We refunded {format_money(amount, currency)} for your booking {booking_id}."],
    )


def organizer_decision(*, greeting: str, approved: bool, reason: str | None) -> Email:
    if approved:
        subject = "Your organizer application was approved"
        paragraphs = ["Your organizer application was approved: you can now create events."]
    else:
        subject = "Your organizer application was not approved"
        paragraphs = ["Your organizer application was not approved."]
    if reason:
        paragraphs.append(f"Reason: {clean_text(reason)}")
    return _compose(subject, greeting, paragraphs)


def password_reset(
    *, greeting: str, reset_token: str, expires_at: datetime, base_url: str
) -> Email:
    return _compose(
        "Reset your Ticketing password",
        greeting,
        [
            "Someone asked to reset your password. Use this token to choose a new one:",
            clean_text(reset_token, limit=2000),
            f"Submit it at {base_url}/api/auth/reset-password before {format_when(expires_at)}.",
            "If it was not you, ignore this email; your password stays as it is.",
        ],
    )
