"""Email bodies: what they say, and that hostile text cannot become markup or headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from notification_service import emails
from notification_service.mailer import Attachment, InvalidAddress, Mailer, message_id_header

BOOKING = uuid.UUID("11111111-2222-3333-4444-555555555555")


def test_confirmation_names_show_time_place_and_amount_when_composed() -> None:
    email = emails.booking_confirmed(
        greeting="Ada",
        title="Jazz <Night>",
        starts_at=datetime(2025, 7, 12, 19, 30, tzinfo=UTC),
        location="Blue Hall",
        booking_id=BOOKING,
        tickets=2,
        amount=16000,
        currency="USD",
        base_url="http://localhost:8080",
    )
    assert email.subject == "Your tickets for Jazz <Night>"
    assert "160.00 USD" in email.text and "Blue Hall" in email.text
    assert f"/api/notifications/tickets/{BOOKING}/pdf" in email.text
    assert "Jazz &lt;Night&gt;" in email.html and "<Night>" not in email.html


def test_subject_is_one_line_when_title_has_line_breaks() -> None:
    email = emails.booking_confirmed(
        greeting="Ada",
        title="Show\r\nBcc: victim@example.test",
        starts_at=datetime(2025, 7, 12, 19, 30, tzinfo=UTC),
        location="Hall",
        booking_id=BOOKING,
        tickets=1,
        amount=100,
        currency="USD",
        base_url="http://x",
    )
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == "Your ticket for Show Bcc: victim@example.test"


def test_welcome_mentions_the_token_when_one_is_given() -> None:
    with_token = emails.welcome(greeting="Ada", verification_token="tok-123", base_url="http://x")
    without = emails.welcome(greeting="Ada", verification_token=None, base_url="http://x")
    assert "tok-123" in with_token.text and "tok-123" in with_token.html
    assert "verification token" not in without.text


def test_cancellation_promises_a_refund_only_when_it_was_paid() -> None:
    paid = emails.booking_cancelled(
        greeting="Ada", booking_id=BOOKING, reason="event_cancelled", was_confirmed=True
    )
    unpaid = emails.booking_cancelled(
        greeting="Ada", booking_id=BOOKING, reason="payment_failed", was_confirmed=False
    )
    assert "refunded" in paid.text and "refunded" not in unpaid.text


def test_message_has_text_html_and_pdf_when_built_with_an_attachment() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.refund(greeting="Ada", booking_id=BOOKING, amount=2500, currency="EUR")
    message = mailer.build(
        to_email="ada@example.test",
        to_name='Ada "Countess" Lovelace',
        email=email,
        message_id=message_id_header(BOOKING, "refund"),
        attachments=[Attachment(filename="ticket-x.pdf", content=b"%PDF-1.4 test")],
    )
    assert message["To"].addresses[0].addr_spec == "ada@example.test"
    assert message["Message-ID"] == f"<{BOOKING}.refund@ticketing.local>"
    kinds = [part.get_content_type() for part in message.walk()]
    assert {"text/plain", "text/html", "application/pdf"} <= set(kinds)
    (pdf,) = list(message.iter_attachments())
    assert pdf.get_filename() == "ticket-x.pdf" and pdf.get_content() == b"%PDF-1.4 test"


def test_build_refuses_an_address_when_it_cannot_be_an_envelope_recipient() -> None:
    mailer = Mailer(host="127.0.0.1", port=1, sender="Ticketing <no-reply@t.local>", timeout=1)
    email = emails.booking_expired(greeting="x", booking_id=BOOKING)
    try:
        mailer.build(to_email="not an address\n", to_name="x", email=email, message_id="<a@b>")
    except InvalidAddress:
        return
    raise AssertionError("an unusable address was accepted")
